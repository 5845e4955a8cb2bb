"""Which modules a test-generation run writes tests for, and where they import from.

The import root is the directory Python imports the target's modules from: the first
parent without an `__init__.py` (a `src/` layout's `src`). Test files, tooling and
modules with nothing callable are left out with their reason, so the report says why a
file got no tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

from activities.discovery import discover_files
from activities.sources import read_source
from workflows.schemas import SkippedFile
from workflows.test_generation.models import DiscoveredModules, ModuleSpec

MAX_FILE_BYTES = 2_000_000
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
NOT_CODE_DIRS = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "build", "dist"}
)
NOT_CODE_FILES = frozenset({"conftest.py", "setup.py", "__main__.py", "noxfile.py"})


class SelectionError(ValueError):
    """`select` names nothing in the target; the message says what was looked for."""


def infer_import_root(target: Path) -> Path:
    """The first directory, from the target's own folder up, without an `__init__.py`.

    A directory target that is not a package is its own import root, unless its code is
    in a `src/` layout."""
    target = target.resolve()
    folder = target.parent if target.is_file() else target
    if target.is_dir() and not (target / "__init__.py").exists():
        src = target / "src"
        return src if src.is_dir() and not (src / "__init__.py").exists() else target
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def project_root(import_root: Path) -> Path:
    """Where the project's own tests live: the nearest folder, from the import root up,
    with a pyproject.toml, setup.py, setup.cfg or .git; else the import root."""
    for folder in (import_root, *import_root.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return import_root


def is_test_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def module_name(file: Path, import_root: Path) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; a package's `__init__.py` is the package."""
    parts = list(file.resolve().relative_to(import_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def callables(source: str) -> tuple[str, ...]:
    """A module's top-level functions, classes and methods, by qualified name."""
    tree = ast.parse(source)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names.append(node.name)
            names += [
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return tuple(names)


def _why_not(rel: str) -> str | None:
    parts = rel.split("/")
    if any(part in NOT_CODE_DIRS for part in parts[:-1]):
        return "tests, docs or tooling"
    if is_test_file(rel):
        return "a test file"
    if parts[-1] in NOT_CODE_FILES or not parts[-1].endswith(".py"):
        return "not library code"
    return None


def _matches_module(module: str, wanted: str) -> bool:
    return module == wanted or module.endswith(f".{wanted}")


def _select(
    found: list[tuple[ModuleSpec, tuple[str, ...]]], select: str | None
) -> list[tuple[ModuleSpec, tuple[str, ...]]]:
    """The modules `select` names (`module`, `module:function` or `function`), each with
    the functions it names; SelectionError when it names nothing."""
    if select is None:
        return found
    wanted_module, _, wanted_function = select.partition(":")
    if not wanted_function:
        by_module = [(s, c) for s, c in found if _matches_module(s.module, wanted_module)]
        if by_module:
            return by_module
        wanted_module, wanted_function = "", select
    chosen = []
    for spec, names in found:
        if wanted_module and not _matches_module(spec.module, wanted_module):
            continue
        hits = [n for n in names if n == wanted_function or n.startswith(f"{wanted_function}.")]
        if hits:
            chosen.append((spec.model_copy(update={"functions": hits}), names))
    if not chosen:
        raise SelectionError(f"select {select!r} matches no module or function in the target")
    return chosen


def discover_modules(
    target: Path, import_root: Path | None, select: str | None, max_modules: int
) -> DiscoveredModules:
    """The target's modules, importable from the import root, best candidates first."""
    target = target.resolve()
    root = (import_root or infer_import_root(target)).resolve()
    base = target.parent if target.is_file() else target
    found_files = discover_files(target, MAX_FILE_BYTES)
    skipped = list(found_files.skipped)
    found: list[tuple[ModuleSpec, tuple[str, ...]]] = []
    for rel in found_files.files:
        path = base / rel
        reason = None if target.is_file() else _why_not(rel)
        if reason is None and not path.resolve().is_relative_to(root):
            reason = f"outside the import root {root}"
        if reason is None:
            source, reason = read_source(path)
        if reason is None:
            try:
                names = callables(source or "")
            except (SyntaxError, ValueError):
                reason = "not valid Python"
            else:
                reason = None if names else "no functions or classes to test"
        if reason is not None:
            skipped.append(SkippedFile(path=rel, reason=reason))
            continue
        spec = ModuleSpec(
            module=module_name(path, root),
            file=path.resolve().relative_to(root).as_posix(),
        )
        found.append((spec, names))
    chosen = _select(found, select)
    for spec, _ in chosen[max_modules:]:
        skipped.append(SkippedFile(path=spec.file, reason=f"beyond max_modules={max_modules}"))
    return DiscoveredModules(
        import_root=str(root),
        project_root=str(project_root(root)),
        modules=[spec for spec, _ in chosen[:max_modules]],
        skipped=sorted(skipped, key=lambda s: s.path),
        warnings=found_files.warnings,
    )


def check_selection(target: Path, import_root: Path | None, select: str | None) -> None:
    """ValueError, in one line, when the import root does not hold the target or
    `select` names nothing in it."""
    root = (import_root or infer_import_root(target)).resolve()
    if not root.is_dir():
        raise ValueError(f"import_root {str(root)!r} is not a directory")
    if not target.resolve().is_relative_to(root):
        raise ValueError(f"the target {str(target)!r} is not under import_root {str(root)!r}")
    if select is not None:
        discover_modules(target, root, select, max_modules=10_000)
