"""test-generation: module discovery, the isolation runner and its write guard, the keep
rules, the test file writer and coverage before, then the flow end to end on the dev
server (a small real package with its own tests and a planted bug) and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.test_generation.baseline import find_tests, measure_baseline
from activities.test_generation.isolation import run_test_file
from activities.test_generation.keep import ModuleState, judge, render_file, verified_file
from activities.test_generation.modules import (
    SelectionError,
    discover_modules,
    infer_import_root,
)
from starter import runner
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_cli import attune
from worker import running_worker
from workflows.registry import registry
from workflows.test_generation.candidates import CandidateTest
from workflows.test_generation.models import ModuleSpec, TestGenerationRequest
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["test-generation"]
PRICING = """\
def discount(price, percent):
    if percent < 0 or percent > 100:
        raise ValueError("percent out of range")
    return round(price * (100 - percent) / 100, 2)


def average(values: list[float]) -> float:
    return sum(values) / len(values)


def label(price):
    if price >= 100:
        return "expensive"
    if price >= 10:
        return "fair"
    return "cheap"
"""
EXISTING_TEST = """\
from shop.pricing import discount


def test_half_price():
    assert discount(10, 50) == 5
"""


def make_project(root: Path) -> Path:
    """A flat project: shop/pricing.py (a planted bug in `average`), shop/text.py, and
    one existing test of `discount`."""
    (root / "shop").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0.1"\n')
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "pricing.py").write_text(PRICING)
    (root / "shop" / "text.py").write_text("def shout(s):\n    return s.upper() + '!'\n")
    (root / "shop" / "constants.py").write_text("RATE = 3\n")
    (root / "tests" / "test_pricing.py").write_text(EXISTING_TEST)
    return root


def candidate(name: str, body: str, *, imports: str = "from shop.pricing import label", **kw):
    fields = {"engine": "ast", "module": "shop.pricing", "function": "label"} | kw
    return CandidateTest(
        name=name,
        behaviour=name.removeprefix("test_").replace("_", " "),
        imports=[imports],
        body=textwrap.dedent(body),
        **fields,
    )


LABEL_CHEAP = candidate(
    "test_label_cheap",
    """\
    def test_label_cheap():
        # Given a price under ten
        price = 3
        # When it is labelled
        result = label(price)
        # Then it is cheap
        assert result == "cheap"
    """,
)
LABEL_CHEAP_AGAIN = candidate(
    "test_label_cheap_again",
    """\
    def test_label_cheap_again():
        # Given another price under ten
        # When it is labelled
        # Then it is cheap too
        assert label(1) == "cheap"
    """,
)
LABEL_EXPENSIVE = candidate(
    "test_label_expensive",
    """\
    def test_label_expensive():
        # Given a price of 100
        # When it is labelled
        # Then it is expensive
        assert label(100) == "expensive"
    """,
)
AVERAGE_OF_NOTHING = candidate(
    "test_average_of_no_values",
    """\
    def test_average_of_no_values():
        # Given no values
        values = []
        # When they are averaged
        result = average(values)
        # Then the average is zero
        assert result == 0
    """,
    imports="from shop.pricing import average",
    function="average",
    inputs="values=[]",
)
WRONG_DISCOUNT = candidate(
    "test_discount_wrong",
    """\
    def test_discount_wrong():
        # Given ten percent off 10
        # When the discount applies
        # Then (wrongly) it costs 5
        assert discount(10, 10) == 5
    """,
    imports="from shop.pricing import discount",
    function="discount",
)
PLANTED = [LABEL_CHEAP, LABEL_CHEAP_AGAIN, AVERAGE_OF_NOTHING, WRONG_DISCOUNT, LABEL_EXPENSIVE]


# --------------------------------------------------------------------------- modules


def test_import_root_is_the_first_parent_without_an_init(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    assert infer_import_root(project / "shop" / "pricing.py") == project
    assert infer_import_root(project / "shop") == project
    assert infer_import_root(project) == project
    (project / "src").mkdir()
    assert infer_import_root(project) == project / "src"


def test_modules_skip_tests_and_files_without_code(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    found = discover_modules(project, None, None, 100)
    assert [m.module for m in found.modules] == ["shop.pricing", "shop.text"]
    assert found.import_root == found.project_root == str(project)
    reasons = {s.path: s.reason for s in found.skipped}
    assert reasons["tests/test_pricing.py"] == "tests, docs or tooling"
    assert reasons["shop/constants.py"] == "no functions or classes to test"


@pytest.mark.parametrize(
    ("select", "module", "functions"),
    [
        ("pricing", "shop.pricing", []),
        ("shop.pricing:label", "shop.pricing", ["label"]),
        ("shout", "shop.text", ["shout"]),
    ],
)
def test_select_narrows_to_a_module_or_function(
    tmp_path: Path, select: str, module: str, functions: list[str]
) -> None:
    found = discover_modules(make_project(tmp_path / "p"), None, select, 100)
    assert [(m.module, m.functions) for m in found.modules] == [(module, functions)]


def test_select_that_names_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SelectionError, match="matches no module or function"):
        discover_modules(make_project(tmp_path / "p"), None, "pricing:nothing", 100)


# --------------------------------------------------------------------------- isolation


def test_a_candidate_cannot_write_outside_its_temp_dir(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    outside = tmp_path / "escaped.txt"
    source = textwrap.dedent(f"""\
        import os
        import shutil


        def test_write_outside():
            open({str(outside)!r}, "w").write("x")


        def test_remove_outside():
            os.remove({str(project / "shop" / "text.py")!r})


        def test_rmtree_outside():
            shutil.rmtree({str(project / "tests")!r})


        def test_write_inside():
            open("scratch.txt", "w").write("x")
        """)
    result = run_test_file(source, project / "shop" / "text.py", project, 30)
    outcomes = {name: t.outcome for name, t in result.tests.items()}
    assert outcomes == {
        "test_write_outside": "failed",
        "test_remove_outside": "failed",
        "test_rmtree_outside": "failed",
        "test_write_inside": "passed",
    }
    assert all(
        "attune sandbox" in (t.exception or "") for t in result.tests.values() if t.exception
    )
    assert not outside.exists() and (project / "shop" / "text.py").exists()
    assert (project / "tests" / "test_pricing.py").exists()


def test_a_candidate_that_hangs_is_killed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    source = "import time\n\n\ndef test_sleeps():\n    time.sleep(60)\n"
    assert run_test_file(source, project / "shop" / "text.py", project, 3).status == "timed-out"


def _runner(project: Path):
    file = project / "shop" / "pricing.py"
    return lambda source: run_test_file(source, file, project, 30)


def test_keep_rules(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    state = ModuleState(spec=ModuleSpec(module="shop.pricing", file="shop/pricing.py"))
    run = _runner(project)
    for test in PLANTED:
        judge(state, test, run)
    assert [k.candidate.name for k in state.kept] == ["test_label_cheap", "test_label_expensive"]
    assert state.kept[1].new_branches >= 1
    assert {r.name: r.reason for r in state.rejected} == {
        "test_label_cheap_again": "no-new-coverage",
        "test_average_of_no_values": "possible-bug",
        "test_discount_wrong": "fails",
    }
    [bug] = state.bugs
    assert bug.exception.startswith("ZeroDivisionError") and bug.line == 8
    assert bug.inputs == "values=[]" and bug.function == "average"
    source, dropped = verified_file(state, run)
    assert source is not None and dropped == []
    assert source.index("from shop.pricing import label") < source.index("def test_label_cheap")
    assert source.count("from shop.pricing import label") == 1


def test_a_test_that_passes_once_is_flaky(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    flag = tmp_path / "flag"
    flag.write_text("pass")
    flaky = candidate(
        "test_label_depends_on_a_file",
        f"""\
        def test_label_depends_on_a_file():
            # Given a file that says pass
            # When it is read
            # Then the label is cheap
            assert open({str(flag)!r}).read() == "pass" and label(1) == "cheap"
        """,
    )
    run = _runner(project)
    calls = []

    def run_then_flip(source: str):
        calls.append(source)
        result = run(source)
        flag.write_text("fail")
        return result

    state = ModuleState(spec=ModuleSpec(module="shop.pricing", file="shop/pricing.py"))
    judge(state, flaky, run_then_flip)
    assert len(calls) == 2 and state.kept == []
    assert [(r.reason, r.detail) for r in state.rejected] == [("flaky", "passed once, then failed")]


def test_render_file_sorts_and_deduplicates_imports() -> None:
    text = render_file("shop.pricing", [LABEL_CHEAP, AVERAGE_OF_NOTHING, LABEL_EXPENSIVE])
    head = text.split("\n\n\n")[0].splitlines()
    assert head[2:] == ["from shop.pricing import average", "from shop.pricing import label"]
    assert text.count("def test_") == 3
    compile(text, "test_shop_pricing.py", "exec")


def test_baseline_runs_the_projects_own_tests(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    assert find_tests(project) == ["tests/test_pricing.py"]
    spec = ModuleSpec(module="shop.pricing", file="shop/pricing.py")
    baseline, coverage = measure_baseline(project, project, [spec], 120)
    assert baseline.status == "ok" and baseline.tests_found == 1, baseline.reason
    pricing = coverage["shop.pricing"]
    assert 4 in pricing.lines and 8 not in pricing.lines
    assert pricing.statements == 12 and pricing.branches_total == 6
    assert not list(project.rglob(".coverage*")) and not list(project.rglob("__pycache__"))


# --------------------------------------------------------------------------- the flow


async def generate(client: Client, target: Path, **params) -> tuple[object, dict]:
    request = TestGenerationRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


async def test_test_generation_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    project = make_project(tmp_path / "p")
    result, progress = await generate(client, project, engines=["ast", "llm"])
    assert result.status == "completed" and progress["stage"] == "done"
    assert result.kept >= 3 and result.rejected["no-new-coverage"] >= 1
    assert result.rejected["possible-bug"] == 1
    assert result.llm.status == "skipped" and result.llm.reason == "ANTHROPIC_API_KEY is not set"
    rows = {row.module: row for row in result.coverage}
    assert rows["shop.pricing"].before < rows["shop.pricing"].after
    assert rows["shop.text"].kept == 0

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["workflow"] == "test-generation" and report["baseline"]["status"] == "ok"
    [bug] = report["findings"]
    assert bug["category"] == "possible-bug" and bug["file"] == "shop/pricing.py"
    assert bug["line"] == 8 and "ZeroDivisionError" in bug["message"]
    assert "average(values=[])" in bug["message"]
    pricing = next(r for r in report["coverage"] if r["module"] == "shop.pricing")
    assert pricing["before"]["lines_covered"] < pricing["after"]["lines_covered"]
    assert "subprocess" in report["isolation"]
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Coverage" in markdown and "| `shop.pricing` |" in markdown

    [test_file] = result.test_files
    assert Path(test_file).name == "test_shop_pricing.py"
    assert (project / "tests").is_dir() and not (project / "tests" / "attune_generated").exists()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and f"{result.kept} passed" in done.stdout, done.stdout


def test_cli_selects_a_function_and_applies_to_a_branch(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    project = make_project(tmp_path / "p")
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run(
        [*git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], check=True
    )
    bad = attune(cli_env, "workflow", "run", "test-generation", str(project), "--param",
                 "target=pricing:nothing")  # fmt: skip
    assert bad.returncode == 2 and "matches no module or function" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1

    out = tmp_path / "out"
    done = attune(
        cli_env, "workflow", "run", "test-generation", str(project), "--json", "--apply",
        "--out", str(out), "--param", "target=shop.pricing:label", "--param", "engines=ast",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["module"] for r in report["coverage"]] == ["shop.pricing"]
    assert report["applied"]["status"] == "committed"
    branch = report["applied"]["branch"]
    listed = subprocess.run(
        [*git, "ls-tree", "-r", "--name-only", branch], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "tests/attune_generated/conftest.py" in listed
    assert subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True,
                          check=True).stdout == ""  # fmt: skip
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []
