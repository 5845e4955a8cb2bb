"""The pr-review benchmark's steps on a repository made here: a fix as a patch, its
reversal as the bug-introducing PR, with the real engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import benchmark_module
from tests.release.conftest import Repo

BUGGY = "def ask():\n    return eval(input())\n"
FIXED = "import ast\n\n\ndef ask():\n    return ast.literal_eval(input())\n"


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("pr_review")


def test_the_reverted_fix_is_caught_and_the_fix_is_approved(bench, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "project")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("app.py", BUGGY)
    repo.commit("buggy")
    buggy = repo.git("rev-parse", "HEAD").strip()
    repo.write("app.py", FIXED)
    repo.commit("fix")
    fixed = repo.git("rev-parse", "HEAD").strip()
    patch = repo.git("diff", buggy, fixed)
    members = ["security-audit", "bug-predict"]
    cache = tmp_path / "cache.sqlite"

    head = bench.pull_request(repo.path, fixed, patch, reverse=True, message="revert")
    introducing = bench.review(repo.path, fixed, head, cache, members)
    assert introducing.verdict == "request_changes"
    assert introducing.findings >= 1 and introducing.lines >= 1
    head = bench.pull_request(repo.path, buggy, patch, reverse=False, message="the fix")
    clean = bench.review(repo.path, buggy, head, cache, members)
    assert (clean.verdict, clean.findings) == ("approve", 0)

    row = bench.summarize(
        [bench.BugResult("p", "1", introducing, clean), bench.BugResult("p", "2", clean, clean)]
    )
    assert row["bugs"] == 2
    assert row["detection"] == row["detection_specific"] == 0.5
    assert row["false_alarm"] == 0.0
