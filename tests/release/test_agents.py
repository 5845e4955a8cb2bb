"""The release agents' checks, run for real on a throwaway git repository."""

from __future__ import annotations

import json
import os
import venv
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.release_prep import decision, docs, health, testenv, testing, versioning
from activities.release_prep.agents import ReleaseAgentActivities
from activities.release_prep.commits import Commit, suggest_bump
from tests.release.conftest import FAILING_TESTS, Repo, make_repo, pyproject
from workflows.schemas import AgentInput, AgentResult

# --- testing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, list[testing.TestOutcome]]:
    """One repository's suite run twice: the first run builds its environment (from the
    wheelhouse when there is one, never the network), the second reuses it."""
    repo = make_repo(tmp_path_factory.mktemp("tested") / "demo")
    return repo, [testing.run_test_suite(repo.path, timeout_s=120) for _ in range(2)]


def test_suite_runs_in_an_environment_built_from_its_declaration(
    tested: tuple[Repo, list[testing.TestOutcome]],
) -> None:
    repo, (first, second) = tested

    assert first.status == "passed", first.output_tail
    assert (first.passed, first.failed, first.errors) == (2, 0, 0)
    assert first.environment.startswith("[project.optional-dependencies] with extras test")
    assert "(built)" in first.environment and "(reused)" in second.environment
    assert first.interpreter == second.interpreter
    assert Path(first.interpreter).is_relative_to(Path(os.environ["ATTUNE_HOME"]) / "test-envs")
    assert first.coverage_percent is not None and first.coverage_percent > 0
    assert not list(repo.path.rglob(".coverage*")), "coverage data must stay out of the target"
    assert not list(repo.path.rglob("__pycache__")) and not list(repo.path.rglob("*.egg-info"))
    result = testing.to_agent_result(first, "testing")
    assert result.status == "ok" and not result.blockers and not result.warnings
    assert result.data["tests_run"] == 2 and result.data["environment"] == first.environment


def test_failing_suite_is_one_blocker_with_its_evidence(repo: Repo) -> None:
    repo.write("tests/test_broken.py", FAILING_TESTS)

    outcome = testing.run_test_suite(repo.path, timeout_s=120)

    assert outcome.status == "failed"
    assert (outcome.passed, outcome.failed) == (2, 1)
    result = testing.to_agent_result(outcome, "testing")
    (blocker,) = result.blockers
    assert "tests/test_broken.py::TestBroken::test_add_is_wrong" in blocker
    (detail,) = result.data["blocker_details"]
    assert (detail["file"], detail["line"]) == ("tests/test_broken.py", 5)
    assert "-m pytest" in detail["command"] and "1 failed, 2 passed" in detail["output_tail"]
    recommendation = decision.recommend(_team(testing=result))
    assert recommendation.blockers == [f"testing: {blocker}"]
    (evidence,) = recommendation.blocker_details
    assert (evidence.agent, evidence.file, evidence.line) == ("testing", "tests/test_broken.py", 5)


def test_a_suite_that_cannot_run_is_one_warning_for_a_person(repo: Repo) -> None:
    repo.write("tests/test_plugin.py", "import pytest_not_installed_plugin\n")

    outcome = testing.run_test_suite(repo.path, timeout_s=120)

    assert outcome.status == "not_run"
    assert "No module named 'pytest_not_installed_plugin'" in outcome.reason
    result = testing.to_agent_result(outcome, "testing")
    assert result.blockers == [] and result.data["needs_person"] is True
    recommendation = decision.recommend(_team(testing=result))
    assert recommendation.verdict == "go" and recommendation.blockers == []
    (warning,) = [w for w in recommendation.warnings if w.startswith("testing:")]
    assert "a person must look" in warning and "pytest_not_installed_plugin" in warning


def test_test_cmd_overrides_the_command(repo: Repo) -> None:
    outcome = testing.run_test_suite(repo.path, timeout_s=120, test_cmd="pytest -k multiply")

    assert outcome.status == "passed", outcome.output_tail
    assert (outcome.passed, outcome.skipped) == (1, 0)
    assert outcome.command[1:4] == ["-m", "pytest", "-k"]
    wrong = testing.run_test_suite(repo.path, timeout_s=120, test_cmd="pytest --no-such-flag")
    assert wrong.status == "not_run"
    assert wrong.reason == (
        "pytest was given an invalid command line or configuration: "
        "python -m pytest: error: unrecognized arguments: --no-such-flag"
    )


def test_timeout_kills_the_suite(repo: Repo) -> None:
    repo.write("tests/test_slow.py", "import time\n\n\ndef test_slow():\n    time.sleep(60)\n")

    outcome = testing.run_test_suite(repo.path, timeout_s=2)

    assert outcome.status == "not_run" and outcome.exit_code is None
    assert "did not finish within 2 s" in outcome.reason


def test_an_environment_that_cannot_be_built_says_why(repo: Repo) -> None:
    repo.write("requirements-test.txt", "attune-no-such-package-anywhere==1.0\n")
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.1.0"\n')

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.status == "not_run"
    assert outcome.reason.startswith(
        "the test environment could not be built (requirements file requirements-test.txt)"
    )
    assert "attune-no-such-package-anywhere" in outcome.output_tail


def test_target_venv_is_used_as_it_is(repo: Repo) -> None:
    venv.create(repo.path / ".venv", with_pip=False)

    outcome = testing.run_test_suite(repo.path, timeout_s=60)

    assert outcome.interpreter == str(repo.path / ".venv" / "bin" / "python")
    assert outcome.environment == "the project's own .venv"
    assert outcome.status == "not_run" and "No module named pytest" in outcome.reason


@pytest.mark.parametrize(
    ("files", "description", "wanted"),
    [
        (
            {"tox.ini": "[tox]\nenv_list = py3\n[testenv]\ndeps =\n  pytest-mock\n"
             "  py39: old-thing\n  -rrequirements-x.txt\nextras = test\n",
             "requirements-x.txt": "hypothesis>=6\n"},
            "tox (tox.ini [testenv]) with extras test",
            ["pytest-mock", "hypothesis>=6", "pytest", "setuptools>=40.8.0"],
        ),
        (
            {"noxfile.py": "import nox\n\n\n@nox.session\ndef tests(session):\n"
             "    session.install('pytest-xdist', '.[test]')\n    session.run('pytest')\n"},
            "nox (noxfile.py test session) with extras test",
            ["pytest-xdist", "pytest", "setuptools>=40.8.0"],
        ),
        (
            {"pyproject.toml+": "[tool.hatch.envs.test]\ndependencies = ['pytest-randomly']\n"},
            "hatch ([tool.hatch.envs.test])",
            ["pytest-randomly", "setuptools>=40.8.0", "pytest>=8"],
        ),
        (
            {"pyproject.toml+": "[dependency-groups]\ntest = ['pytest-asyncio', "
             "{include-group = 'lint'}]\nlint = ['ruff']\n"},
            "dependency group ([dependency-groups] test)",
            ["pytest-asyncio", "ruff", "setuptools>=40.8.0", "pytest>=8"],
        ),
        ({}, "[project.optional-dependencies] with extras test", ["pytest", "setuptools>=40.8.0"]),
    ],
)  # fmt: skip
def test_test_environment_declarations(
    tmp_path: Path, files: dict[str, str], description: str, wanted: list[str]
) -> None:
    extra = files.pop("pyproject.toml+", "")
    (tmp_path / "pyproject.toml").write_text(pyproject("1.0.0", extra))
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    plan = testenv.plan_test_env(tmp_path)

    assert plan.description == description
    assert plan.requirements == [*wanted, "coverage>=7.6"]
    assert plan.coverage


def test_setup_py_project_dependencies_and_requirement_files(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\n\nrequires = ['six>=1.0']\n"
        "setup(name='old', install_requires=requires)\n"
    )
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "test.txt").write_text("-r base.txt\nmock  # old\n")
    (tmp_path / "requirements" / "base.txt").write_text("attrs\ngit+https://x/y.git\n")

    plan = testenv.plan_test_env(tmp_path)

    assert plan.description == "requirements file requirements/test.txt"
    assert plan.requirements == ["six>=1.0", "attrs", "mock", "setuptools>=40.8.0", "pytest>=8"]
    assert not plan.coverage


# --- versioning --------------------------------------------------------------------


def test_increasing_version_with_conventional_commits(repo: Repo) -> None:
    outcome = versioning.check_version(repo.path)

    assert (outcome.version, outcome.latest_tag, outcome.increases) == ("1.1.0", "v1.0.0", True)
    assert outcome.source == "pyproject.toml:3 [project].version"
    assert outcome.bump == "minor" and outcome.suggested_bump == "minor"
    assert [c.subject for c in outcome.commits] == [
        "fix: release notes for 1.1.0",
        "feat(calc): multiply numbers",
    ]
    assert outcome.blockers == [] and outcome.warnings == []
    result = versioning.to_agent_result(outcome, "version")
    assert result.data["version"] == "1.1.0" and result.data["commits"][1].startswith("feat")
    assert result.data["source"] == outcome.source


def test_version_not_increasing_blocks_once(repo: Repo) -> None:
    repo.git("tag", "v1.0.1", "HEAD~1")
    repo.set_version("1.0.1")
    repo.commit("chore: oops")

    outcome = versioning.check_version(repo.path)

    assert outcome.blockers == ["version 1.0.1 is already tagged (v1.0.1)"]
    (detail,) = outcome.blocker_details
    assert (detail.file, detail.line) == ("pyproject.toml", 3)
    repo.git("tag", "-d", "v1.0.1")
    repo.git("tag", "v1.2.0", "HEAD~1")
    assert versioning.check_version(repo.path).blockers == [
        "version 1.0.1 is not greater than the latest release tag v1.2.0"
    ]


def test_invalid_pep440_blocks(repo: Repo) -> None:
    repo.set_version("1.1-final-really")
    repo.commit("chore: odd version")

    outcome = versioning.check_version(repo.path)

    assert not outcome.pep440
    assert outcome.blockers == ["version '1.1-final-really' is not a valid PEP 440 version"]


def test_breaking_change_needs_a_major_bump_under_semver(repo: Repo) -> None:
    repo.set_version("1.2.0")
    repo.commit("refactor!: drop the old API\n\nBREAKING CHANGE: add() takes keywords only")

    outcome = versioning.check_version(repo.path)
    assert outcome.blockers == [] and "suggest a major bump" in outcome.warnings[0]

    repo.write("CHANGELOG.md", "This project follows [Semantic Versioning](https://semver.org).\n")
    repo.commit("docs: say we follow semver")
    outcome = versioning.check_version(repo.path)

    assert outcome.follows_semver and outcome.suggested_bump == "major"
    (blocker,) = outcome.blockers
    assert blocker.startswith("breaking changes since v1.0.0 need a major version under SemVer")
    assert "refactor!: drop the old API" in blocker


def test_dirty_tree_warns(repo: Repo) -> None:
    repo.write("demo/__init__.py", "# edited\n")

    outcome = versioning.check_version(repo.path)

    assert outcome.dirty_files == ["demo/__init__.py"]
    assert outcome.blockers == []
    assert "uncommitted" in outcome.warnings[0]


def test_first_release_without_tags(repo: Repo) -> None:
    repo.git("tag", "-d", "v1.0.0")
    repo.git("tag", "not-a-version", "HEAD~1")

    outcome = versioning.check_version(repo.path)

    assert outcome.latest_tag is None and outcome.increases is None
    assert len(outcome.commits) == 3
    assert outcome.blockers == []
    assert outcome.warnings == ["no release tag yet: treating this as the first release"]


def _declare(repo: Repo, files: dict[str, str]) -> None:
    (repo.path / "pyproject.toml").unlink()
    for name, text in files.items():
        repo.write(name, text)
    repo.commit("build: move the version")


@pytest.mark.parametrize(
    ("files", "version", "source"),
    [
        (
            {"pyproject.toml": '[project]\nname = "demo"\ndynamic = ["version"]\n'
             '[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n',
             "demo/__init__.py": '"""Demo."""\n\n__version__ = "1.1.0"\n'},
            "1.1.0",
            "demo/__init__.py:3 __version__ ([tool.setuptools.dynamic] attr)",
        ),
        (
            {"pyproject.toml": '[project]\nname = "demo"\ndynamic = ["version"]\n'
             '[tool.hatch.version]\npath = "demo/__about__.py"\n',
             "demo/__about__.py": '__version__ = "1.1.0rc1"\n'},
            "1.1.0rc1",
            "demo/__about__.py:1 ([tool.hatch.version] path)",
        ),
        (
            {"src/demo/__version__.py": '__title__ = "demo"\n__version__ = "1.2.0"\n',
             "src/demo/__init__.py": "from .__version__ import __version__\n"},
            "1.2.0",
            "src/demo/__version__.py:2 __version__",
        ),
        (
            {"setup.py": "from setuptools import setup\n\nsetup(\n    name='demo',\n"
             "    version='1.1.0',\n)\n"},
            "1.1.0",
            "setup.py:5 setup(version=...)",
        ),
        (
            {"setup.cfg": "[metadata]\nname = demo\nversion = 1.1.0\n"},
            "1.1.0",
            "setup.cfg:3 [metadata] version",
        ),
        (
            {"pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
             '[project]\nname = "demo"\ndynamic = ["version"]\n'
             '[tool.hatch.version]\nsource = "vcs"\n'},
            "1.1.0",
            "CHANGELOG.md:3 top entry (version from hatch-vcs at an untagged HEAD)",
        ),
        (
            {"pyproject.toml": '[project]\nname = "demo"\ndynamic = ["version"]\n'
             '[tool.setuptools_scm]\n',
             "CHANGELOG.md": "# Changelog\n\n## 1.0.0 and newer\n\nSee GitHub Releases.\n"},
            None,
            "setuptools-scm: the release tag sets it",
        ),
    ],
)  # fmt: skip
def test_version_found_where_projects_keep_it(
    repo: Repo, files: dict[str, str], version: str | None, source: str
) -> None:
    _declare(repo, files)

    outcome = versioning.check_version(repo.path)

    assert (outcome.version, outcome.source) == (version, source)
    if source.endswith("the release tag sets it"):
        assert outcome.blockers == [] and outcome.vcs_version == "1.0.1.dev3"
        assert "nothing in the tree says which version" in outcome.warnings[0]
    else:
        assert outcome.blockers == [] and outcome.increases


def test_no_version_at_all_blocks(repo: Repo) -> None:
    _declare(repo, {"CHANGELOG.md": "# Changelog\n\nNothing yet.\n"})

    assert versioning.check_version(repo.path).blockers[0].startswith("no version found")


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

    assert outcome.changelog_has_entry is True and outcome.changelog_line == 3
    assert outcome.blockers == [] and outcome.warnings == []
    assert outcome.readme == "README.md" and outcome.readme_words >= docs.MIN_README_WORDS
    coverage = outcome.docstrings
    assert (coverage.documented, coverage.total) == (4, 7)
    assert [name.split(" ")[1] for name in coverage.undocumented] == [
        "multiply",
        "reset",
        "_private",
    ]


def test_docs_missing_changelog_entry_blocks(repo: Repo) -> None:
    outcome = docs.check_docs(repo.path, "1.2.0", [])

    assert outcome.changelog_has_entry is False
    assert outcome.blockers == ["CHANGELOG.md has no entry for 1.2.0"]
    assert outcome.blocker_details[0].file == "CHANGELOG.md"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("## [1.1.0] - 2026-11-01", True),
        ("# v1.1.0", True),
        ("1.1.0 (2026-11-01)\n==================", True),
        ("pluggy 1.1 (2024-05-15)\n=======================", True),
        ("Version 1.1.0 - 2020-01-01", True),
        ("## 1.1.0rc1", False),
        ("## 11.1.0", False),
        ("Released 1.1.0 soon, not a heading", False),
    ],
)
def test_changelog_entry_matching(text: str, found: bool) -> None:
    assert docs.has_changelog_entry(text, "1.1.0") is found


@pytest.mark.parametrize(
    "name", ["HISTORY.md", "CHANGES", "docs/NEWS.rst", "Release-Notes.txt", "docs/versions.rst"]
)
def test_changelog_by_its_common_names(repo: Repo, name: str) -> None:
    repo.git("mv", "CHANGELOG.md", "old.md")
    repo.write(name, "1.1.0\n-----\n\n* Multiply numbers.\n")
    repo.commit("docs: rename the changelog")

    outcome = docs.check_docs(repo.path, "1.1.0", [])

    assert (outcome.changelog, outcome.changelog_has_entry) == (name, True)
    assert outcome.blockers == []


def test_towncrier_fragments_become_the_entry(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        pyproject("1.2.0", '[tool.towncrier]\nfilename = "CHANGELOG.md"\ndirectory = "changes"\n'),
    )
    repo.write("changes/12.feature.md", "Divide numbers.\n")
    repo.write("changes/13.breaking.md", "add() takes keywords only.\n")
    repo.commit("feat: divide")

    outcome = docs.check_docs(repo.path, "1.2.0", [])
    version = versioning.check_version(repo.path)

    assert outcome.blockers == [] and outcome.towncrier_fragments == [
        "changes/12.feature.md",
        "changes/13.breaking.md",
    ]
    assert "2 towncrier fragment(s) will make it" in outcome.warnings[0]
    assert version.breaking == ["towncrier fragment changes/13.breaking.md"]
    assert version.suggested_bump == "major"


def test_readme_metadata(repo: Repo) -> None:
    repo.write("pyproject.toml", pyproject("1.1.0").replace(
        'version = "1.1.0"\n', 'version = "1.1.0"\nreadme = "README.rst"\n'
    ))  # fmt: skip
    repo.commit("build: readme metadata")

    missing = docs.check_docs(repo.path, "1.1.0", [])
    repo.git("mv", "README.md", "README.rst")
    repo.commit("docs: rst readme")
    present = docs.check_docs(repo.path, "1.1.0", [])
    repo.write("pyproject.toml", pyproject("1.1.0").replace(
        'version = "1.1.0"\n',
        'version = "1.1.0"\nreadme = {file = "README.rst", content-type = "text/markdown"}\n',
    ))  # fmt: skip
    mismatched = docs.check_docs(repo.path, "1.1.0", [])

    assert missing.blockers == [
        "the package metadata's readme 'README.rst' does not exist: the build would fail"
    ]
    assert present.blockers == [] and present.readme == "README.rst"
    assert present.readme_content_type == "text/x-rst"
    assert mismatched.blockers == []
    assert "declared as text/markdown but its extension says text/x-rst" in mismatched.warnings[0]


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

    assert outcome.blockers == []
    assert outcome.warnings == ["no changelog (CHANGELOG, CHANGES, HISTORY, NEWS...)"]
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
    (detail,) = result.data["blocker_details"]
    assert (detail["file"], detail["line"]) == ("demo/bad.py", 1)
    assert "invalid-syntax" in detail["output_tail"]
    (checked,) = outcome.type_checks  # code_facts.typecheck, as the project configures mypy
    assert checked.ran or f"type check not run: {checked.reason}" in outcome.warnings


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
        ({"testing": _ok("testing", coverage_percent=59.9)}, "go", None, "59.9%"),
        (
            {"testing": _ok("testing", coverage_percent=59.9, coverage_fail_under=90)},
            "no-go",
            "under the project's fail_under 90%",
            None,
        ),
        ({"testing": _ok("testing", coverage_percent=None)}, "go", None, None),
        (
            {"testing": AgentResult(role="testing", status="failed", summary="crashed")},
            "no-go",
            "testing: the agent failed to run: crashed",
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


def test_security_findings_in_tests_and_fixtures_do_not_block(tmp_path: Path) -> None:
    def finding(file: str, severity: str = "high", **extra: object) -> dict:
        return {"file": file, "line": 3, "severity": severity, "accepted_risk": None, **extra}

    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "findings": [
                    *[finding(f"tests/test_auth_{n}.py") for n in range(6)],
                    finding("tests/fixtures/digest.py", "critical"),
                    finding("src/pkg/conftest.py"),
                    finding("src/pkg/api.py", suppressed={"kind": "policy", "reason": "x"}),
                    finding("src/pkg/api.py", "medium"),
                    finding("src/pkg/sessions.py"),
                ]
            }
        )
    )
    agent = _ok(
        "security",
        counts={"critical": 1, "high": 9, "medium": 1},
        report=str(report),
        dependencies={"counts": {"medium": 2}},
    )

    recounted = decision.security_counts(agent)
    recommendation = decision.recommend(_team(security=recounted))

    assert recounted.data["counts"] == {"high": 1, "medium": 3}
    assert recounted.data["in_tests"] == 8
    assert recommendation.verdict == "go", recommendation.blockers
    assert "security: 8 critical or high finding(s) in tests or fixtures do not block" in (
        recommendation.warnings
    )
    assert decision.security_counts(_ok("security", counts={"high": 9})).data["counts"] == {
        "high": 9
    }


SIX_LIKE = """import sys

PY3 = sys.version_info[0] == 3
if PY3:
    string_types = (str,)
else:
    string_types = (basestring,)


def text(value):
    return unicode(value)


def size(value):
    return undefined_size(value)
"""


def test_undefined_names_for_another_python_do_not_block(repo: Repo, tmp_path: Path) -> None:
    repo.write("demo/compat.py", SIX_LIKE)
    repo.commit("feat: python 2 compat")

    outcome = health.check_health(repo.path)

    assert [(v.file, v.line) for v in outcome.blocking] == [("demo/compat.py", 15)]
    assert "2 syntax-level ruff error(s) in code for other Python versions" in (outcome.warnings[0])
    report = tmp_path / "review.json"
    finding = {"category": "correctness", "severity": "high", "accepted_risk": None}
    findings = [
        {**finding, "file": "demo/compat.py", "line": 7},
        {**finding, "file": "tests/test_demo.py", "line": 1},
        {**finding, "file": "demo/compat.py", "line": 11, "message": "Undefined name `unicode`"},
        {**finding, "file": "demo/compat.py", "line": 15},
    ]
    report.write_text(json.dumps({"target": str(repo.path), "findings": findings}))
    review = decision.review_counts(_ok("review", high_correctness=3, report=str(report)))
    recommendation = decision.recommend(_team(review=review))

    assert (review.data["high_correctness"], review.data["not_shipped"]) == (1, 3)
    assert recommendation.blockers == ["review: 1 high-severity correctness finding(s)"]
    assert (recommendation.blocker_details[0].file, recommendation.blocker_details[0].line) == (
        "demo/compat.py",
        15,
    )


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
