"""What the release agents share about the repository they inspect: git, layout, Python.

Every helper reads; none writes into the target (a release check must leave the
repository exactly as the developer left it).
"""

from __future__ import annotations

import ast
import configparser
import re
import subprocess
import sys
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

# Directories that hold no shipped code, so no public API or version lives there.
NOT_SHIPPED = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "build", "dist"}
)


TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures", "fixture"})


def is_test_path(rel: str) -> bool:
    """Test code or test data (a path under tests/ or fixtures/, a test module, a conftest)."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(part in TEST_DIRS for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


_VERSION_TESTS = ("version_info", "sys.version", "PY2", "PY3", "PY_2", "PY_3", "PYTHON2", "PYTHON3")


@lru_cache(maxsize=256)
def _guarded_ranges(path: Path, _mtime_ns: int) -> tuple[tuple[int, int], ...]:
    """Line ranges of the branches of `if` statements that test the Python version
    (cached per file version: a worker checks many releases)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return ()
    ranges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(t in ast.unparse(node.test) for t in _VERSION_TESTS):
            for branch in (node.body, node.orelse):
                if branch:
                    ranges.append((branch[0].lineno, branch[-1].end_lineno or branch[-1].lineno))
    return tuple(ranges)


PYTHON2_BUILTINS = frozenset(
    {
        "basestring", "unicode", "long", "xrange", "unichr", "raw_input", "file", "reduce",
        "execfile", "cmp", "buffer", "apply", "intern", "coerce", "reload", "StandardError",
    }
)  # fmt: skip
_UNDEFINED = re.compile(r"[Uu]ndefined (?:name|variable) [`'\"]?(\w+)")


def python2_only(message: str) -> bool:
    """An undefined name that was a Python 2 builtin (`basestring`, `unicode`): code for
    Python 2 (six's `print_` fallback), whatever guards it, not a bug on Python 3."""
    match = _UNDEFINED.search(message)
    return match is not None and match[1] in PYTHON2_BUILTINS


def version_guarded(target: Path, rel: str, line: int) -> bool:
    """The line is in a branch taken on one Python version only (six's `if PY3: ...
    else: basestring`): code for another interpreter, not a bug of this release."""
    path = target / rel
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return False
    return any(start <= line <= end for start, end in _guarded_ranges(path, mtime))


class GitError(RuntimeError):
    """A git command failed; the message carries git's own explanation."""


def git(target: Path, *args: str) -> str:
    """Run git in `target`, returning stdout; raises GitError with git's stderr."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(target), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError as err:
        raise GitError("git is not installed on this worker") from err
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip() or f"git {args[0]} exited {proc.returncode}")
    return proc.stdout


def is_git_repo(target: Path) -> bool:
    try:
        return git(target, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except GitError:
        return False


def read_pyproject(target: Path) -> dict[str, Any]:
    """The target's pyproject.toml as a dict; empty when absent or unreadable."""
    try:
        return tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def read_ini(path: Path) -> configparser.ConfigParser:
    """An INI file (setup.cfg, .coveragerc, tox.ini) as read by the tools that own it;
    empty when absent or malformed."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return configparser.ConfigParser(interpolation=None)
    return parser


def target_python(target: Path) -> str:
    """The interpreter that can import the target's dependencies: its own venv when it has one."""
    venv = target / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _is_shipped_dir(path: Path) -> bool:
    return not path.name.startswith((".", "_")) and path.name not in NOT_SHIPPED


def find_packages(target: Path) -> list[Path]:
    """Top-level import packages of the target (src/ layout first), tests and tooling excluded."""
    for root in (target / "src", target):
        if not root.is_dir():
            continue
        found = sorted(
            child
            for child in root.iterdir()
            if child.is_dir() and _is_shipped_dir(child) and (child / "__init__.py").is_file()
        )
        if found:
            return found
    return []


def module_files(target: Path) -> list[Path]:
    """Python files of the shipped code: the packages, or top-level modules of a flat project."""
    packages = find_packages(target)
    if not packages:
        return sorted(
            p
            for p in target.glob("*.py")
            if p.name not in {"setup.py", "conftest.py", "noxfile.py"}
            and not p.name.startswith("test_")
        )
    files: list[Path] = []
    for package in packages:
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(package).parts
            if any(part in NOT_SHIPPED or part.startswith(".") for part in parts[:-1]):
                continue
            if not path.name.startswith("test_"):
                files.append(path)
    return files
