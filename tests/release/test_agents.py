"""The release agents' checks, run for real on a throwaway git repository."""

from __future__ import annotations

import venv
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.release_prep import decision, docs, health, testing, versioning
from activities.release_prep.agents import ReleaseAgentActivities
from activities.release_prep.commits import Commit, suggest_bump
from activities.release_prep.versioning import SemVer
from tests.release.conftest import FAILING_TESTS, Repo
from workflows.schemas import AgentInput, AgentResult

# --- testing -----------------------------------------------------------------------


def test_passing_suite_reports_counts_and_coverage(repo: Repo) -> None:
    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.status == "passed", outcome.output_tail
    assert (outcome.passed, outcome.failed, outcome.errors) == (2, 0, 0)
    assert outcome.coverage_percent is not None and outcome.coverage_percent > 0
    assert not list(repo.path.rglob(".coverage*")), "coverage data must stay out of the target"
    assert not list(repo.path.rglob("__pycache__"))
    result = testing.to_agent_result(outcome, "testing")
    assert result.status == "ok" and not result.blockers


def test_failing_suite_names_the_failing_test(repo: Repo) -> None:
    repo.write("tests/test_broken.py", FAILING_TESTS)

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.status == "failed"
    assert (outcome.passed, outcome.failed) == (2, 1)
    assert [f.nodeid for f in outcome.failures] == [
        "tests/test_broken.py::TestBroken::test_add_is_wrong"
    ]
    result = testing.to_agent_result(outcome, "testing")
    assert "test_add_is_wrong" in result.blockers[0]
    assert result.data["failing"] == ["tests/test_broken.py::TestBroken::test_add_is_wrong"]


def test_no_tests_is_not_a_pass(repo: Repo) -> None:
    (repo.path / "tests" / "test_demo.py").unlink()

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert (outcome.status, outcome.exit_code) == ("not_run", 5)
    assert "no tests were found" in outcome.reason
    result = testing.to_agent_result(outcome, "testing")
    assert result.status == "failed" and "no tests were found" in result.blockers[0]


def test_collection_error_names_the_module(repo: Repo) -> None:
    repo.write("tests/test_import.py", "import not_installed_anywhere\n")

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.status == "not_run" and "collection" in outcome.reason
    assert [f.nodeid for f in outcome.failures] == ["tests/test_import.py"]


def test_timeout_kills_the_suite(repo: Repo) -> None:
    repo.write("tests/test_slow.py", "import time\n\n\ndef test_slow():\n    time.sleep(60)\n")

    outcome = testing.run_test_suite(repo.path, timeout_s=2)

    assert outcome.status == "not_run" and outcome.exit_code is None
    assert "did not finish within 2 s" in outcome.reason
    assert outcome.duration_s < 10


def test_target_venv_without_pytest_says_so(repo: Repo) -> None:
    venv.create(repo.path / ".venv", with_pip=False)

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.interpreter == str(repo.path / ".venv" / "bin" / "python")
    assert outcome.status == "not_run"
    assert outcome.reason.startswith("pytest cannot be imported by ")


# --- versioning --------------------------------------------------------------------


def test_increasing_version_with_conventional_commits(repo: Repo) -> None:
    outcome = versioning.check_version(repo.path)

    assert (outcome.version, outcome.latest_tag, outcome.increases) == ("1.1.0", "v1.0.0", True)
    assert outcome.bump == "minor" and outcome.suggested_bump == "minor"
    assert [c.subject for c in outcome.commits] == [
        "fix: release notes for 1.1.0",
        "feat(calc): multiply numbers",
    ]
    assert outcome.blockers == [] and outcome.warnings == []
    result = versioning.to_agent_result(outcome, "version")
    assert result.data["version"] == "1.1.0" and result.data["commits"][1].startswith("feat")


def test_version_not_increasing_blocks(repo: Repo) -> None:
    repo.set_version("1.0.0")
    repo.commit("chore: oops")

    outcome = versioning.check_version(repo.path)

    assert outcome.increases is False
    assert outcome.blockers == ["version 1.0.0 does not increase over the latest tag v1.0.0"]


def test_invalid_semver_blocks(repo: Repo) -> None:
    repo.set_version("1.1")
    repo.commit("chore: two-part version")

    outcome = versioning.check_version(repo.path)

    assert not outcome.valid_semver
    assert "not valid semver" in outcome.blockers[0]


def test_small_bump_for_a_breaking_change_warns(repo: Repo) -> None:
    repo.set_version("1.1.1")
    repo.commit("refactor: drop the old API\n\nBREAKING CHANGE: add() takes keywords only")

    outcome = versioning.check_version(repo.path)

    assert outcome.suggested_bump == "major" and outcome.bump == "minor"
    assert outcome.blockers == []
    assert "suggest a major bump" in outcome.warnings[0]


def test_dirty_tree_warns(repo: Repo) -> None:
    repo.write("demo/__init__.py", "# edited\n")

    outcome = versioning.check_version(repo.path)

    assert outcome.dirty_files == ["demo/__init__.py"]
    assert outcome.blockers == []
    assert "uncommitted" in outcome.warnings[0]


def test_first_release_without_tags(repo: Repo) -> None:
    repo.git("tag", "-d", "v1.0.0")

    outcome = versioning.check_version(repo.path)

    assert outcome.latest_tag is None and outcome.increases is None
    assert len(outcome.commits) == 3
    assert outcome.blockers == []
    assert outcome.warnings == ["no release tag yet: treating this as the first release"]


def test_non_semver_tag_warns(repo: Repo) -> None:
    repo.git("tag", "-d", "v1.0.0")
    repo.git("tag", "v1.0", "HEAD~1")

    outcome = versioning.check_version(repo.path)

    assert outcome.latest_tag == "v1.0" and outcome.increases is None
    assert outcome.warnings == ["latest tag 'v1.0' is not semver: cannot check the increase"]


def test_version_from_dunder_version(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text('__version__ = "2.0.0-rc.1"\n')

    outcome = versioning.check_version(tmp_path)

    assert (outcome.version, outcome.valid_semver) == ("2.0.0-rc.1", True)
    assert outcome.version_source == "pkg/__init__.py __version__"
    assert not outcome.is_git_repo


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.9.0", "1.10.0"),
    ],
)
def test_semver_precedence(lower: str, higher: str) -> None:
    low, high = SemVer.parse(lower), SemVer.parse(higher)
    assert low is not None and high is not None
    assert low.precedence() < high.precedence()


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0.post1"])
def test_semver_rejects(text: str) -> None:
    assert SemVer.parse(text) is None


@pytest.mark.parametrize(
    ("subjects", "bump"),
    [
        (["feat: a", "fix: b"], "minor"),
        (["fix: b", "perf(db): c"], "patch"),
        (["feat(api)!: d"], "major"),
        (["docs: e", "update things"], "none"),
    ],
)
def test_suggested_bump(subjects: list[str], bump: str) -> None:
    assert suggest_bump([Commit(subject=s) for s in subjects]) == bump


# --- docs --------------------------------------------------------------------------


def test_docs_with_changelog_entry(repo: Repo) -> None:
    outcome = docs.check_docs(repo.path, "1.1.0", [])

    assert outcome.changelog_has_entry is True
    assert outcome.blockers == [] and outcome.warnings == []
    assert outcome.readme == "README.md" and outcome.readme_words >= docs.MIN_README_WORDS
    coverage = outcome.docstrings
    assert (coverage.documented, coverage.total, coverage.percent) == (4, 6, 66.7)
    assert coverage.undocumented == ["demo.multiply", "demo.Calculator.reset"]


def test_docs_missing_changelog_entry_blocks(repo: Repo) -> None:
    outcome = docs.check_docs(repo.path, "1.2.0", [])

    assert outcome.changelog_has_entry is False
    assert outcome.blockers == ["CHANGELOG.md has no entry for 1.2.0"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("## [1.1.0] - 2026-11-01", True),
        ("# v1.1.0", True),
        ("1.1.0 (2026-11-01)\n==================", True),
        ("## 1.1.0rc1", False),
        ("## 11.1.0", False),
        ("Released 1.1.0 soon, not a heading", False),
    ],
)
def test_changelog_entry_matching(text: str, found: bool) -> None:
    assert docs.has_changelog_entry(text, "1.1.0") is found


def test_short_readme_and_low_docstring_coverage_warn(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# x\n")
    (tmp_path / "CHANGELOG.md").write_text("## 0.1.0\n")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "__init__.py").write_text("def a():\n    pass\n")

    outcome = docs.check_docs(tmp_path, "0.1.0", [])

    assert outcome.blockers == []
    assert outcome.docstrings.percent == 0.0
    assert [w.split(" ")[0] for w in outcome.warnings] == ["README.md", "docstring"]


def test_docs_without_changelog_or_version(tmp_path: Path) -> None:
    (tmp_path / "README.rst").write_text("word " * 50)

    outcome = docs.check_docs(tmp_path, None, [])

    assert outcome.blockers == ["no CHANGELOG (.md, .rst or .txt)"]
    assert outcome.docstrings.percent is None
    assert "No changes recorded" in outcome.changelog_draft
    assert docs.to_agent_result(outcome, "docs").summary.startswith("README README.rst;")


def test_drafted_changelog_groups_commits(repo: Repo) -> None:
    commits = versioning.commits_since(repo.path, "v1.0.0")
    commits.insert(0, Commit(sha="", subject="feat!: new config format"))
    commits.insert(0, Commit(sha="", subject="tidy up"))

    draft = docs.draft_changelog("1.1.0", commits)

    sections = [line for line in draft.splitlines() if line.startswith("### ")]
    assert sections == ["### Breaking changes", "### Features", "### Fixes", "### Other"]
    assert draft.startswith("## [1.1.0] - ")
    assert "- **calc:** multiply numbers (" in draft
    assert "- new config format" in draft and "- tidy up" in draft


# --- health ------------------------------------------------------------------------


def test_health_clean_repo(repo: Repo) -> None:
    outcome = health.check_health(repo.path)

    assert outcome.ruff_ran and outcome.total == 0
    assert outcome.blockers == [] and outcome.warnings == []
    assert not (repo.path / ".ruff_cache").exists()


def test_health_undefined_name_blocks(repo: Repo) -> None:
    repo.write("demo/broken.py", "import os\n\n\ndef f():\n    return undefined_thing\n")

    outcome = health.check_health(repo.path)

    assert outcome.by_code == {"F401": 1, "F821": 1}
    assert [(v.code, v.file, v.line) for v in outcome.blocking] == [("F821", "demo/broken.py", 5)]
    assert "F821" in outcome.blockers[0]
    assert outcome.warnings == ["1 other ruff violation(s): F401 x1"]


def test_health_syntax_error_blocks_even_when_config_selects_little(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "1.1.0"\n'
        '[tool.ruff.lint]\nselect = ["E501"]\n[tool.mypy]\nstrict = true\n',
    )
    repo.write("demo/bad.py", "def f(:\n    pass\n")

    outcome = health.check_health(repo.path)

    assert {v.code for v in outcome.blocking} == {"invalid-syntax"}
    assert outcome.blockers
    result = health.to_agent_result(outcome, "health")
    assert result.data["ruff_blocking"] == len(outcome.blocking)
    mypy = outcome.type_checks[0]
    assert mypy.tool == "mypy"
    if not mypy.ran:
        assert "mypy configured but not installed" in outcome.warnings


# --- decision ----------------------------------------------------------------------


def _ok(role: str, **data: object) -> AgentResult:
    return AgentResult(role=role, status="ok", summary="fine", data=data)


def _team(**changes: AgentResult) -> dict[str, AgentResult]:
    team = {
        "security": _ok("security", counts={"critical": 0, "high": 0}),
        "testing": _ok("testing", coverage_percent=91.0),
        "version": _ok("version", version="1.1.0"),
        "docs": _ok("docs"),
        "health": _ok("health"),
    }
    return {**team, **changes}


@pytest.mark.parametrize(
    ("changes", "verdict", "blocker", "warning"),
    [
        ({}, "go", None, None),
        (
            {"security": _ok("security", counts={"critical": 1, "high": 0})},
            "no-go",
            "1 critical",
            None,
        ),
        ({"security": _ok("security", critical=0, high=4)}, "no-go", "4 high", None),
        ({"security": _ok("security", counts={"critical": 0, "high": 3})}, "go", None, "3 high"),
        ({"security": _ok("security", counts={})}, "go", None, None),
        ({"security": _ok("security")}, "go", None, "no finding counts"),
        ({"testing": _ok("testing", coverage_percent=59.9)}, "no-go", "59.9%", None),
        ({"testing": _ok("testing", coverage_percent=70.0)}, "go", None, "70.0%"),
        ({"testing": _ok("testing", coverage_percent=None)}, "go", None, "coverage unknown"),
        (
            {"testing": AgentResult(role="testing", status="failed", summary="tests not run")},
            "no-go",
            "testing: the agent failed to run: tests not run",
            None,
        ),
        (
            {"version": AgentResult(role="version", status="ok", summary="", blockers=["bad"])},
            "no-go",
            "version: bad",
            None,
        ),
        (
            {"health": AgentResult(role="health", status="skipped", summary="no ruff")},
            "go",
            None,
            "health: the agent was skipped",
        ),
    ],
)
def test_decision(
    changes: dict[str, AgentResult], verdict: str, blocker: str | None, warning: str | None
) -> None:
    recommendation = decision.recommend(_team(**changes))

    assert recommendation.verdict == verdict
    assert recommendation.rules == decision.RULES
    if blocker:
        assert any(blocker in b for b in recommendation.blockers), recommendation.blockers
    else:
        assert recommendation.blockers == []
    if warning:
        assert any(warning in w for w in recommendation.warnings), recommendation.warnings


def test_decision_requires_the_core_agents() -> None:
    team = _team()
    del team["docs"], team["health"]

    recommendation = decision.recommend(team)

    assert recommendation.blockers == ["docs: no result (required agent)"]


# --- activities --------------------------------------------------------------------


async def test_activities_store_reports_and_share_the_version(repo: Repo, tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "home")
    agents = ReleaseAgentActivities(store)
    env = ActivityEnvironment()
    params = {"run_key": "release-prep-demo-1"}

    version = await env.run(
        agents.check_version, AgentInput(role="version", target=str(repo.path), params=params)
    )
    docs_result = await env.run(
        agents.check_docs,
        AgentInput(
            role="docs",
            target=str(repo.path),
            params=params,
            memory={"version": version.model_dump(mode="json")},
        ),
    )

    assert version.report is not None
    assert version.report.key == "runs/release-prep-demo-1/agents/version.json"
    stored = store.get(version.report, TypeAdapter(versioning.VersionOutcome))
    assert stored.version == "1.1.0"
    assert docs_result.status == "ok" and docs_result.blockers == []
    assert docs_result.report is not None
    draft = store.get(docs_result.report, TypeAdapter(docs.DocsOutcome)).changelog_draft
    assert "### Features" in draft and "### Fixes" in draft


async def test_activities_run_every_check_and_fall_back(repo: Repo, tmp_path: Path) -> None:
    agents = ReleaseAgentActivities(ArtifactStore(tmp_path / "home"))
    env = ActivityEnvironment()
    params = {"run_key": "run-2", "timeout_s": 60}

    def agent(role: str, **memory: object) -> AgentInput:
        return AgentInput(role=role, target=str(repo.path), params=params, memory=memory)

    tests = await env.run(agents.run_tests, agent("testing"))
    lint = await env.run(agents.check_health, agent("health"))
    alone = await env.run(agents.check_docs, agent("docs"))
    subjects = AgentResult(
        role="version", status="ok", summary="", data={"version": "1.1.0", "commits": ["feat: x"]}
    )
    shared = await env.run(agents.check_docs, agent("docs", version=subjects.model_dump()))

    assert tests.data["passed"] == 2 and tests.report is not None
    assert lint.blockers == [] and lint.report is not None
    assert alone.data["changelog_has_entry"] is True
    assert shared.data["changelog_has_entry"] is True
    assert shared.report is not None and shared.report.key == "runs/run-2/agents/docs.json"


async def test_activities_reject_bad_input(repo: Repo, tmp_path: Path) -> None:
    agents = ReleaseAgentActivities(ArtifactStore(tmp_path / "home"))
    env = ActivityEnvironment()

    with pytest.raises(ApplicationError, match="run_key"):
        await env.run(agents.check_version, AgentInput(role="version", target=str(repo.path)))
    missing = AgentInput(role="version", target=str(tmp_path / "nope"), params={"run_key": "r"})
    with pytest.raises(ApplicationError, match="does not exist"):
        await env.run(agents.check_version, missing)
    a_file = AgentInput(
        role="version", target=str(repo.path / "README.md"), params={"run_key": "r"}
    )
    with pytest.raises(ApplicationError, match="not a directory"):
        await env.run(agents.check_version, a_file)
