"""performance-audit: each AST rule against the slow code and its fixed twin, ruff's
families on a sample, then the flow end to end on the dev server and through the CLI."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.performance_audit.activities import PerformanceAuditActivities
from activities.performance_audit.ruff_perf import DEFAULT_RULES, run_ruff
from activities.performance_audit.rules import find_performance_issues
from activities.reports import FINDINGS
from starter import runner
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_cli import attune
from worker import running_worker
from workflows.performance_audit.models import PerfBatch, PerformanceAuditRequest
from workflows.registry import registry
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["performance-audit"]

# rule -> (slow code, its fixed twin)
RULES: dict[str, tuple[str, str]] = {
    "ATNP001": (
        """
        import re

        def words(lines):
            for line in lines:
                yield re.compile(r"\\w+").findall(line)
        """,
        """
        import re

        WORD = re.compile(r"\\w+")

        def words(lines, pattern):
            for line in lines:
                yield WORD.findall(line)
                yield re.findall(pattern, line)
        """,
    ),
    "ATNP002": (
        """
        def known(users, rows):
            names = [u.name for u in users]
            hits = []
            for row in rows:
                if row.user in names:
                    hits.append(row)
            return hits
        """,
        """
        def known(users, rows):
            names = {u.name for u in users}
            kinds = ["a", "b", "c"]
            hits = []
            for row in rows:
                if row.user in names and row.kind in kinds:
                    hits.append(row)
            return hits
        """,
    ),
    "ATNP003": (
        """
        def render(rows):
            out = ""
            for row in rows:
                out += f"<li>{row}</li>"
            return out
        """,
        """
        def render(rows):
            parts = []
            for row in rows:
                parts.append(f"<li>{row}</li>")
            total = 0
            for row in rows:
                total += len(row)
            return "".join(parts), total
        """,
    ),
    "ATNP004": (
        """
        def authors(books):
            for book in books:
                yield Author.objects.get(pk=book.author_id)
        """,
        """
        def authors(books):
            found = Author.objects.in_bulk([b.author_id for b in books])
            for book in books:
                yield found[book.author_id]
        """,
    ),
    "ATNP005": (
        """
        import os

        def absolute(paths):
            for path in paths:
                yield os.path.join(os.getcwd(), path)
        """,
        """
        import os

        def absolute(paths):
            here = os.getcwd()
            for path in paths:
                yield os.path.join(here, path)

        def walk(dirs):
            for d in dirs:
                os.chdir(d)
                yield os.getcwd()
        """,
    ),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_finds_the_slow_code_and_not_its_twin(rule: str) -> None:
    slow, fixed = (textwrap.dedent(code) for code in RULES[rule])
    found = find_performance_issues(slow, "m.py")
    assert [f.rule_id for f in found] == [rule], found
    finding = found[0]
    assert (finding.tool, finding.category) == ("attune", "performance")
    assert finding.fingerprint and finding.snippet and finding.line > 1
    assert "(impact: " in finding.message and "Fix: " in finding.message
    assert find_performance_issues(fixed, "m.py") == []


def test_sqlalchemy_session_query_in_a_loop_is_n_plus_one() -> None:
    code = textwrap.dedent(
        """
        def totals(session, ids):
            for i in ids:
                yield session.query(Order).filter_by(id=i).one()
            rows = session.execute(select(Order))
        """
    )
    assert [(f.rule_id, f.line) for f in find_performance_issues(code, "q.py")] == [("ATNP004", 4)]


def test_len_of_a_module_constant_in_a_loop_is_info() -> None:
    code = textwrap.dedent(
        """
        LIMITS = (1, 2, 3)

        def check(values):
            for v in values:
                if v > len(LIMITS) or sorted(LIMITS)[0] > v:
                    yield v
        """
    )
    found = find_performance_issues(code, "c.py")
    assert [(f.rule_id, f.severity) for f in found] == [("ATNP005", "info"), ("ATNP005", "low")]


def test_unparsable_source_has_no_findings() -> None:
    assert find_performance_issues("def broken(:\n", "b.py") == []


SLOW = textwrap.dedent(
    """
    import asyncio
    import re
    import time


    async def poll(urls):
        time.sleep(1)
        return [u for u in urls]


    def evens(values):
        out = []
        for v in values:
            if v % 2 == 0:
                out.append(v)
        return list([v for v in values]), set([v for v in values])


    def grep(lines):
        for line in lines:
            if re.match("error", line):
                yield line
    """
)


def test_ruff_families_found_on_a_sample(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nlint.select = []\nexclude = ["*"]\n')
    (tmp_path / "slow.py").write_text(SLOW)
    default = {f.rule_id for f in run_ruff(tmp_path, ["slow.py"])}
    assert {"ASYNC251", "C416", "C411", "C403"} <= default, default
    assert "PERF401" not in default and default <= set(DEFAULT_RULES)
    strict = {f.rule_id for f in run_ruff(tmp_path, ["slow.py"], "strict")}
    assert "PERF401" in strict and default <= strict
    perf401 = next(f for f in run_ruff(tmp_path, ["slow.py"], "strict") if f.rule_id == "PERF401")
    assert (perf401.severity, "(impact: loop-overhead)" in perf401.message) == ("info", True)
    finding = next(f for f in run_ruff(tmp_path, ["slow.py"]) if f.rule_id == "ASYNC251")
    assert (finding.tool, finding.category, finding.file) == ("ruff", "performance", "slow.py")
    assert "(impact: blocking-io)" in finding.message and finding.severity == "high"


# --------------------------------------------------------------------------- the flow


def slow_tree(path: Path) -> Path:
    (path / "pkg").mkdir(parents=True)
    (path / "pkg" / "slow.py").write_text(SLOW)
    (path / "pkg" / "fine.py").write_text("def one():\n    return 1\n")
    return path


async def audit(client: Client, target: Path, **params) -> tuple[str, object, dict]:
    request = PerformanceAuditRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return handle.id, result, progress


async def test_performance_audit_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    tree = slow_tree(tmp_path / "tree")
    (tree / "pkg" / "broken.py").write_text("def broken(:\n    pass\n")
    workflow_id, result, progress = await audit(client, tree, batch_size=1, chunk_size=1)
    assert workflow_id.startswith("performance-audit-tree-")
    assert result.status == "completed" and result.profile == "default"
    assert result.summary.files_scanned == 3
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 4
    findings = ArtifactStore().get(result.findings, FINDINGS)
    rules = {f.rule_id for f in findings}
    assert {"ASYNC251", "C416"} <= rules and "ATNP001" not in rules, rules  # strict only
    assert {f.file for f in findings} == {"pkg/slow.py"}
    assert result.impacts["blocking-io"] >= 1

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["workflow"] == "performance-audit" and report["profile"] == "default"
    assert report["llm"]["status"] == "skipped"
    assert report["llm"]["reason"] == "ANTHROPIC_API_KEY is not set"
    assert report["profiling"]["status"] == "skipped"
    assert report["impacts"] == result.impacts
    assert [(w["code"], w["file"], w["line"]) for w in report["warnings"]] == [
        ("unparsable", "pkg/broken.py", 1)
    ]
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Impact" in markdown and "## LLM advice" in markdown
    assert "## Warnings\n\n- pkg/broken.py:1: not valid Python" in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == rules
    tags = {t for r in sarif["runs"][0]["tool"]["driver"]["rules"] for t in r["properties"]["tags"]}
    assert "security" not in tags and "performance" in tags


def test_cli_runs_performance_audit(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    tree = slow_tree(tmp_path / "tree")
    out = tmp_path / "reports" / "performance-audit"
    args = ("workflow", "run", "performance-audit", str(tree), "--json", "--out", str(out))
    done = attune(cli_env, *args)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "report.sarif"}
    report = json.loads(done.stdout)
    assert report["workflow"] == "performance-audit" and report["status"] == "completed"
    assert report["summary"]["findings_total"] >= 3
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []

    strict = attune(
        cli_env, "workflow", "run", "performance-audit", str(tree), "--json",
        "--param", "profile=strict",
    )  # fmt: skip
    assert strict.returncode == 0, strict.stderr
    strict_report = json.loads(strict.stdout)
    assert strict_report["profile"] == "strict"
    assert strict_report["summary"]["findings_total"] > report["summary"]["findings_total"]


async def test_analyze_batch_resumes_after_its_last_heartbeated_chunk(tmp_path: Path) -> None:
    tree = slow_tree(tmp_path / "tree")
    store = ArtifactStore(tmp_path / "home")
    files = ["pkg/fine.py", "pkg/slow.py"]
    batch = PerfBatch(
        run_key="wf/run",
        target=str(tree),
        files=store.put("runs/wf/run/files.json", files, TypeAdapter(list[str]), len(files)),
        index=0,
        start=0,
        end=len(files),
        chunk_size=1,
    )
    with ThreadPoolExecutor(1) as pool:
        activities = PerformanceAuditActivities(store, pool)
        first = ActivityEnvironment()
        beats: list = []
        first.on_heartbeat = lambda *details: beats.append(details[0])
        whole = await first.run(activities.analyze_batch, batch)
        assert [b["next_index"] for b in beats] == [1, 2]

        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[0]])
        resumed = await retry.run(activities.analyze_batch, batch)
    assert (whole.resumed_from, resumed.resumed_from) == (0, 1)
    assert resumed.files_analyzed == whole.files_analyzed == 2
    assert store.get(resumed.findings, FINDINGS) == store.get(whole.findings, FINDINGS)


async def test_an_unchanged_file_is_read_from_the_cache(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    tree = slow_tree(tmp_path / "tree")
    _, first, _ = await audit(client, tree)
    _, again, _ = await audit(client, tree)
    (tree / "pkg" / "fine.py").write_text("def one():\n    return 2\n")
    _, edited, _ = await audit(client, tree)
    counts = [(r.usage.scan_cache_hits, r.usage.scan_cache_misses) for r in (first, again, edited)]
    assert counts == [(0, 2), (2, 0), (1, 1)]
    store = ArtifactStore()
    assert store.get(again.findings, FINDINGS) == store.get(first.findings, FINDINGS)
    report = json.loads(Path(again.artifacts["json"]).read_text())
    assert report["cache"] == {"hits": 2, "misses": 0}
