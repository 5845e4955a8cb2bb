"""A real git repository of a tiny package, released as v1.0.0 and about to ship 1.1.0."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# Test environments are built once per session and shared with the `attune` subprocesses
# (whose $ATTUNE_HOME is their own), from the wheelhouse tests/conftest.py points pip at.
os.environ.setdefault("ATTUNE_TEST_ENVS_DIR", os.path.join(os.environ["ATTUNE_HOME"], "test-envs"))

README = (
    "# demo\n\nA tiny calculator package used to exercise the release agents. It adds, "
    "multiplies and divides numbers, ships a command line, keeps a changelog, tags its "
    "releases with semantic versions and tests every function it exports, which is all "
    "a release check needs to look at.\n"
)
CHANGELOG = """# Changelog

## [1.1.0] - 2026-11-01

- Multiply numbers.

## [1.0.0] - 2026-10-01

- First release.
"""
INITIAL_PACKAGE = '''"""A tiny calculator."""


def add(a, b):
    """Add two numbers."""
    return a + b
'''
PACKAGE = (
    INITIAL_PACKAGE
    + '''

def multiply(a, b):
    return a * b


class Calculator:
    """Keeps a running total."""

    def push(self, value):
        """Add to the total."""
        self.total = getattr(self, "total", 0) + value

    def reset(self):
        self.total = 0

    def _private(self):
        return None
'''
)
INITIAL_TESTS = """from demo import add


def test_add():
    assert add(1, 2) == 3
"""
PASSING_TESTS = """from demo import add, multiply


def test_add():
    assert add(1, 2) == 3


def test_multiply():
    assert multiply(2, 3) == 6
"""
FAILING_TESTS = """from demo import add


class TestBroken:
    def test_add_is_wrong(self):
        assert add(1, 1) == 3
"""


@dataclass
class Repo:
    path: Path

    def git(self, *args: str) -> str:
        return subprocess.run(
            [
                "git",
                "-c",
                "user.name=Release Bot",
                "-c",
                "user.email=bot@example.com",
                "-c",
                "commit.gpgSign=false",
                "-c",
                "tag.gpgSign=false",
                *args,
            ],
            cwd=self.path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def write(self, relative: str, text: str) -> Path:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def set_version(self, version: str) -> None:
        self.write("pyproject.toml", pyproject(version))


def pyproject(version: str, extra: str = "") -> str:
    """The demo's metadata: how it tests itself (an extra) and its coverage settings."""
    return (
        f'[project]\nname = "demo"\nversion = "{version}"\n'
        '[project.optional-dependencies]\ntest = ["pytest"]\n'
        "[tool.coverage.run]\nbranch = true\n" + extra
    )


def make_repo(path: Path) -> Repo:
    """v1.0.0 tagged, then `feat:` and `fix:` commits bringing the version to 1.1.0."""
    repo = Repo(path)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.set_version("1.0.0")
    repo.write("README.md", README)
    repo.write("demo/__init__.py", INITIAL_PACKAGE)
    repo.write("tests/test_demo.py", INITIAL_TESTS)
    repo.commit("chore: initial release")
    repo.git("tag", "v1.0.0")
    repo.write("demo/__init__.py", PACKAGE)
    repo.write("tests/test_demo.py", PASSING_TESTS)
    repo.commit("feat(calc): multiply numbers")
    repo.set_version("1.1.0")
    repo.write("CHANGELOG.md", CHANGELOG)
    repo.commit("fix: release notes for 1.1.0\n\nCloses #3.")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "demo")
