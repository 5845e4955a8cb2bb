"""The shared code facts on real files and a real git repository made by the test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from activities.code_facts.deadcode import dead_code
from activities.code_facts.diff import change_set, changed_lines
from activities.code_facts.history import NoHistory
from workflows.performance_audit.models import PerfBatch
from workflows.schemas import ArtifactRef, DiscoveryResult


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "T")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("".join(f"x{n} = {n}\n" for n in range(1, 11)))
    (tmp_path / "pkg" / "old.py").write_text("".join(f"y{n} = {n}\n" for n in range(1, 11)))
    (tmp_path / "gone.py").write_text("z = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "start")
    git(tmp_path, "switch", "-q", "-c", "feature")
    lines = (tmp_path / "pkg" / "a.py").read_text().splitlines(keepends=True)
    lines[2] = "x3 = 33\n"
    lines.insert(7, "extra = True\n")
    (tmp_path / "pkg" / "a.py").write_text("".join(lines))
    git(tmp_path, "mv", "pkg/old.py", "pkg/new.py")
    moved = (tmp_path / "pkg" / "new.py").read_text().replace("y5 = 5", "y5 = 55")
    (tmp_path / "pkg" / "new.py").write_text(moved)
    git(tmp_path, "rm", "-q", "gone.py")
    (tmp_path / "pkg" / "b.py").write_text("b = 1\nc = 2\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "change")
    return tmp_path


def test_changed_lines_of_hunks() -> None:
    diff = "@@ -3 +3 @@\n-a\n+b\n@@ -7,0 +8,2 @@\n+c\n+d\n@@ -20,3 +21,0 @@\n"
    assert changed_lines(diff) == [3, 8, 9]


def test_change_set_against_the_default_branch(repo: Path) -> None:
    changes = change_set(repo)
    assert changes.base == git(repo, "rev-parse", "main").strip()
    assert changes.base_ref == "merge-base of HEAD with main"
    by_file = {f.file: f for f in changes.files}
    assert by_file["pkg/a.py"].lines == [3, 8]
    assert by_file["pkg/a.py"].status == "M"
    assert by_file["pkg/new.py"].status == "R" and by_file["pkg/new.py"].lines == [5]
    assert by_file["pkg/b.py"].lines == [1, 2]
    assert by_file["gone.py"].status == "D" and by_file["gone.py"].lines == []


def test_change_set_is_relative_to_the_target(repo: Path) -> None:
    changes = change_set(repo / "pkg", base="main")
    assert sorted(f.file for f in changes.files) == ["a.py", "b.py", "new.py"]


def test_change_set_refuses_unknown_revisions_and_the_default_branch_itself(
    repo: Path,
) -> None:
    with pytest.raises(NoHistory, match="does not know the revision 'nope'"):
        change_set(repo, base="nope")
    git(repo, "switch", "-q", "main")
    with pytest.raises(NoHistory, match="no default branch"):
        change_set(repo)


def test_dead_code_across_files(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "import os\nimport sys\n\n\ndef used():\n    return sys.argv\n\n\n"
        "def unused():\n    return 1\n    print('never')\n"
    )
    (tmp_path / "app.py").write_text("from lib import used\n\nused()\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    found = {
        (d.file, d.name, d.kind): d for d in dead_code(tmp_path, ["lib.py", "app.py", "broken.py"])
    }
    assert found[("lib.py", "os", "import")].confidence == 90
    assert ("lib.py", "unused", "function") in found
    assert ("lib.py", "used", "function") not in found
    unreachable = [d for d in found.values() if d.kind == "unreachable_code"]
    assert unreachable and unreachable[0].line == 11


def test_discovered_files_split_into_batches() -> None:
    ref = ArtifactRef(key="runs/r/files.json", sha256="0" * 64, size=2, count=5)
    discovery = DiscoveryResult(files=ref, skipped=ref, file_count=5, total_bytes=10)
    batches = PerfBatch.split("r/1", "/t", discovery, 2, 1, profile="strict")
    assert [(b.index, b.start, b.end) for b in batches] == [(0, 0, 2), (1, 2, 4), (2, 4, 5)]
    assert {(b.profile, b.chunk_size, b.files.key) for b in batches} == {
        ("strict", 1, "runs/r/files.json")
    }
