"""Which files an audit reads, and a recorded reason for every one it leaves out.

The walk honours `.gitignore` files (including those of enclosing directories up
to the repository root), prunes virtualenvs and vendored trees, and records
symlinks instead of following them, so it never loops or leaves the target.
Submodules and nested repositories are other projects, left out as git leaves them. A
pattern git cannot parse (a lone `!`, a trailing backslash) is skipped, as git skips
it, and becomes a warning with its file and line: repositories keep broken ignore
files on purpose, as test data.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec
from pydantic import TypeAdapter

from activities.artifacts import ArtifactStore
from activities.target import target_path
from workflows.schemas import DiscoverRequest, DiscoveryResult, ReportWarning, SkippedFile

FILES = TypeAdapter(list[str])
SKIPPED = TypeAdapter(list[SkippedFile])

PYTHON_SUFFIXES = frozenset({".py", ".pyi"})
ALWAYS_PRUNED = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)
TOOL_ENVS = frozenset({".tox", ".nox", ".eggs"})
MAX_DISCOVERY_WARNINGS = 50
VENDORED = frozenset(
    {"node_modules", "site-packages", "vendor", "vendored", "_vendor", "third_party"}
)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    total_bytes: int = 0
    warnings: list[ReportWarning] = field(default_factory=list)


@dataclass(frozen=True)
class _Ignore:
    base: Path
    spec: pathspec.GitIgnoreSpec

    def matches(self, path: Path, is_dir: bool) -> bool:
        rel = path.relative_to(self.base).as_posix() + ("/" if is_dir else "")
        return self.spec.match_file(rel)


def _load_ignore(directory: Path, root: Path, result: Discovery) -> _Ignore | None:
    gitignore = directory / ".gitignore"
    try:
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    try:
        return _Ignore(directory, pathspec.GitIgnoreSpec.from_lines(lines))
    except pathspec.patterns.gitignore.GitIgnorePatternError:
        pass
    kept = []
    for number, line in enumerate(lines, start=1):
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except pathspec.patterns.gitignore.GitIgnorePatternError:
            where = gitignore.relative_to(root) if gitignore.is_relative_to(root) else gitignore
            result.warnings.append(
                ReportWarning(
                    code="invalid-ignore-pattern",
                    message=f"ignore pattern {line.strip()!r} is not valid; skipped, as git "
                    "skips it",
                    file=where.as_posix(),
                    line=number,
                )
            )
            continue
        kept.append(line)
    return _Ignore(directory, pathspec.GitIgnoreSpec.from_lines(kept))


def _enclosing_ignores(root: Path, result: Discovery) -> list[_Ignore]:
    """`.gitignore` files of the directories above the target, up to the repo root."""
    ignores: list[_Ignore] = []
    for parent in root.parents:
        if (ignore := _load_ignore(parent, root, result)) is not None:
            ignores.append(ignore)
        if (parent / ".git").exists():
            break
    else:
        return []
    return list(reversed(ignores))


def _prune_reason(entry: os.DirEntry[str]) -> str | None:
    name = entry.name
    if name in ALWAYS_PRUNED:
        return None if name == "__pycache__" or name.startswith(".") else "tool cache"
    if name in TOOL_ENVS:
        return "tool environment"
    if name in VENDORED:
        return "vendored tree"
    if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
        return "virtualenv"
    git = os.path.join(entry.path, ".git")
    if os.path.isfile(git):
        return "git submodule"
    if os.path.isdir(git):
        return "nested git repository"
    return None


def discover_files(
    target: Path, max_file_bytes: int, suffixes: frozenset[str] | None = PYTHON_SUFFIXES
) -> Discovery:
    """Collect the files under `target` with one of `suffixes` (Python's by default,
    any file for None: a target snapshot) as sorted POSIX paths relative to it."""
    target = target.resolve()
    result = Discovery()
    if target.is_file():
        size = target.stat().st_size
        if size > max_file_bytes:
            result.skipped.append(SkippedFile(path=target.name, reason="too large"))
        else:
            result.files.append(target.name)
            result.total_bytes = size
        return result
    _walk(target, target, "", _enclosing_ignores(target, result), max_file_bytes, suffixes, result)
    result.files.sort()
    result.skipped.sort(key=lambda s: s.path)
    return result


def _walk(
    root: Path,
    directory: Path,
    prefix: str,
    ignores: list[_Ignore],
    max_file_bytes: int,
    suffixes: frozenset[str] | None,
    result: Discovery,
) -> None:
    if (own := _load_ignore(directory, root, result)) is not None:
        ignores = [*ignores, own]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as err:
        result.skipped.append(SkippedFile(path=(prefix or "./"), reason=err.strerror))
        return
    for entry in entries:
        path = Path(entry.path)
        # `prefix` is the directory's path relative to the root, ready to join: building
        # the path as a string costs half the walk's time less than Path.relative_to.
        rel = prefix + entry.name
        if entry.is_symlink():
            if (skip := _symlink_reason(root, path, rel)) is not None:
                result.skipped.append(skip)
            continue
        if entry.is_dir(follow_symlinks=False):
            if entry.name in ALWAYS_PRUNED:
                continue
            if any(i.matches(path, True) for i in ignores):
                result.skipped.append(SkippedFile(path=rel + "/", reason="gitignored"))
                continue
            if (reason := _prune_reason(entry)) is not None:
                result.skipped.append(SkippedFile(path=rel + "/", reason=reason))
                continue
            _walk(root, path, rel + "/", ignores, max_file_bytes, suffixes, result)
        elif entry.is_file(follow_symlinks=False) and (suffixes is None or path.suffix in suffixes):
            if any(i.matches(path, False) for i in ignores):
                result.skipped.append(SkippedFile(path=rel, reason="gitignored"))
                continue
            _add_file(entry.stat(follow_symlinks=False).st_size, rel, max_file_bytes, result)


def _symlink_reason(root: Path, path: Path, rel: str) -> SkippedFile | None:
    """Symlinks are recorded, never followed: whatever they reach inside the target is
    scanned at its real path, and nothing outside it is the audit's business."""
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:
        return SkippedFile(path=rel, reason="symlink loop")
    except OSError as err:
        if err.errno == errno.ELOOP:
            return SkippedFile(path=rel, reason="symlink loop")
        relevant = path.suffix in PYTHON_SUFFIXES or not path.suffix
        return SkippedFile(path=rel, reason="broken symlink") if relevant else None
    if not (resolved.is_dir() or path.suffix in PYTHON_SUFFIXES):
        return None
    if resolved.is_dir() and path.parent.resolve().is_relative_to(resolved):
        return SkippedFile(path=rel + "/", reason="symlink loop")
    if not resolved.is_relative_to(root):
        return SkippedFile(path=rel, reason="symlink outside target")
    return SkippedFile(path=rel, reason=f"symlink to {resolved.relative_to(root).as_posix()}")


def _add_file(size: int, rel: str, max_file_bytes: int, result: Discovery) -> None:
    if size > max_file_bytes:
        result.skipped.append(SkippedFile(path=rel, reason="too large"))
        return
    result.files.append(rel)
    result.total_bytes += size


def _only(found: Discovery, root: Path, paths: set[str]) -> Discovery:
    """The part of a discovery inside `paths`, so a change's run reads its files alone."""
    files = [f for f in found.files if f in paths]
    return Discovery(
        files=files,
        skipped=[s for s in found.skipped if s.path in paths],
        total_bytes=sum((root / f).stat().st_size for f in files) if root.is_dir() else 0,
        warnings=found.warnings,
    )


def store_discovery(store: ArtifactStore, request: DiscoverRequest, base: str) -> DiscoveryResult:
    """Discover the target's files and store the lists under `base`: every flow's
    discovery activity, so the file list travels as a reference, never a payload."""
    root = target_path(request.target)
    found = discover_files(root, request.max_file_bytes)
    if request.paths is not None:
        found = _only(found, root, set(request.paths))
    reasons: dict[str, int] = {}
    for skip in found.skipped:
        reasons[skip.reason] = reasons.get(skip.reason, 0) + 1
    warnings = found.warnings[:MAX_DISCOVERY_WARNINGS]
    if len(found.warnings) > MAX_DISCOVERY_WARNINGS:
        more = len(found.warnings) - MAX_DISCOVERY_WARNINGS
        warnings.append(ReportWarning(code="more-warnings", message=f"{more} more like these"))
    return DiscoveryResult(
        files=store.put(f"{base}/files.json", found.files, FILES, len(found.files)),
        skipped=store.put(
            f"{base}/discovery-skipped.json", found.skipped, SKIPPED, len(found.skipped)
        ),
        file_count=len(found.files),
        total_bytes=found.total_bytes,
        skipped_by_reason=reasons,
        warnings=warnings,
    )
