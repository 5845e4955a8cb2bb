"""code-review: the shared facts (ruff with fix diffs, type checks, the facts cache, the
complexity delta) on their own, then the flow end to end on the real dev server, over
files and over a diff of a git repository the test makes, and as a team agent."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.code_facts.diff import branch_change
from activities.code_facts.facts import file_facts
from activities.code_facts.lint import RuleSet, apply_edits, run_lint
from activities.code_facts.metrics import function_metrics
from activities.code_facts.typecheck import find_checker, type_check, type_checked_by, type_findings
from activities.code_review.activities import CodeReviewActivities
from activities.code_review.analysis import (
    complexity_delta,
    duplication_findings,
    rising_complexity,
)
from activities.code_review.rules import RULES
from activities.quality_checks.dedupe import dedupe
from activities.release_prep import decision
from activities.reports import FINDINGS
from starter import runner
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_bug_predict import GitRepo
from tests.test_cli import attune
from tests.test_refactor_plan import INVOICES, ORDERS
from worker import running_worker
from workflows.code_review.models import CodeReviewRequest, ReviewBatch
from workflows.registry import registry
from workflows.schemas import AgentInput, AgentResult, Finding
from workflows.wire import CODE_REVIEW_AGENT, PROGRESS_QUERY, TASK_QUEUE

ENTRY = registry().flows["code-review"]

BUGGY = textwrap.dedent(
    """\
    import os


    def add(item, items=[]):
        items.append(item)
        return items


    def greet(name):
        return f"hello {nme}"


    def check(flag):
        if not flag:
            assert False, "flag must be set"
    """
)
CLEAN = "def double(x):\n    return 2 * x\n"


def _branchy(extra: int) -> str:
    """A function whose complexity grows with `extra` (one branch each)."""
    body = "".join(f"    if kind == {n}:\n        return {n}\n" for n in range(extra))
    return f"def route(kind):\n{body}    return -1\n"


# --------------------------------------------------------------------------- ruff


def test_lint_gives_ruff_fixes_as_diffs_that_apply(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nexclude = ["*"]\n')  # ignored
    (tmp_path / "m.py").write_text(BUGGY)
    found = {lint.code: lint for lint in run_lint(tmp_path, ["m.py"], RULES)}
    assert {"F401", "B011", "F821"} <= set(found), found
    assert "B006" not in found, "B006 is strict only (measured on Django)"
    assert found["F821"].fix_diff is None and RULES.rate("F821").severity == "high"
    diff = found["F401"].fix_diff
    assert diff is not None and diff.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "-import os\n" in diff
    subprocess.run(
        ["git", "apply", "--check", "-"], input=diff, text=True, cwd=tmp_path, check=True
    )
    subprocess.run(["git", "apply", "-"], input=diff, text=True, cwd=tmp_path, check=True)
    assert "import os" not in (tmp_path / "m.py").read_text()
    strict = {lint.code: lint for lint in run_lint(tmp_path, ["m.py"], RULES, "strict")}
    assert "def add(item, items=None):" in (strict["B006"].fix_diff or "")


def test_a_file_that_does_not_parse_is_one_correctness_finding(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n    pass\n\nx = (\n")
    (found,) = run_lint(tmp_path, ["broken.py"], RULES)
    assert (found.code, found.line) == ("invalid-syntax", 1)
    assert RULES.rate(found.code).severity == "high"
    assert run_lint(tmp_path, ["broken.py"], dataclasses.replace(RULES, syntax_errors=False)) == []


def test_apply_edits_handles_several_edits_from_the_end() -> None:
    text = "ab\ncd\n"

    def edit(content: str, start: tuple[int, int], end: tuple[int, int]) -> dict:
        return {
            "content": content,
            "location": {"row": start[0], "column": start[1]},
            "end_location": {"row": end[0], "column": end[1]},
        }

    edits = [edit("X", (1, 1), (1, 2)), edit("", (2, 1), (3, 1))]
    assert apply_edits(text, edits) == "Xb\n"


def test_default_profile_leaves_noisy_rules_out_and_strict_turns_them_on(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import functools\n\n\ndef make(value=functools.partial(int)):\n"
        "    return list(zip([value], [1]))\n"
    )
    default = {lint.code for lint in run_lint(tmp_path, ["m.py"], RULES)}
    strict = {lint.code for lint in run_lint(tmp_path, ["m.py"], RULES, "strict")}
    assert "B008" not in default and "B905" not in default
    assert {"B008", "B905"} <= strict


def test_thresholds_flag_outliers_by_default_and_more_in_strict(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(_branchy(12))  # complexity 13
    default = {lint.code for lint in run_lint(tmp_path, ["m.py"], RULES)}
    strict = {lint.code for lint in run_lint(tmp_path, ["m.py"], RULES, "strict")}
    assert "C901" not in default and "C901" in strict
    (tmp_path / "m.py").write_text(_branchy(16))
    assert "C901" in {lint.code for lint in run_lint(tmp_path, ["m.py"], RULES)}


def test_rule_rating_is_by_longest_prefix() -> None:
    table = RuleSet(
        select=("X",),
        strict=("X",),
        meta={"X": RULES.fallback, "X1": RULES.rate("F821")},
        fallback=RULES.fallback,
    )
    assert table.rate("X12") == RULES.rate("F821")
    assert table.rate("X2") == RULES.fallback
    assert table.rate("Y") == RULES.fallback
    assert RULES.rate("B006").category == "correctness"
    assert RULES.rate("C901").category == "maintainability"
    assert RULES.rate("SIM102").category == "clarity"
    assert RULES.rate("PLW0120").category == "correctness"
    assert RULES.rate("PLW1514").category == "clarity", "strict-only rules rate low"


# --------------------------------------------------------------------------- types


def test_type_check_says_skipped_without_a_checker(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x: int = 'a'\n")
    empty = tmp_path / "bin"
    empty.mkdir()
    checked = type_check(tmp_path, ["m.py"], search_path=str(empty))
    assert checked.status == "skipped" and checked.errors == []
    assert "no type checker" in checked.reason


def test_type_check_with_mypy(tmp_path: Path) -> None:
    checker = find_checker()
    if checker is None or checker[0] != "mypy":
        pytest.skip("mypy is not installed on this machine")
    (tmp_path / "m.py").write_text("def f(x: int) -> str:\n    return x\n\n\nf('a')\n")
    (tmp_path / "ok.py").write_text(CLEAN)
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = not_installed.plugin\n")  # ignored
    checked = type_check(tmp_path, ["m.py", "ok.py"])
    assert checked.status == "ok" and checked.tool == "mypy", checked.reason
    assert [(e.file, e.line, e.code) for e in checked.errors] == [
        ("m.py", 2, "return-value"),
        ("m.py", 5, "arg-type"),
    ]
    assert not (tmp_path / ".mypy_cache").exists()


def test_type_errors_need_a_configured_checker_outside_strict(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the search for a configuration stops here
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("def f(x: int) -> str:\n    return x\n")
    checked, found = type_findings(package, ["m.py"], "correctness")
    assert (checked.status, found) == ("skipped", [])
    assert "configures no type checker" in checked.reason
    (tmp_path / "pyproject.toml").write_text("[tool.mypy]\nwarn_unused_ignores = true\n")
    assert type_checked_by(package) == str(tmp_path / "pyproject.toml")
    checker = find_checker()
    if checker is None:
        return  # the skip above is what a worker without a checker reports anyway
    checked, found = type_findings(package, ["m.py"], "correctness")
    assert checked.status == "ok", checked.reason
    assert [(f.tool, f.category, f.line) for f in found] == [(checker[0], "correctness", 2)]


# --------------------------------------------------------------------------- the cache


def test_facts_are_cached_per_content(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text(BUGGY)
    (tree / "b.py").write_text(CLEAN)
    (tree / "bin.py").write_bytes(b"\0\1\2")
    cache = tmp_path / "cache.sqlite"
    files = ["a.py", "b.py", "bin.py"]
    first = file_facts(tree, files, RULES, "default", cache)
    assert (first.hits, first.misses) == (0, 2)
    assert [s.reason for s in first.skipped] == ["binary"]
    again = file_facts(tree, files, RULES, "default", cache)
    assert (again.hits, again.misses) == (2, 0)
    assert again.facts == first.facts
    (tree / "b.py").write_text(CLEAN + "\n\ndef half(x):\n    return x / 2\n")
    edited = file_facts(tree, files, RULES, "default", cache)
    assert (edited.hits, edited.misses) == (1, 1)
    assert edited.facts[1].metrics.functions == 2
    strict = file_facts(tree, files, RULES, "strict", cache)
    assert strict.misses == 2, "another rule selection is another cache entry"


# --------------------------------------------------------------------------- complexity


def test_complexity_delta_per_function() -> None:
    base = _branchy(2) + "\n\ndef gone():\n    return 1\n"
    head_source = _branchy(11) + "\n\ndef new(a):\n    return a or 1\n"
    head = function_metrics(head_source, "m.py")
    delta = complexity_delta("m.py", "M", base, head)
    by_name = {f.name: f for f in delta.functions}
    assert (by_name["route"].base, by_name["route"].head, by_name["route"].change) == (3, 12, 9)
    assert (by_name["gone"].base, by_name["gone"].head) == (1, None)
    assert (by_name["new"].base, by_name["new"].head) == (None, 2)
    assert (delta.base, delta.head) == (4, 14)
    rising = rising_complexity(delta, head_source.splitlines())
    assert [(f.rule_id, f.line) for f in rising] == [("ATNR001", 1)]
    assert "from 3 to 12" in rising[0].message
    born = complexity_delta("m.py", "A", None, head)
    assert rising_complexity(born, head_source.splitlines()) == [], "C901 speaks for new code"
    added = complexity_delta("m.py", "A", None, head)
    assert added.base is None and all(f.base is None for f in added.functions)


def test_branch_change_counts_only_the_branch(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("start", {"a.py": CLEAN, "b.py": CLEAN})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", {"a.py": CLEAN + "\n\ndef more():\n    return 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main moves on", {"b.py": "VALUE = 2\n"})
    change = branch_change(repo.path, "main", "feature")
    assert [(c.file, c.lines) for c in change.files] == [("a.py", [3, 4, 5, 6])]
    assert change.base_ref == "merge-base of feature with main"
    assert change.base == repo.git("rev-parse", "main~1").strip()
    assert branch_change(repo.path, "main~1", "feature").base_ref == "main~1"


# --------------------------------------------------------------------------- teams


def _finding(rule: str, tool: str, line: int = 4, **extra: object) -> Finding:
    values = {
        "rule_id": rule,
        "tool": tool,
        "tools": [tool],
        "category": "bug",
        "severity": "medium",
        "confidence": "high",
        "file": "m.py",
        "line": line,
        "message": rule,
        **extra,
    }
    return Finding.model_validate(values)


def test_quality_checks_dedupe_across_checks() -> None:
    found = [
        ("code-review", _finding("B006", "ruff", fix_diff="--- a/m.py\n")),
        ("bug-predict", _finding("ATNB001", "attune", severity="high")),
        ("code-review", _finding("S110", "ruff", line=9, cwe=390)),
        ("bug-predict", _finding("ATNB007", "attune", line=9, cwe=390)),
        ("security-audit", _finding("S110", "ruff", line=9, cwe=390)),
        ("code-review", _finding("F401", "ruff", line=1)),
        ("performance-audit", _finding("F401", "ruff", line=1)),
        ("code-review", _finding("C901", "ruff", line=12)),
        ("code-review", _finding("C901", "ruff", line=12, column=5)),
        ("code-review", _finding("F841", "ruff", line=4)),
    ]
    merged = dedupe(found)
    by_line: dict[int, list[dict]] = {}
    for entry in merged:
        by_line.setdefault(entry["line"], []).append(entry)
    (default,) = [e for e in by_line[4] if e["rule_id"] != "F841"]
    assert default["checks"] == ["code-review", "bug-predict"]
    assert default["rule_id"] == "ATNB001" and default["severity"] == "high"
    assert default["fix_diff"] == "--- a/m.py\n" and default["related_rules"] == ["ruff/B006"]
    assert {"ruff", "attune"} == set(default["tools"])
    assert len(by_line[9]) == 1 and len(by_line[9][0]["checks"]) == 3
    assert len(by_line[1]) == 1 and by_line[1][0]["checks"] == ["code-review", "performance-audit"]
    assert len(by_line[12]) == 2, "one check's two findings stay two"
    assert len(merged) == 6


def test_quality_checks_dedupe_keeps_an_issue_open_that_one_check_left_open() -> None:
    suppressed = _finding("ATNB001", "attune", severity="high", suppressed="inline: # noqa")
    (merged,) = dedupe([("bug-predict", suppressed), ("code-review", _finding("B006", "ruff"))])
    assert merged["rule_id"] == "B006" and merged["suppressed"] is None
    assert merged["check"] == "code-review"
    assert merged["checks"] == ["bug-predict", "code-review"]
    (quiet,) = dedupe([("bug-predict", suppressed)])
    assert quiet["suppressed"] == "inline: # noqa"


def _team(**review: object) -> dict[str, AgentResult]:
    team = {
        "security": AgentResult(
            role="security", status="ok", summary="", data={"counts": {"critical": 0, "high": 0}}
        ),
        "testing": AgentResult(
            role="testing", status="ok", summary="", data={"coverage_percent": 90.0}
        ),
        "version": AgentResult(role="version", status="ok", summary=""),
        "docs": AgentResult(role="docs", status="ok", summary=""),
    }
    team["review"] = AgentResult(
        role="review", status="ok", summary="3 review findings", data=review
    )
    return team


def test_release_decision_reads_review_findings_as_warnings() -> None:
    fine = decision.recommend(_team(counts={"medium": 2, "low": 1}, high_correctness=0))
    assert fine.verdict == "go"
    assert fine.warnings == ["review: 3 code-review finding(s): 3 review findings"]
    clean = decision.recommend(_team(counts={"medium": 0}, high_correctness=0))
    assert clean.verdict == "go" and clean.warnings == []
    broken = decision.recommend(_team(counts={"high": 1}, high_correctness=1))
    assert broken.verdict == "no-go"
    assert broken.blockers == ["review: 1 high-severity correctness finding(s)"]


def test_release_decision_warns_on_serious_bug_patterns_and_never_blocks() -> None:
    team = _team(counts={}, high_correctness=0)
    summary = "2 bug patterns, 5 hotspots"
    team["bugs"] = AgentResult(
        role="bugs", status="ok", summary=summary, data={"counts": {"high": 2, "low": 1}}
    )
    serious = decision.recommend(team)
    assert serious.verdict == "go"
    assert serious.warnings == [f"bugs: 2 critical or high bug pattern(s): {summary}"]
    team["bugs"] = AgentResult(role="bugs", status="ok", summary="", data={"counts": {"low": 3}})
    assert decision.recommend(team).warnings == []


# --------------------------------------------------------------------------- the flow


def review_repo(path: Path) -> GitRepo:
    """Two commits: the first with an old bug in `old.py`, the second edits `app.py`
    (a new bug, a more complex `route`) and leaves `old.py` alone."""
    repo = GitRepo(path)
    repo.commit(
        "start",
        {
            "pkg/__init__.py": "",
            "pkg/old.py": BUGGY,
            "pkg/app.py": _branchy(9) + "\n\ndef helper(x):\n    return x\n",
            "README.md": "# demo\n",
        },
    )
    repo.commit(
        "grow route, add a bug",
        {
            "pkg/app.py": _branchy(12)
            + "\n\ndef helper(x):\n    return x\n\n\ndef fresh(v, seen=[]):\n"
            "    seen.append(v)\n    return undefined_name\n",
            "README.md": "# demo\nmore\n",
        },
    )
    return repo


async def review(client: Client, target: Path, **params) -> tuple[object, dict]:
    request = CodeReviewRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


async def test_code_review_of_files_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = review_repo(tmp_path / "repo")
    result, progress = await review(client, repo.path, batch_size=2, chunk_size=1)
    assert result.status == "completed" and result.mode == "files"
    assert result.summary.files_scanned == 3
    assert progress["stage"] == "done"
    findings = ArtifactStore().get(result.findings, FINDINGS)
    rules = {(f.rule_id, f.file) for f in findings}
    assert {("B011", "pkg/old.py"), ("F821", "pkg/old.py"), ("F401", "pkg/old.py")} <= rules
    assert ("F821", "pkg/app.py") in rules and "B006" not in {rule for rule, _ in rules}
    b011 = next(f for f in findings if f.rule_id == "B011")
    assert b011.category == "correctness" and "raise AssertionError" in (b011.fix_diff or "")
    assert result.high_correctness == 2 and result.fixes >= 2
    assert result.categories["correctness"] >= 3
    assert result.cache_misses == 3 and result.cache_hits == 0
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["mode"] == "files" and report["complexity"] is None
    assert report["llm"]["status"] == "skipped"
    assert report["type_check"]["status"] in ("ok", "skipped")
    assert report["cache"] == {"hits": 0, "misses": 3}
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Review" in markdown and "Suggested fix:" in markdown and "```diff" in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    fixes = [r for r in sarif["runs"][0]["results"] if "fix_diff" in r["properties"]]
    assert len(fixes) == result.fixes

    again, _ = await review(client, repo.path)
    assert (again.cache_hits, again.cache_misses) == (3, 0)
    assert again.usage is not None, "the usage memo counts the content cache too"
    assert (again.usage.scan_cache_hits, again.usage.scan_cache_misses) == (3, 0)
    assert again.summary.findings_total == result.summary.findings_total


async def test_code_review_of_a_diff_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = review_repo(tmp_path / "repo")
    (repo.path / "pkg" / "app.py").write_text("uncommitted = True\n")  # head is reviewed
    result, _ = await review(client, repo.path, base="HEAD~1")
    assert result.mode == "diff" and result.base and result.head
    assert result.summary.files_scanned == 1
    findings = ArtifactStore().get(result.findings, FINDINGS)
    assert {f.file for f in findings} == {"pkg/app.py"}, "old.py did not change"
    rules = sorted(f.rule_id for f in findings)
    assert {"ATNR001", "F821"} <= set(rules)
    assert result.complexity_change == 3 + 1  # route +3, fresh is new (1)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    (app,) = report["complexity"]["files"]
    route = next(f for f in app["functions"] if f["name"] == "route")
    assert (route["base"], route["head"], route["change"]) == (10, 13, 3)
    assert report["change"]["base_ref"] == "HEAD~1"
    assert "## Change in complexity" in Path(result.artifacts["markdown"]).read_text()


async def test_code_review_agent_passes_the_change_through(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = review_repo(tmp_path / "repo")
    async with running_worker(client):
        result = await client.execute_workflow(
            CODE_REVIEW_AGENT,
            AgentInput(
                role="review",
                target=str(repo.path),
                params={"paths": ["pkg/app.py"], "base": "HEAD~1", "max_cost_usd": None},
            ),
            id="code-review-agent-test",
            task_queue=TASK_QUEUE,
            result_type=AgentResult,
        )
    assert result.status == "ok" and result.blockers == []
    assert result.data["mode"] == "diff" and result.data["complexity_change"] == 4
    assert result.data["high_correctness"] == 1
    assert result.report is not None and "review findings" in result.summary

    copy = shutil.copytree(
        repo.path, tmp_path / "head-files", ignore=shutil.ignore_patterns(".git")
    )
    async with running_worker(client):
        outside_git = await client.execute_workflow(
            CODE_REVIEW_AGENT,
            AgentInput(
                role="review",
                target=str(copy),
                params={"paths": ["pkg/app.py"], "base": "HEAD~1", "head": "HEAD"},
            ),
            id="code-review-agent-outside-git",
            task_queue=TASK_QUEUE,
            result_type=AgentResult,
        )
    assert outside_git.status == "ok" and outside_git.data["mode"] == "files"
    assert outside_git.data["high_correctness"] == 1, "app.py reviewed whole"
    report = json.loads(Path(outside_git.data["report"]).read_text())
    assert report["summary"]["files_scanned"] == 1
    assert report["warnings"][0]["code"] == "changes-unknown"


def test_cli_runs_code_review(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    repo = review_repo(tmp_path / "repo")
    out = tmp_path / "reports"
    args = ("workflow", "run", "code-review", str(repo.path), "--json", "--out", str(out))
    done = attune(cli_env, *args)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "report.sarif"}
    report = json.loads(done.stdout)
    assert report["workflow"] == "code-review" and report["summary"]["findings_total"] >= 5
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []

    shown = attune(
        cli_env, "workflow", "run", "code-review", str(repo.path),
        "--param", "base=HEAD~1", "--fail-on", "high",
    )  # fmt: skip
    assert shown.returncode == 3, shown.stderr
    assert "complexity of the changed files: +4" in shown.stdout

    bad = attune(cli_env, "workflow", "run", "code-review", str(repo.path), "--param", "base=nope")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "git does not know the revision 'nope'" in bad.stderr


async def test_analyze_batch_resumes_after_its_last_heartbeated_chunk(tmp_path: Path) -> None:
    repo = review_repo(tmp_path / "repo")
    store = ArtifactStore(tmp_path / "home")
    files = ["pkg/__init__.py", "pkg/app.py", "pkg/old.py"]
    batch = ReviewBatch(
        run_key="wf/run",
        target=str(repo.path),
        files=store.put("runs/wf/run/files.json", files, TypeAdapter(list[str]), len(files)),
        index=0,
        start=0,
        end=len(files),
        chunk_size=1,
    )
    with ThreadPoolExecutor(1) as pool:
        activities = CodeReviewActivities(store, pool)
        first = ActivityEnvironment()
        beats: list = []
        first.on_heartbeat = lambda *details: beats.append(details[0])
        whole = await first.run(activities.analyze_batch, batch)
        assert [b["next_index"] for b in beats] == [1, 2, 3]

        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[1]])
        resumed = await retry.run(activities.analyze_batch, batch)
    assert (whole.resumed_from, resumed.resumed_from) == (0, 2)
    assert resumed.files_analyzed == whole.files_analyzed == 3
    assert store.get(resumed.findings, FINDINGS) == store.get(whole.findings, FINDINGS)


def test_duplicated_blocks_are_findings_on_every_copy(tmp_path: Path) -> None:
    (tmp_path / "orders.py").write_text(ORDERS)
    (tmp_path / "invoices.py").write_text(INVOICES)
    found = duplication_findings(tmp_path, ["invoices.py", "orders.py"])
    assert {(f.rule_id, f.file, f.line, f.end_line) for f in found} == {
        ("ATNR002", "orders.py", 3, 12),
        ("ATNR002", "invoices.py", 3, 12),
    }
    assert all(f.category == "maintainability" for f in found)
    assert "duplicate invoices.py:3-12" in next(f for f in found if f.file == "orders.py").message


def test_blocks_repeated_only_among_tests_are_left_to_strict(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_orders.py").write_text(ORDERS)
    (tmp_path / "tests" / "test_invoices.py").write_text(INVOICES)
    files = ["tests/test_invoices.py", "tests/test_orders.py"]
    assert duplication_findings(tmp_path, files) == []
    assert len(duplication_findings(tmp_path, files, "strict")) == 2
