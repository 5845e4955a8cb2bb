from pathlib import Path

from activities.artifacts import ArtifactStore
from activities.discovery import FILES, SKIPPED, discover_files, store_discovery
from workflows.schemas import DiscoverRequest


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def reasons(result) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def test_collects_python_files_sorted_and_relative(tmp_path: Path) -> None:
    write(tmp_path / "b.py")
    write(tmp_path / "pkg" / "a.py")
    write(tmp_path / "pkg" / "stubs.pyi")
    write(tmp_path / "notes.txt")
    result = discover_files(tmp_path, 1000)
    assert result.files == ["b.py", "pkg/a.py", "pkg/stubs.pyi"]
    assert result.total_bytes == 3 * len("x = 1\n")


def test_gitignore_nested_and_enclosing(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "generated/\n")
    project = tmp_path / "project"
    write(project / ".gitignore", "*_pb2.py\n")
    write(project / "keep.py")
    write(project / "api_pb2.py")
    write(project / "generated" / "out.py")
    write(project / "sub" / ".gitignore", "local.py\n")
    write(project / "sub" / "local.py")
    write(project / "sub" / "other.py")
    result = discover_files(project, 1000)
    assert result.files == ["keep.py", "sub/other.py"]
    assert reasons(result) == {
        "api_pb2.py": "gitignored",
        "generated/": "gitignored",
        "sub/local.py": "gitignored",
    }


def test_invalid_ignore_patterns_are_skipped_as_git_skips_them(tmp_path: Path) -> None:
    """psf/black keeps broken ignore files as test data (tests/data/invalid_gitignore_tests):
    git skips the pattern it cannot parse, keeps the rest, and so does discovery."""
    write(tmp_path / ".gitignore", "build/\n")
    data = tmp_path / "tests" / "data" / "invalid_gitignore_tests"
    write(data / ".gitignore", "*.log\n!\nignored.py\ntrailing\\\n")
    write(data / "ignored.py")
    write(data / "kept.py")
    write(tmp_path / "build" / "out.py")
    result = discover_files(tmp_path, 1000)
    assert result.files == ["tests/data/invalid_gitignore_tests/kept.py"]
    assert reasons(result) == {
        "build/": "gitignored",
        "tests/data/invalid_gitignore_tests/ignored.py": "gitignored",
    }
    assert [(w.code, w.file, w.line) for w in result.warnings] == [
        ("invalid-ignore-pattern", "tests/data/invalid_gitignore_tests/.gitignore", 2),
        ("invalid-ignore-pattern", "tests/data/invalid_gitignore_tests/.gitignore", 4),
    ]
    assert "'!'" in result.warnings[0].message


def test_prunes_virtualenvs_vendored_and_caches(tmp_path: Path) -> None:
    write(tmp_path / "app.py")
    write(tmp_path / "env" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "env" / "lib" / "site.py")
    write(tmp_path / "node_modules" / "x.py")
    write(tmp_path / "third_party" / "lib.py")
    write(tmp_path / ".tox" / "py" / "t.py")
    write(tmp_path / "__pycache__" / "c.py")
    write(tmp_path / ".git" / "hooks" / "h.py")
    result = discover_files(tmp_path, 1000)
    assert result.files == ["app.py"]
    assert reasons(result) == {
        "env/": "virtualenv",
        "node_modules/": "vendored tree",
        "third_party/": "vendored tree",
        ".tox/": "tool environment",
    }


def test_huge_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "small.py")
    write(tmp_path / "big.py", "x = 1\n" * 100)
    result = discover_files(tmp_path, 100)
    assert result.files == ["small.py"]
    assert reasons(result) == {"big.py": "too large"}


def test_symlinks_loops_broken_and_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "pkg" / "mod.py")
    (root / "pkg" / "loop").symlink_to(root)
    (root / "self").symlink_to(root / "self")
    (root / "dangling.py").symlink_to(root / "missing.py")
    outside = write(tmp_path / "outside.py")
    (root / "escape.py").symlink_to(outside)
    (root / "alias.py").symlink_to(root / "pkg" / "mod.py")
    (root / "linked").symlink_to(root / "pkg")
    result = discover_files(root, 1000)
    assert result.files == ["pkg/mod.py"]
    assert reasons(result) == {
        "alias.py": "symlink to pkg/mod.py",
        "dangling.py": "broken symlink",
        "escape.py": "symlink outside target",
        "linked": "symlink to pkg",
        "pkg/loop/": "symlink loop",
        "self": "symlink loop",
    }


def test_single_file_target(tmp_path: Path) -> None:
    target = write(tmp_path / "one.py")
    assert discover_files(target, 1000).files == ["one.py"]


def test_discovery_limited_to_a_change(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 2\n")
    (tmp_path / "big.py").write_text("#" * 2000)
    store = ArtifactStore(tmp_path / "home")
    request = DiscoverRequest(
        run_key="r/1", target=str(tmp_path), max_file_bytes=1000, paths=["b.py", "big.py"]
    )
    result = store_discovery(store, request, "runs/r/1")
    assert store.get(result.files, FILES) == ["b.py"]
    assert result.file_count == 1 and result.total_bytes == 6
    assert [s.path for s in store.get(result.skipped, SKIPPED)] == ["big.py"]


def test_paths_stay_relative_to_the_target_at_every_depth(tmp_path: Path) -> None:
    """The walk builds relative paths as strings as it descends: they must equal what
    pathlib says, for odd names and deep trees, in files and in skip records alike."""
    root = tmp_path / "proj ect"
    names = ["a b", "ü.d", ".hidden", "x.py.d"]
    deep = root.joinpath(*names)
    for level in range(len(names) + 1):
        write(root.joinpath(*names[:level], f"m{level}.py"))
    write(deep / "big.py", "x = 1\n" * 100)
    (deep / "node_modules").mkdir()
    result = discover_files(root, 50)
    expected = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.py") if p.name != "big.py"
    )
    assert result.files == expected
    assert reasons(result) == {
        "a b/ü.d/.hidden/x.py.d/big.py": "too large",
        "a b/ü.d/.hidden/x.py.d/node_modules/": "vendored tree",
    }
