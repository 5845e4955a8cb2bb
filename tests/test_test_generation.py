"""test-generation: module discovery, the isolation runner and its write guard, the keep
rules, the test file writer and coverage before, then the flow end to end on the dev
server (a small real package with its own tests and a planted bug) and through the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.release_prep.testing import run_test_suite, to_agent_result
from activities.test_generation.activities import (
    ARTIFACTS,
    OUTCOME,
    STATE,
    TestGenerationActivities,
)
from activities.test_generation.baseline import find_tests, measure_baseline
from activities.test_generation.isolation import run_test_file
from activities.test_generation.keep import ModuleState, judge, render_file, verified_file
from activities.test_generation.modules import (
    SelectionError,
    discover_modules,
    infer_import_root,
)
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_cli import attune
from tests.test_crash_resume import start_worker
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.test_generation.candidates import CandidateTest
from workflows.test_generation.models import (
    Coverage,
    EngineRun,
    KeptTest,
    ModuleJob,
    ModuleSpec,
    TestGenerationRequest,
)
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


def test_bad_requests_are_refused_before_the_run(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refusals = {
        "not under import_root": {"import_root": str(elsewhere)},
        "--apply commits to a new git branch": {"apply": True},
    }
    for message, fields in refusals.items():
        request = TestGenerationRequest(target=str(project), **fields)
        with pytest.raises(ValueError, match=message):
            ENTRY.check(request)
    with pytest.raises(ValueError, match="is not `module`"):
        TestGenerationRequest(target=str(project), select="pricing:")
    assert TestGenerationRequest(target=".", engines="ast, llm").engines == ["ast", "llm"]


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
    assert rows["shop.text"].before == 0 and rows["shop.text"].after == 100

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

    names = [Path(f).name for f in result.test_files]
    assert names == ["test_shop_pricing.py", "test_shop_text.py"]
    assert not (project / "tests" / "attune_generated").exists()
    tests_dir = Path(result.artifacts["tests"])
    assert "import pytest" in (tests_dir / "test_shop_pricing.py").read_text()
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("pytest")),
            "-q",
            "-p",
            "no:cacheprovider",
            str(tests_dir),
        ],
        cwd=project,
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


def test_release_testing_agent_reports_the_gaps_it_would_fill(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    # The agent measures coverage where the project configures it (issue 14).
    (project / ".coveragerc").write_text("[run]\nbranch = True\n")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    outcome = run_test_suite(project, 120)
    assert outcome.status == "passed"
    gaps = {g.file: g for g in outcome.gaps}
    assert set(gaps) == {"shop/pricing.py"}  # coverage.py sees only what the tests import
    assert gaps["shop/pricing.py"].functions == ["discount", "average", "label"]
    assert gaps["shop/pricing.py"].missing_branches == 5
    result = to_agent_result(outcome, "testing")
    assert "test-generation would fill gaps in 1 module(s)" in result.summary
    assert result.data["coverage_gaps"][0]["file"] == "shop/pricing.py"
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


async def test_a_retried_module_resumes_after_its_last_decided_candidate(tmp_path: Path) -> None:
    """What a worker killed mid-module left (engines run, one test kept) is where its
    retry starts: no engine runs again, no decided candidate is judged again."""
    project = make_project(tmp_path / "p")
    store = ArtifactStore(tmp_path / "home")
    spec = ModuleSpec(module="shop.pricing", file="shop/pricing.py")
    job = ModuleJob(
        run_key="wf/run", index=0, spec=spec, import_root=str(project),
        project_root=str(project), engines=["ast"], budgets={"ast": 30}, test_timeout_s=30,
        max_candidates=50,
    )  # fmt: skip
    left = ModuleState(
        spec=spec,
        isolation="subprocess + audit-hook write guard (recorded by the first attempt)",
        engines=[EngineRun(engine="ast", status="ok", candidates=2)],
        candidates=[LABEL_CHEAP, LABEL_EXPENSIVE],
        next_index=1,
        kept=[KeptTest(candidate=LABEL_CHEAP, new_lines=99, new_branches=0)],
        covered=Coverage(lines=[1, 7, 11, 12, 14, 15, 16], branches=[(12, 14), (14, 16)]),
    )
    store.put(f"{ARTIFACTS.batch_base('wf/run', 0)}/state.json", left, STATE)
    beats: list = []
    with ThreadPoolExecutor(1) as pool:
        env = ActivityEnvironment()
        env.on_heartbeat = lambda *details: beats.append(details[0])
        summary = await env.run(TestGenerationActivities(store, pool).module, job)
    outcome = store.get(summary.outcome, OUTCOME)
    assert [e.engine for e in outcome.engines] == ["ast"] and outcome.engines[0].candidates == 2
    assert [(k.candidate.name, k.new_lines) for k in outcome.kept] == [
        ("test_label_cheap", 99),
        ("test_label_expensive", 1),
    ]
    assert outcome.isolation.endswith("(recorded by the first attempt)")
    assert outcome.test_file == "test_shop_pricing.py" and beats and beats[-1]["count"] == 2


# --------------------------------------------------------------------------- the LLM loop

WRITTEN = {
    "label": (
        "from shop.pricing import label",
        "def test_label_of_fifty_is_fair():\n    # Given fifty\n    # When labelled\n"
        "    # Then fair\n    assert label(50) == 'fair'\n",
    ),
    "discount": (
        "import pytest\nfrom shop.pricing import discount",
        "def test_discount_refuses_a_negative_percent():\n    # Given a negative percent\n"
        "    # When the discount applies\n    # Then it is refused\n"
        "    with pytest.raises(ValueError):\n        discount(1, -1)\n",
    ),
    "shout": (
        "from shop.text import shout",
        "def test_shout_adds_a_bang():\n    # Given a word\n    # When shouted\n"
        "    # Then upper case and a bang\n    assert shout('hi') == 'HI!'\n",
    ),
}
WRONG_AVERAGE = (
    "from shop.pricing import average",
    "def test_average_is_wrong():\n    # Given two values\n    # When averaged\n"
    "    # Then (wrongly) two\n    assert average([1, 2]) == 2\n",
)


def user_text(body: dict) -> str:
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def write_tests(fake: FakeAnthropic) -> None:
    """Claude's part: a right test for each function, except a wrong one for `average`."""

    def respond(body: dict) -> None:
        user = user_text(body)
        function = user.split("The function `", 1)[1].split("`", 1)[0]
        imports, test = WRITTEN.get(function, WRONG_AVERAGE)
        name = test.split("(", 1)[0].removeprefix("def ")
        answer = {
            "tests": [
                {"name": name, "behaviour": name, "imports": imports.split("\n"), "body": test}
            ],
            "confidence": 0.9,
        }
        fake.ok(json.dumps(answer), usage={"input_tokens": 800, "output_tokens": 150})

    fake.responder = respond


async def test_the_llm_loop_feeds_failures_back_and_escalates_to_opus(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_anthropic: FakeAnthropic
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    write_tests(fake_anthropic)
    project = make_project(tmp_path / "p")
    result, _ = await generate(client, project, engines=["llm"], rounds=3, max_cost_usd=1.0)
    assert result.llm.status == "ok", result.llm.reason
    # Round 1: discount, average, label, shout; label(50) leaves two of its lines, so
    # rounds 2 and 3 ask for average and label, and average's third round is Opus's.
    assert result.llm.calls_by_tier == {"sonnet": 7, "opus": 1} and result.llm.cost_usd > 0
    report = json.loads(Path(result.artifacts["json"]).read_text())
    kept = {r["module"]: r["kept"] for r in report["coverage"]}
    assert kept == {"shop.pricing": 2, "shop.text": 1}
    rejections = report["tests"]["rejections"]["shop.pricing"]
    assert [
        (r["name"], r["reason"], r["engine"]) for r in rejections if "average" in r["name"]
    ] == [
        ("test_average_is_wrong", "fails", "llm"),
        ("test_average_is_wrong_r2", "fails", "llm"),
        ("test_average_is_wrong_r3", "fails", "llm"),
    ]
    prompts = [user_text(m.body) for m in fake_anthropic.messages]
    models = [m.body["model"] for m in fake_anthropic.messages]
    average = [(p, m) for p, m in zip(prompts, models, strict=True) if "`average`" in p]
    assert len(average) == 3 and "opus" in average[2][1] and "sonnet" in average[1][1]
    assert "test_average_is_wrong: fails" in average[1][0]
    assert ">>    8  " in average[0][0]
    pricing = (Path(result.artifacts["tests"]) / "test_shop_pricing.py").read_text()
    assert "def test_label_of_fifty_is_fair" in pricing and "average" not in pricing


async def test_sigkill_mid_module_then_resume(
    client: Client, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A worker killed after a module's first decided candidate: the next worker's retry
    keeps what was decided and judges only the rest."""
    project = make_project(tmp_path / "p")
    home = tmp_path / "home"
    home.mkdir()
    request = TestGenerationRequest(
        target=str(project), select="shop.pricing:label", engines=["ast"], heartbeat_timeout_s=5
    )
    doomed = start_worker(cli_env, home)
    handle = await runner.start_workflow(client, ENTRY, request)
    state_file = home / "runs" / handle.id / handle.result_run_id
    state_file = state_file / "artifacts" / "test-generation" / "batch-00000" / "state.json"

    async def first_decided() -> ModuleState | None:
        if state_file.is_file():
            state = STATE.validate_json(state_file.read_bytes())
            if state.next_index >= 1:
                return state
        # A run that ended before a candidate was decided would leave this wait to hang.
        status = (await handle.describe()).status
        assert status == WorkflowExecutionStatus.RUNNING, f"the run ended first: {status.name}"
        return None

    try:
        at_kill = await until(first_decided, "the module's first decided candidate")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    survivor = start_worker(cli_env, home)
    try:
        result = await handle.result()
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(30)
    assert result.status == "completed" and result.kept >= 1
    final = STATE.validate_json(state_file.read_bytes())
    decided = [k.candidate.name for k in final.kept] + [r.name for r in final.rejected]
    assert len(decided) == len(set(decided)) == len(final.candidates)
    assert final.kept[: len(at_kill.kept)] == at_kill.kept
    assert final.candidates[: len(at_kill.candidates)] == at_kill.candidates
    attempts = [
        e.activity_task_started_event_attributes.attempt
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert max(attempts) >= 2, "the module's activity ran again on the survivor"
