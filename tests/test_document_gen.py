"""document-gen: style detection, raised exceptions, drafts in each style checked by the
real pydoclint, coverage by interrogate, the reference by griffe and the real pdoc, then
the flow end to end on the real dev server (offline, and with the loopback fake Messages
API) and `--apply` on a git repository the test makes."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.document_gen.activities import DocumentGenActivities
from activities.document_gen.docstrings import (
    DRAFT_MARK,
    DraftTarget,
    draft_targets,
    raised,
    style_votes,
)
from activities.document_gen.measure import coverage_of, measure_chunk, run_pydoclint
from activities.document_gen.patch import build_drafts
from activities.document_gen.reference import (
    html_reference,
    markdown_reference,
    packages,
)
from starter import runner
from tests.conftest import benchmark_module
from tests.fake_anthropic import FakeAnthropic
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_bug_predict import GitRepo
from tests.test_cli import attune
from worker import running_worker
from workflows.document_gen.models import DocBatch, DocumentGenRequest
from workflows.registry import registry
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["document-gen"]

GOOGLE = '''"""Google style."""


def area(width: int, height: int) -> int:
    """Multiply.

    Args:
        width: The width.
        height: The height.

    Returns:
        The area.
    """
    return width * height
'''
NUMPY = '''"""NumPy style."""


def area(width, height):
    """Multiply.

    Parameters
    ----------
    width : int
        The width.
    height : int
        The height.

    Returns
    -------
    int
        The area.
    """
    return width * height
'''
REST = '''"""reST style."""


def area(width, height):
    """Multiply.

    :param width: The width.
    :param height: The height.
    :returns: The area.
    """
    return width * height
'''
UNDOCUMENTED = textwrap.dedent(
    """
    import json
    from collections.abc import Iterator


    def load(path: str, strict: bool = True, *extra: str, **options: int) -> dict:
        if not path:
            raise ValueError("empty path")
        try:
            return json.loads(path)
        except json.JSONDecodeError as err:
            if strict:
                raise err
            raise KeyError(path) from err


    def walk(root) -> Iterator[str]:
        for name in root:
            if name.startswith("."):
                continue
            yield name


    class Store:
        limit: int = 3

        def __init__(self, root: str, size: int = 10) -> None:
            self.root = root

        def get(self, key):
            def helper():
                raise LookupError(key)

            if key is None:
                raise TypeError("key")
            return helper

        @staticmethod
        def make(name: str) -> "Store":
            return Store(name)

        def _private(self):
            return 1


    def route(kind: str, value: int) -> str:
        if kind == "a":
            if value > 1:
                return "big a"
            return "a"
        if kind == "b":
            return "b" if value else "zero b"
        if kind == "c" and value:
            return "c"
        for step in range(value):
            if step % 2:
                return "odd"
        return "other"
    """
).lstrip()
INCONSISTENT = '''"""Docstrings that disagree with their code."""


def scale(value: float, factor: float) -> float:
    """Scale a value.

    Args:
        value: The value.
        ratio: Not a parameter.
    """
    if factor < 0:
        raise ValueError("negative")
    return value * factor
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# --------------------------------------------------------------------------- plain functions


@pytest.mark.parametrize(
    ("source", "style"), [(GOOGLE, "google"), (NUMPY, "numpy"), (REST, "rest")]
)
def test_the_project_style_is_the_one_its_docstrings_use(source: str, style: str) -> None:
    votes = style_votes(ast.parse(source))
    assert votes.style() == style
    assert votes.typed_args(style) == (style == "numpy")


def test_google_is_the_default_and_typed_arguments_are_noticed() -> None:
    assert style_votes(ast.parse("x = 1\n")).style() == "google"
    typed = GOOGLE.replace("width: The", "width (int): The").replace(
        "height: The", "height (int): The"
    )
    assert style_votes(ast.parse(typed)).typed_args("google")


def test_raised_exceptions_are_named_as_pydoclint_names_them() -> None:
    tree = ast.parse(UNDOCUMENTED)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert raised(functions["load"]) == ["KeyError", "ValueError", "json.JSONDecodeError"]
    assert raised(functions["get"]) == [], "pydoclint meets the helper's raise first, counts none"
    assert raised(functions["walk"]) == []
    first = ast.parse(
        "def f(k):\n    if k:\n        raise TypeError\n    def g():\n        raise OSError\n"
    )
    assert raised(first.body[0]) == ["TypeError"], "a nested function's raise is its own"


def test_draft_targets_read_the_signature_returns_yields_and_raises() -> None:
    targets = {
        t.qualname: t
        for t in draft_targets(ast.parse(UNDOCUMENTED), UNDOCUMENTED, "m.py", "public")
    }
    assert set(targets) == {"load", "walk", "Store", "Store.get", "Store.make", "route"}
    load = targets["load"]
    assert [p.name for p in load.params] == ["path", "strict", "*extra", "**options"]
    assert load.params[1].default == "True" and load.returns and not load.yields
    assert targets["walk"].yields and not targets["walk"].returns
    assert [p.name for p in targets["Store"].params] == ["root", "size"], "__init__'s arguments"
    assert [p.name for p in targets["Store.make"].params] == ["name"], "no self on a staticmethod"
    every = draft_targets(ast.parse(UNDOCUMENTED), UNDOCUMENTED, "m.py", "all")
    assert {"Store._private", "Store.get.helper"} <= {t.qualname for t in every}
    assert "Store.__init__" not in {t.qualname for t in every}
    assert draft_targets(ast.parse(UNDOCUMENTED), UNDOCUMENTED, "m.py", "none") == []


@pytest.mark.parametrize("style", ["google", "numpy", "rest"])
@pytest.mark.parametrize("typed", [False, True])
def test_drafts_in_each_style_pass_pydoclint(tmp_path: Path, style: str, typed: bool) -> None:
    root = write(tmp_path, {"pkg/mod.py": UNDOCUMENTED})
    measured = measure_chunk(
        str(root), ["pkg/mod.py"], style=style, typed=typed, drafts="all", interrogate={}
    )
    outcome = build_drafts(root, measured.drafts, style, typed, {})
    assert outcome.drafted == len(measured.drafts) == 8
    assert outcome.violations == [], outcome.violations
    assert outcome.patch.startswith("--- a/pkg/mod.py\n+++ b/pkg/mod.py\n")
    added = [line[1:] for line in outcome.patch.splitlines() if line.startswith("+")][1:]
    removed = [line for line in outcome.patch.splitlines() if line.startswith("-")][1:]
    assert removed == [], "inserting docstrings changes no existing line"
    assert sum(DRAFT_MARK in line for line in added) == 8
    assert (root / "pkg/mod.py").read_text() == UNDOCUMENTED, "the source is left as it was"


def test_a_draft_says_what_the_code_shows() -> None:
    root_tree = ast.parse(UNDOCUMENTED)
    [load] = [
        t for t in draft_targets(root_tree, UNDOCUMENTED, "m.py", "public") if t.qualname == "load"
    ]
    from activities.document_gen.docstrings import render

    text = render(load, "google", False)
    assert text.splitlines()[0] == f"{DRAFT_MARK} say what `load` does."
    assert "    strict: TODO(attune draft). Defaults to `True`." in text
    assert "Raises:\n    KeyError:" in text and "json.JSONDecodeError:" in text


def test_pydoclint_reports_what_disagrees_with_the_code(tmp_path: Path) -> None:
    root = write(tmp_path, {"scale.py": INCONSISTENT})
    codes = {(v.code, v.line) for v in run_pydoclint(root, ["scale.py"], "google", False)}
    assert {("DOC103", 4), ("DOC201", 4), ("DOC501", 4)} <= codes
    measured = measure_chunk(
        str(root), ["scale.py"], style="google", typed=False, drafts="public", interrogate={}
    )
    consistency = [f for f in measured.findings if f.category == "docstring-consistency"]
    assert {f.rule_id for f in consistency} >= {"DOC103", "DOC201", "DOC501"}
    assert all(f.file == "scale.py" and f.line == 4 and f.fingerprint for f in consistency)
    assert measured.drafts == [], "a docstring that exists is reported, not redrafted"


def test_coverage_follows_interrogate(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"good.py": GOOGLE, "bare.py": UNDOCUMENTED, "pyproject.toml": ""},
    )
    by_file = {c.file: c for c in coverage_of(root, ["good.py", "bare.py"], {})}
    assert (by_file["good.py"].total, by_file["good.py"].covered) == (2, 2)
    bare = by_file["bare.py"]
    assert bare.covered == 0 and bare.total == 10
    assert {"module", "class", "function", "method"} == {m.kind for m in bare.missing}
    lenient = coverage_of(root, ["bare.py"], {"ignore_module": True, "ignore_semiprivate": True})[0]
    assert lenient.total == len(lenient.missing) == 8


def test_reference_markdown_is_static_and_html_comes_from_pdoc(tmp_path: Path) -> None:
    root = write(
        tmp_path / "src",
        {
            "shapes/__init__.py": '"""Shapes."""\n',
            "shapes/area.py": GOOGLE,
            "broken/__init__.py": '"""Fails on import."""\nraise RuntimeError("no import")\n',
            "tests/test_x.py": "def test_x():\n    pass\n",
        },
    )
    found = packages(
        root, ["shapes/__init__.py", "shapes/area.py", "broken/__init__.py", "tests/test_x.py"]
    )
    assert [p.name for p in found] == ["broken", "shapes"]
    md = markdown_reference(found, "google", tmp_path / "md")
    assert md.warnings == [] and md.modules == 3
    area = (tmp_path / "md" / "shapes.area.md").read_text()
    assert "## `area(width: int, height: int) -> int`" in area
    assert "| `width` | int | The width. |" in area
    html = html_reference([p for p in found if p.name == "shapes"], tmp_path / "html", 120)
    assert html.warnings == []
    assert {Path(p).name for p in html.html} >= {"shapes.html", "area.html"}
    failed = html_reference(found, tmp_path / "html2", 120)
    assert failed.warnings and any("broken" in w.message for w in failed.warnings)


# --------------------------------------------------------------------------- the flow

PROJECT = {
    "lib/shapes/__init__.py": '"""Shapes."""\n',
    "lib/shapes/area.py": GOOGLE,
    "lib/shapes/store.py": UNDOCUMENTED,
    "lib/shapes/scale.py": INCONSISTENT,
}


async def document(client: Client, target: Path, **params: Any):
    async with running_worker(client):
        handle = await runner.start_workflow(
            client, ENTRY, DocumentGenRequest(target=str(target), **params)
        )
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


async def test_document_gen_offline_end_to_end_with_apply(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial import", PROJECT)
    before = snapshot(repo.path)
    result, progress = await document(
        client, repo.path / "lib", apply=True, batch_size=2, chunk_size=1
    )
    assert result.status == "completed"
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 7
    assert result.style == "google" and result.style_source == "detected"
    assert result.drafted == 6 and result.draft_violations == 0 and result.drafted_by_llm == 0
    assert (result.coverage.total, result.coverage.covered) == (15, 5)
    applied = result.applied
    assert applied.status == "committed"
    assert applied.branch == f"attune/docstrings-{result.run_id.replace('-', '')[-8:]}"
    committed = repo.git("show", f"{applied.branch}:lib/shapes/store.py")
    assert committed.count(DRAFT_MARK) == 6
    assert snapshot(repo.path) == before, "the working tree is untouched"

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["workflow"] == "document-gen"
    assert report["llm"] == {
        **report["llm"],
        "status": "skipped",
        "reason": "ANTHROPIC_API_KEY is not set",
    }
    assert report["coverage"]["percent"] == 33.3
    assert {m["file"] for m in report["coverage"]["modules"]} == {
        "shapes/__init__.py", "shapes/area.py", "shapes/store.py", "shapes/scale.py",
    }  # fmt: skip
    assert report["drafts"]["pydoclint_violations"] == 0
    assert report["skipped"] == [] and report["warnings"] == []
    assert report["reference"]["modules"] == 4 and report["reference"]["html"]
    assert Path(report["reference"]["markdown"], "shapes.area.md").is_file()
    assert Path(report["reference"]["html"], "shapes", "area.html").is_file()
    assert Path(result.artifacts["patch"]).read_text() == report["drafts"]["patch"]
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert rules >= {"DOC103", "DOC201", "DOC501"}
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert (
        "## Docstring coverage" in markdown and "```diff" in markdown and applied.branch in markdown
    )


def answer_docstrings(fake: FakeAnthropic) -> None:
    """Answer every summary prompt for exactly the drafts it carries."""

    def respond(body: dict[str, Any]) -> None:
        ids = re.findall(r'"id": "([^"]+)"', body["messages"][0]["content"])
        items = [
            {
                "id": key,
                "summary": f"Handle {key.split('::')[1].split('#')[0]} for the caller",
                "params": {"path": "Where the JSON text comes from"},
                "raises": {"ValueError": "If `path` is empty"},
            }
            for key in ids
        ]
        fake.ok(json.dumps({"docstrings": items, "confidence": 0.9}))

    fake.responder = respond


async def test_document_gen_with_claude_writes_marked_summaries(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_anthropic: FakeAnthropic
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    answer_docstrings(fake_anthropic)
    root = write(tmp_path / "plain", PROJECT) / "lib"
    result, _ = await document(client, root, html_reference=False, simple_complexity=4)
    assert result.drafted == result.drafted_by_llm == 6 and result.draft_violations == 0
    models = [r.body["model"] for r in fake_anthropic.messages]
    assert any("haiku" in m for m in models) and any("sonnet" in m for m in models), models
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["llm"]["status"] == "ok" and report["llm"]["cost_usd"] > 0
    patch = report["drafts"]["patch"]
    assert f"{DRAFT_MARK} Handle load for the caller." in patch
    assert "path: Where the JSON text comes from." in patch
    assert "ValueError: If `path` is empty." in patch
    assert result.applied.status == "not-requested" and report["reference"]["html"] is None


def test_cli_json_reports_and_apply_outside_git(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    root = write(tmp_path / "plain", {"m.py": UNDOCUMENTED, "scale.py": INCONSISTENT})
    done = attune(cli_env, "workflow", "run", "document-gen", str(root), "--apply")
    assert done.returncode == 2, done.stderr
    assert "not inside a git repository" in done.stderr
    out = tmp_path / "out"
    done = attune(
        cli_env, "workflow", "run", "document-gen", str(root), "--json", "--out", str(out),
        "--param", "html_reference=false", "--param", "style=numpy",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["workflow"] == "document-gen" and report["style"]["source"] == "request"
    assert report["drafts"]["drafted"] == 6 and report["drafts"]["pydoclint_violations"] == 0
    assert "Parameters\n+    ----------" in (out / "docstrings.patch").read_text()
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []


async def test_measure_batch_resumes_after_its_last_heartbeated_chunk(tmp_path: Path) -> None:
    root = write(tmp_path / "p", PROJECT) / "lib"
    files = ["shapes/__init__.py", "shapes/area.py", "shapes/scale.py", "shapes/store.py"]
    store = ArtifactStore(tmp_path / "home")
    batch = DocBatch(
        run_key="wf/run",
        target=str(root),
        files=store.put("runs/wf/run/files.json", files, TypeAdapter(list[str]), len(files)),
        index=0,
        start=0,
        end=len(files),
        chunk_size=3,
    )
    with ThreadPoolExecutor(1) as pool:
        activities = DocumentGenActivities(store, pool)
        first = ActivityEnvironment()
        beats: list = []
        first.on_heartbeat = lambda *details: beats.append(details[0])
        whole = await first.run(activities.measure_batch, batch)
        assert [b["next_index"] for b in beats] == [3, 4]

        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[0]])
        resumed = await retry.run(activities.measure_batch, batch)
    assert (whole.resumed_from, resumed.resumed_from) == (0, 3)
    assert resumed.files_analyzed == whole.files_analyzed == 4
    drafts = TypeAdapter(list[DraftTarget])
    assert store.get(resumed.drafts, drafts) == store.get(whole.drafts, drafts)
    assert len(store.get(whole.drafts, drafts)) == 6


# --------------------------------------------------------------------------- the benchmark


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("document_gen")


def test_benchmark_strips_drafts_and_scores_against_the_original(bench, tmp_path: Path) -> None:
    original = GOOGLE + INCONSISTENT.split("\n", 1)[1]
    stripped = bench.strip(original)
    assert '"""Multiply.' not in stripped and '"""Google style."""' in stripped
    root = write(tmp_path, {"m.py": stripped})
    measured = measure_chunk(
        str(root), ["m.py"], style="google", typed=False, drafts="public", interrogate={}
    )
    outcome = build_drafts(root, measured.drafts, "google", False, {})
    assert outcome.violations == []
    drafted = (tmp_path / "m.py").read_text()
    assert drafted == stripped, "build_drafts leaves the file alone; the patch has the drafts"
    targets = {t.qualname: t for t in measured.drafts}
    need = bench.required(targets["scale"])
    assert (need.params, need.returns, need.raises) == ({"value", "factor"}, True, {"ValueError"})
    human = bench.elements(ast.get_docstring(ast.parse(original).body[2]), "google")
    assert human.params == {"value", "ratio"} and not human.returns and not human.raises
    assert bench.completeness(human, need) == 2 / 5, "summary and `value` of five elements"
    counts = bench.Counts()
    counts.add({"value", "factor"}, {"value", "ratio"})
    assert round(counts.f1(), 3) == 0.5
