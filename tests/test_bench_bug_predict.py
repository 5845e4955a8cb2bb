"""The bug-predict benchmark's pure scoring helpers: patch parsing, MRR and Hit@k."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import benchmark_module

DATA = Path(
    os.environ.get("ATTUNE_BUGS_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "bugs"
)


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("bug_predict")


PATCH = """\
diff --git a/pkg/a.py b/pkg/a.py
index 75fcc7c..2720cda 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -12,6 +12,6 @@ def match(command):
 context 12
-removed 13
+added
 context 14
--- removed 15, looks like a header
+added
 context 16
 context 17
@@ -30,2 +30,3 @@
 context 30
+only added
 context 31
diff --git a/docs/b.md b/docs/b.md
--- a/docs/b.md
+++ b/docs/b.md
@@ -1 +1 @@
-old
\\ No newline at end of file
+new
diff --git a/pkg/new.py b/pkg/new.py
new file mode 100644
--- /dev/null
+++ b/pkg/new.py
@@ -0,0 +1,2 @@
+x = 1
+y = 2
"""


def test_parse_patch_buggy_side_lines(bench) -> None:
    assert bench.parse_patch(PATCH) == {
        "pkg/a.py": {13, 15},
        "docs/b.md": {1},
        "pkg/new.py": set(),
    }


def test_parse_patch_renamed_file_keeps_buggy_path(bench) -> None:
    patch = "diff --git a/old.py b/new.py\n--- a/old.py\n+++ b/new.py\n@@ -3,1 +3,1 @@\n-a\n+b\n"
    assert bench.parse_patch(patch) == {"old.py": {3}}


def test_reciprocal_rank_and_hits(bench) -> None:
    ranking = ["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]
    assert bench.reciprocal_rank(ranking, {"a.py"}) == 1.0
    assert bench.reciprocal_rank(ranking, {"c.py", "f.py"}) == pytest.approx(1 / 3)
    assert bench.reciprocal_rank(ranking, {"zzz.py"}) == 0.0
    assert bench.reciprocal_rank([], {"a.py"}) == 0.0
    assert bench.hit_at(ranking, {"a.py"}, 1)
    assert not bench.hit_at(ranking, {"b.py"}, 1)
    assert bench.hit_at(ranking, {"e.py"}, 5)
    assert not bench.hit_at(ranking, {"f.py"}, 5)


def test_rank_by_breaks_ties_by_name(bench) -> None:
    assert bench.rank_by({"b.py": 2, "a.py": 2, "c.py": 5}) == ["c.py", "a.py", "b.py"]


def test_ratio(bench) -> None:
    assert bench.ratio(0.3, [0.1, 0.2]) == pytest.approx(1.5)
    assert bench.ratio(0.3, [0.0, 0.0]) is None


def test_summarize(bench) -> None:
    def bug(rr: dict[str, float], on_line: bool) -> object:
        r = bench.BugResult("p", "1", ["a.py"], 10, finding_on_line=on_line, findings=1, nloc=500)
        r.ranks = rr
        r.hit1 = {m: v == 1.0 for m, v in rr.items()}
        r.hit5 = {m: v >= 0.2 for m, v in rr.items()}
        return r

    row = bench.summarize(
        [
            bug({"attune": 1.0, "largest": 0.5, "recent": 0.25}, True),
            bug({"attune": 0.5, "largest": 0.1, "recent": 0.0}, False),
        ]
    )
    assert row["attune"] == {"hit1": 0.5, "hit5": 1.0, "mrr": 0.75}
    assert row["largest"]["mrr"] == pytest.approx(0.3)
    assert row["ratio"] == pytest.approx(2.5)
    assert row["pattern_on_fixed_line"] == 0.5
    assert row["findings_per_kloc"] == 2.0


@pytest.mark.skipif(not DATA.is_dir(), reason="no shared benchmark data next to the repo")
def test_every_bugsinpy_patch_parses(bench) -> None:
    """Read-only: every stored fix changes a Python file, on lines the parser finds."""
    patches = sorted((DATA / "bugsinpy").glob("*/*/bug_patch.txt"))
    assert patches
    for patch in patches:
        changed = bench.parse_patch(patch.read_text(errors="replace"))
        assert any(name.endswith(".py") for name in changed), patch
        assert all("/dev/null" not in name for name in changed), patch
