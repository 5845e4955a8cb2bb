"""bug-predict: each engine on its own, then the flow end to end on the real dev server
and through the CLI, on git repositories the tests make."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.bug_predict.activities import BugPredictActivities
from activities.bug_predict.patterns import find_patterns
from activities.bug_predict.report import RISK_MODEL
from activities.bug_predict.risk import HALF_LIFE_DAYS, freshness, rank_hotspots
from activities.code_facts.history import NoHistory, git_history, is_fix, months_before
from activities.code_facts.kinds import Kind, file_kinds
from activities.code_facts.metrics import file_metrics, function_metrics
from activities.reports import FINDINGS
from starter import runner
from tests.test_cli import attune
from worker import running_worker
from workflows.bug_predict.models import AnalyzeBatch, BugPredictRequest
from workflows.code_facts import FileHistory, FileMetrics
from workflows.registry import registry
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["bug-predict"]

# rule -> (a snippet with the bug, its twin without it)
PATTERNS: dict[str, tuple[str, str]] = {
    "ATNB001": (
        """
        def add(item, items=[]):
            items.append(item)
            return items
        """,
        """
        def count(items=[]):
            return len(items)

        def tagged(tags={}):
            tags = dict(tags)
            tags["seen"] = True
            return tags
        """,
    ),
    "ATNB002": (
        """
        def handlers():
            found = []
            for name in ("a", "b"):
                found.append(lambda: print(name))
            return found
        """,
        """
        def handlers():
            found = []
            for name in ("a", "b"):
                found.append(lambda name=name: print(name))
                found.sort(key=lambda f: name)
            return found
        """,
    ),
    "ATNB003": (
        """
        def same(a, b):
            return a.size == a.size
        """,
        """
        def same(a, b):
            return a.size == b.size or a != a
        """,
    ),
    "ATNB004": (
        """
        def kind(x):
            return x is "text"
        """,
        """
        def kind(x):
            return x is None or x is not True
        """,
    ),
    "ATNB005": (
        """
        def first(items):
            for item in items:
                return item
                print("never")
        """,
        """
        def first(items):
            for item in items:
                if item:
                    return item
                print("sometimes")

        def nothing():
            return
            yield
        """,
    ),
    "ATNB006": (
        """
        def total(list, values):
            return sum(list(values))
        """,
        """
        def total(values, id):
            return sum(values) + id

        def size(values, len=len):
            return len(values)
        """,
    ),
    "ATNB007": (
        """
        def load(path):
            try:
                return open(path).read()
            except Exception:
                pass
        """,
        """
        def load(path):
            try:
                return open(path).read()
            except FileNotFoundError:
                pass

        def close(handle):
            try:
                handle.close()
            except Exception:  # best effort: the handle may be gone already
                pass
        """,
    ),
    "ATNB008": (
        """
        async def save(row):
            return row

        async def main():
            save(1)
        """,
        """
        import asyncio

        async def save(row):
            return row

        async def main():
            await save(1)
            asyncio.create_task(save(2))
        """,
    ),
}


@pytest.mark.parametrize("rule", sorted(PATTERNS))
def test_pattern_finds_the_bug_and_not_its_twin(rule: str) -> None:
    buggy, clean = (textwrap.dedent(code) for code in PATTERNS[rule])
    found = find_patterns(buggy, "m.py")
    assert [f.rule_id for f in found] == [rule], found
    finding = found[0]
    assert (finding.tool, finding.category) == ("attune", "bug")
    assert finding.fingerprint and finding.snippet and finding.line > 1
    assert find_patterns(clean, "m.py") == []


def test_method_called_without_await() -> None:
    code = textwrap.dedent(
        """
        class Store:
            async def flush(self):
                return None

            async def close(self):
                self.flush()
                await self.flush()
        """
    )
    assert [(f.rule_id, f.line) for f in find_patterns(code, "s.py")] == [("ATNB008", 7)]


def test_unparsable_source_has_no_patterns() -> None:
    assert find_patterns("def broken(:\n", "b.py") == []


def test_metrics_per_function_and_file() -> None:
    code = textwrap.dedent(
        """
        def nested(a, b, c):
            if a:
                for x in b:
                    if x:
                        return c
            return None

        def flat(a):
            if a:
                a = 1
            if a:
                a = 2
            if a:
                a = 3
            return a
        """
    )
    metrics = file_metrics(code, "n.py", len(code))
    assert metrics.functions == 2
    assert (metrics.max_complexity, metrics.max_function) == (4, "nested")
    assert metrics.complexity == 8
    assert metrics.max_nesting == 3
    assert [f.nesting for f in function_metrics(code, "n.py")] == [3, 1]
    assert metrics.max_parameters == 3


def test_fix_messages() -> None:
    assert is_fix("Fix crash on empty input")
    assert is_fix("parser: handle tabs (#123)")
    assert is_fix("bugfix: off by one")
    assert not is_fix("Add a prefix option")
    assert not is_fix("Refactor the fixture loader")


def test_months_before_clamps_to_the_month() -> None:
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(moment, 12) == datetime(2025, 3, 31, 12, tzinfo=UTC)


# --------------------------------------------------------------------------- git repos

COMPLEX = textwrap.dedent(
    """
    def route(kind, value, flags):
        if kind == "a":
            if value > {n}:
                return 1
            elif value < 0:
                return 2
        elif kind == "b":
            for flag in flags:
                if flag and value:
                    return 3
        while value > 10:
            value -= 1
        return 0 if value else -1
    """
)
SIMPLE = "def one():\n    return {n}\n"


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, dated: dict[str, str] | None = None) -> str:
        env = {
            **os.environ,
            **(dated or {}),
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.org",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(
        self, message: str, files: dict[str, str], author: str = "Ada", when: datetime | None = None
    ) -> None:
        """`when` dates the commit (author and committer); without it, git's clock does, and
        commits made within one second share their time."""
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)
        self.git("add", "-A")
        stamp = when.isoformat() if when else None
        self.git(
            "-c", "user.name=x", "commit", "-q", "-m", message,
            f"--author={author} <{author.lower()}@example.org>",
            dated={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp} if stamp else None,
        )  # fmt: skip


def churny_repo(path: Path) -> GitRepo:
    """`core/engine.py` is complex, changes often, keeps being fixed and changed last;
    `core/util.py` is as complex but never changes after its first commit; `core/tiny.py`
    is simple and churns. Commits are a minute apart, the last a minute ago."""
    repo = GitRepo(path)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=12)
    repo.commit(
        "initial import",
        {
            "core/engine.py": COMPLEX.format(n=0),
            "core/util.py": COMPLEX.format(n=0).replace("route", "helper"),
            "core/tiny.py": SIMPLE.format(n=0),
            "core/buggy.py": "def add(x, acc=[]):\n    acc.append(x)\n    return acc\n",
        },
        when=start + timedelta(minutes=1),
    )
    for n in range(1, 6):
        at = start + timedelta(minutes=2 * n)
        repo.commit(f"tweak tiny {n}", {"core/tiny.py": SIMPLE.format(n=n)}, when=at)
        repo.commit(
            f"fix: engine edge case #{n}",
            {"core/engine.py": COMPLEX.format(n=n)},
            "Bob",
            when=at + timedelta(minutes=1),
        )
    return repo


def test_history_counts_churn_fixes_and_authors(tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    history = git_history(repo.path / "core", datetime.now(UTC), 12)
    by_file = {h.file: h for h in history.files}
    assert set(by_file) == {"engine.py", "util.py", "tiny.py", "buggy.py"}
    engine = by_file["engine.py"]
    assert (engine.commits, engine.fixes, engine.authors) == (6, 5, 2)
    assert engine.churn == engine.added + engine.deleted > by_file["util.py"].churn
    assert by_file["util.py"].fixes == 0
    assert engine.first_commit is not None
    assert history.commits == 11 and history.fix_commits == 5


def test_history_of_a_folder_without_git(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(NoHistory, match="not inside a git repository"):
        git_history(tmp_path / "plain", datetime.now(UTC), 12)


def test_history_window_leaves_old_commits_out(tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    history = git_history(repo.path, datetime(2001, 1, 1, tzinfo=UTC), 12)
    assert history.commits == 0 and history.files == []


def test_history_of_a_resting_project_ends_at_its_last_commit(tmp_path: Path) -> None:
    """Two years without a commit: the window is the year before the last one."""
    repo = tmp_path / "resting"
    repo.mkdir()
    dated = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2019-06-01T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2019-06-01T12:00:00+00:00",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "dev@example.com"],
        ["config", "user.name", "Dev"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    (repo / "old.py").write_text("def f():\n    return 1\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "-m", "fix: the last change"],
        check=True,
        env=dated,
    )
    history = git_history(repo, datetime(2026, 12, 1, tzinfo=UTC), 12)
    assert history.until == datetime(2019, 6, 1, 12, tzinfo=UTC)
    assert history.commits == 1 and history.fix_commits == 1
    assert [f.file for f in history.files] == ["old.py"]


def test_risk_model_ranks_the_latest_changed_file_first(tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    root = repo.path / "core"
    metrics = [
        file_metrics((root / name).read_text(), name, (root / name).stat().st_size)
        for name in ("engine.py", "util.py", "tiny.py", "buggy.py")
    ]
    history = git_history(root, datetime.now(UTC), 12).files
    ranked = rank_hotspots(metrics, history, [])
    # The last commit changed engine.py, the one before tiny.py; util.py and buggy.py came
    # in with the first commit, and the more complex of the two ranks first.
    assert [h.file for h in ranked] == ["engine.py", "tiny.py", "util.py", "buggy.py"]
    top = ranked[0]
    assert top.score == 100.0, "the window ends at the newest commit, which touched it"
    assert 99 < ranked[1].score < 100 and 99 < ranked[3].score < ranked[1].score
    assert any("fix commits" in r for r in top.reasons)
    assert any(r.startswith("churn") for r in top.reasons)
    assert any(r.startswith("last changed 0 days") for r in top.reasons)
    without_history = rank_hotspots(metrics, None, [])
    assert max(h.score for h in without_history) == 25


def test_risk_model_ends_the_window_at_an_analysed_files_change() -> None:
    """A README or a deleted file changed later does not end the window: the newest change
    among the analysed files does, and scores 100."""
    metrics = [file_metrics("def f(a):\n    return a\n", "a.py", 25)]
    day = datetime(2026, 1, 1, tzinfo=UTC)
    mine = FileHistory(
        file="a.py", commits=1, added=10, deleted=0, fixes=0, authors=1, changed_at=[day]
    )
    others = [
        FileHistory(
            file=name, commits=40, added=900, deleted=100, fixes=30, authors=9,
            changed_at=[day + timedelta(days=3)] * 40, fixed_at=[day + timedelta(days=3)] * 30,
        )
        for name in ("README.md", "gone.py")
    ]  # fmt: skip
    alone = rank_hotspots(metrics, [mine], [])
    assert [h.score for h in alone] == [100.0]
    assert rank_hotspots(metrics, [mine, *others], []) == alone


def test_risk_model_leaves_out_files_without_functions() -> None:
    metrics = [file_metrics("X = 1\n", "consts.py", 6)]
    history = [FileHistory(file="consts.py", commits=9, added=90, deleted=9, fixes=9, authors=3)]
    assert rank_hotspots(metrics, history, []) == []


# --------------------------------------------------------------------------- the flow


async def predict(client: Client, target: Path, **params) -> tuple[str, object, list]:
    request = BugPredictRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return handle.id, result, progress


async def test_bug_predict_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = churny_repo(tmp_path / "repo")
    workflow_id, result, progress = await predict(client, repo.path, batch_size=2, chunk_size=1)
    assert workflow_id.startswith("bug-predict-repo-")
    assert result.status == "completed"
    assert result.history == "ok"
    assert result.hotspots[0].file == "core/engine.py"
    assert result.summary.files_scanned == 4
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 5
    findings = ArtifactStore().get(result.findings, FINDINGS)
    assert [(f.rule_id, f.file) for f in findings] == [("ATNB001", "core/buggy.py")]

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["workflow"] == "bug-predict"
    assert report["hotspots"][0]["file"] == "core/engine.py"
    assert all({"file", "score", "reasons"} <= set(h) for h in report["hotspots"])
    assert report["history"]["status"] == "ok" and report["history"]["fix_commits"] == 5
    assert report["llm"] == {
        **report["llm"],
        "status": "skipped",
        "reason": "ANTHROPIC_API_KEY is not set",
    }
    assert report["warnings"] == []
    assert report["type_check"]["status"] == "skipped", "the repo configures no checker"
    assert "configures no type checker" in report["type_check"]["reason"]
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Hotspots" in markdown and "core/engine.py" in markdown
    assert "Type check skipped: the project configures no type checker" in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["ATNB001"]


async def test_a_second_run_measures_unchanged_files_from_the_content_cache(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = churny_repo(tmp_path / "repo")
    _, first, _ = await predict(client, repo.path, batch_size=2, chunk_size=1)
    assert (first.cache_hits, first.cache_misses) == (0, 8), "metrics and patterns per file"

    _, again, _ = await predict(client, repo.path)
    assert (again.cache_hits, again.cache_misses) == (8, 0)
    assert again.usage is not None, "the usage memo counts the content cache"
    assert (again.usage.scan_cache_hits, again.usage.scan_cache_misses) == (8, 0)
    report = json.loads(Path(again.artifacts["json"]).read_text())
    assert report["cache"] == {"hits": 8, "misses": 0}
    assert report["metrics"] == json.loads(Path(first.artifacts["json"]).read_text())["metrics"]
    assert [h.file for h in again.hotspots] == [h.file for h in first.hotspots]
    store = ArtifactStore()
    assert store.get(again.findings, FINDINGS) == store.get(first.findings, FINDINGS)

    (repo.path / "core" / "tiny.py").write_text(COMPLEX.format(n=9))
    _, edited, _ = await predict(client, repo.path)
    assert (edited.cache_hits, edited.cache_misses) == (6, 2), "a changed file is read anew"
    edited_report = json.loads(Path(edited.artifacts["json"]).read_text())
    assert edited_report["metrics"]["complexity"] > report["metrics"]["complexity"]


async def test_bug_predict_without_git_says_history_skipped(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "mod.py").write_text(COMPLEX.format(n=1))
    _, result, _ = await predict(client, plain)
    assert result.history == "skipped"
    assert "not inside a git repository" in result.history_reason
    assert [h.file for h in result.hotspots] == ["mod.py"]
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["history"]["status"] == "skipped"
    assert report["warnings"][0]["code"] == "history-skipped"
    assert "Git history skipped" in Path(result.artifacts["markdown"]).read_text()


def test_cli_runs_bug_predict(cli_env: dict[str, str], tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    out = tmp_path / "reports" / "bug-predict"
    args = ("workflow", "run", "bug-predict", str(repo.path), "--json", "--out", str(out))
    done = attune(cli_env, *args)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "report.sarif"}
    report = json.loads(done.stdout)
    assert report["workflow"] == "bug-predict" and report["status"] == "completed"
    assert report["hotspots"][0]["file"] == "core/engine.py"
    assert report["summary"]["findings_total"] == 1

    shown = attune(cli_env, "workflow", "run", "bug-predict", str(repo.path), "--fail-on", "medium")
    assert shown.returncode == 3, shown.stderr
    assert "hotspot 1: core/engine.py" in shown.stdout


async def test_analyze_batch_resumes_after_its_last_heartbeated_chunk(tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    store = ArtifactStore(tmp_path / "home")
    files = ["core/buggy.py", "core/engine.py", "core/tiny.py", "core/util.py"]
    batch = AnalyzeBatch(
        run_key="wf/run",
        target=str(repo.path),
        files=store.put("runs/wf/run/files.json", files, TypeAdapter(list[str]), len(files)),
        index=0,
        start=0,
        end=len(files),
        chunk_size=1,
    )
    with ThreadPoolExecutor(1) as pool:
        activities = BugPredictActivities(store, pool)
        first = ActivityEnvironment()
        beats: list = []
        first.on_heartbeat = lambda *details: beats.append(details[0])
        whole = await first.run(activities.analyze_batch, batch)
        assert [b["next_index"] for b in beats] == [1, 2, 3, 4]

        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[1]])
        resumed = await retry.run(activities.analyze_batch, batch)
    assert (whole.resumed_from, resumed.resumed_from) == (0, 2)
    assert resumed.files_analyzed == whole.files_analyzed == 4
    assert store.get(resumed.findings, FINDINGS) == store.get(whole.findings, FINDINGS)


# --------------------------------------------------------------------------- risk model


def changes(
    file: str, days_ago: list[float], fixes: int = 0, now: datetime | None = None
) -> FileHistory:
    """A file's history: one commit per entry of `days_ago`, the first `fixes` of them fixes."""
    now = now or datetime(2026, 6, 1, tzinfo=UTC)
    moments = sorted((now - timedelta(days=d) for d in days_ago), reverse=True)
    return FileHistory(
        file=file, commits=len(moments), added=10 * len(moments), deleted=0,
        fixes=fixes, authors=1, changed_at=moments, fixed_at=moments[:fixes],
    )  # fmt: skip


NOW = datetime(2026, 6, 1, tzinfo=UTC)


def metric(name: str, n: int = 0) -> FileMetrics:
    return file_metrics(COMPLEX.format(n=n), name, 400)


def test_file_kinds_sort_source_support_and_tests() -> None:
    kinds = file_kinds(
        [
            "pkg/__init__.py", "pkg/core.py", "pkg/sub/deep.py", "pkg/tests/test_core.py",
            "tests/helpers.py", "conftest.py", "pkg/core_test.py", "setup.py",
            "docs/conf.py", "examples/demo.py", "pkg/examples/demo.py",
        ]
    )  # fmt: skip
    assert {p for p, k in kinds.items() if k is Kind.SOURCE} == {
        "pkg/__init__.py", "pkg/core.py", "pkg/sub/deep.py",
    }  # fmt: skip
    assert {p for p, k in kinds.items() if k is Kind.TEST} == {
        "pkg/tests/test_core.py", "tests/helpers.py", "conftest.py", "pkg/core_test.py",
    }  # fmt: skip
    assert {p for p, k in kinds.items() if k is Kind.SUPPORT} == {
        "setup.py", "docs/conf.py", "examples/demo.py", "pkg/examples/demo.py",
    }  # fmt: skip
    # Without packages, a loose module is source, not support.
    assert file_kinds(["tool.py", "lib/helpers.py"]) == {
        "tool.py": Kind.SOURCE,
        "lib/helpers.py": Kind.SOURCE,
    }


def test_tests_and_support_files_rank_after_source_whatever_their_scores() -> None:
    metrics = [metric(name) for name in ("pkg/__init__.py", "pkg/quiet.py", "setup.py")]
    metrics.append(metric("tests/test_quiet.py"))
    history = [
        changes("pkg/quiet.py", [200]),
        changes("setup.py", [1, 2, 3], fixes=3),
        changes("tests/test_quiet.py", [0, 0, 1, 1], fixes=4),
    ]
    ranked = rank_hotspots(metrics, history, [])
    assert [h.file for h in ranked] == [
        "pkg/quiet.py", "pkg/__init__.py", "setup.py", "tests/test_quiet.py",
    ]  # fmt: skip
    assert ranked[-1].score > ranked[-2].score > ranked[0].score  # by kind first
    assert ranked[-1].reasons[0].startswith("test file: ranked after")
    assert ranked[-2].reasons[0].startswith("outside the packages")


def test_the_newest_change_decides_over_a_busy_past() -> None:
    """One change yesterday outranks ten fixes two days ago: the order is the last
    change's time; the score halves every HALF_LIFE_DAYS of its age, counted from the
    newest change."""
    metrics = [metric("busy.py"), metric("fresh.py")]
    history = [changes("busy.py", [2] * 10, fixes=10), changes("fresh.py", [1])]
    ranked = rank_hotspots(metrics, history, [])
    assert [h.file for h in ranked] == ["fresh.py", "busy.py"]
    assert freshness(history[0], NOW) == pytest.approx(0.5 ** (2 / HALF_LIFE_DAYS))
    assert ranked[0].score == 100.0
    assert ranked[1].score == pytest.approx(100 * 0.5 ** (1 / HALF_LIFE_DAYS), abs=0.01)
    assert any("last changed 1 day before" in r for r in ranked[1].reasons)
    assert any(r == "10 fix commits" for r in ranked[1].reasons)


def test_a_commit_s_files_rank_by_complexity_and_untouched_files_after() -> None:
    """Fix commits do not lift a file above a more complex one the same commits changed, and
    complexity, not the path, breaks the tie."""
    simple = file_metrics(SIMPLE.format(n=1), "basic.py", 30)
    metrics = [simple, metric("complex.py"), metric("old.py"), metric("older.py", n=3)]
    history = [changes("complex.py", [5, 9]), changes("basic.py", [5, 9], fixes=2)]
    ranked = rank_hotspots(metrics, history, [])
    scores = {h.file: h.score for h in ranked}
    assert [h.file for h in ranked][:2] == ["complex.py", "basic.py"]
    assert scores["complex.py"] == scores["basic.py"] == 100.0
    # Files the window never touched score 0 and still rank, after, by complexity.
    assert [h.file for h in ranked][2:] == ["old.py", "older.py"]
    assert scores["old.py"] == scores["older.py"] == 0.0


def test_an_old_change_ranks_above_none_though_its_score_rounds_to_zero() -> None:
    """Ten months before the newest change, a change's score shows as 0, as no change
    does; the order still puts it above none, and the later of two such changes first,
    whatever the complexity."""
    simple = file_metrics(SIMPLE.format(n=1), "newer.py", 30)
    metrics = [metric("never.py"), metric("older.py"), simple, metric("today.py")]
    history = [changes("older.py", [310]), changes("newer.py", [300]), changes("today.py", [0])]
    ranked = rank_hotspots(metrics, history, [])
    assert [h.file for h in ranked] == ["today.py", "newer.py", "older.py", "never.py"]
    assert [h.score for h in ranked] == [100.0, 0.0, 0.0, 0.0]


def test_history_records_when_each_change_and_fix_was_made(tmp_path: Path) -> None:
    repo = churny_repo(tmp_path / "repo")
    by_file = {h.file: h for h in git_history(repo.path, datetime.now(UTC), 12).files}
    engine = by_file["core/engine.py"]
    assert len(engine.changed_at) == engine.commits == 6
    assert len(engine.fixed_at) == engine.fixes == 5
    assert engine.changed_at == sorted(engine.changed_at, reverse=True)
    assert set(engine.fixed_at) <= set(engine.changed_at)
    assert by_file["core/util.py"].fixed_at == []


def test_report_states_the_risk_model() -> None:
    assert "the most recently changed first, then the most complex" in RISK_MODEL
    assert f"/ {HALF_LIFE_DAYS:g})" in RISK_MODEL
    assert "before tests" in RISK_MODEL
