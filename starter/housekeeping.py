"""Housekeeping for `$ATTUNE_HOME`: what `attune gc` removes, and nothing else.

- `runs/<workflow-id>/`: the reports (files directly inside) and every run's documents
  (`<run-id>/artifacts`, `llm`, `agents`, routing records). A workflow's directory goes as
  a unit once everything in it is older than the cutoff, unless the workflow is still
  running (or its parent is): the caller fetches running workflow ids from Temporal and
  passes them in `keep`.
- `cache/scan.sqlite`: rows not used since the cutoff, then the size cap
  (`ATTUNE_SCAN_CACHE_MAX_MB`).
- `trees/<sha>/`: copies of a commit's tree that pr-review reads when the head is not the
  working tree; a copy goes once it has not been used since the cutoff (each reuse
  touches it).

Never touched: anything else in `$ATTUNE_HOME` (`temporal.db*`, `logs/`, `workflows/`, …),
symlinks under `runs/` and whatever they point to. Pure functions, no Temporal and no CLI:
`starter/cli.py` does the talking.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field, computed_field

from activities.security_audit.scan_cache import ScanCache

_AGE = re.compile(r"([0-9]+)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_MAX_AGE = timedelta(days=36500)
# A directory being removed is renamed first, so a writer recreates a fresh one instead
# of writing into a half-deleted tree; a leftover (a failed removal) is collected next time.
_TRASH_PREFIX = ".attune-gc-"


class Freed(BaseModel):
    count: int = Field(default=0, description="Directories, files or cache rows")
    bytes: int = 0


class GcReport(BaseModel):
    home: str
    cutoff: datetime
    dry_run: bool
    run_dirs: Freed = Field(
        default_factory=Freed, description="runs/<workflow-id> directories, all their bytes"
    )
    reports: Freed = Field(
        default_factory=Freed, description="Files directly in those directories (reports)"
    )
    artifacts: Freed = Field(
        default_factory=Freed, description="Files below them: <run-id>/artifacts, llm, agents…"
    )
    scan_cache: Freed = Field(
        default_factory=Freed,
        description="Rows expired or evicted; bytes = database bytes in use given up",
    )
    trees: Freed = Field(
        default_factory=Freed, description="trees/<sha> copies of commits, all their bytes"
    )
    scan_cache_bytes: int | None = Field(
        default=None, description="Scan cache bytes in use afterwards; None without a cache"
    )
    removed: list[str] = Field(default_factory=list, description="Workflow ids removed")
    kept_running: list[str] = Field(
        default_factory=list, description="Old enough, but the workflow is still running"
    )
    errors: list[str] = Field(default_factory=list)

    @computed_field
    @property
    def bytes_freed(self) -> int:
        return self.run_dirs.bytes + self.scan_cache.bytes + self.trees.bytes


def parse_age(text: str) -> timedelta:
    """`30d`, `12h`, `90m` or `45s` as a timedelta; ValueError with a one-line message."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(
            f"invalid age {text!r}: use a whole number and a unit d, h, m or s (e.g. 30d, 12h)"
        )
    amount = int(match[1])
    if amount == 0:
        raise ValueError(f"invalid age {text!r}: it must be more than zero")
    try:
        age = timedelta(**{_UNITS[match[2]]: amount})
    except OverflowError:
        age = _MAX_AGE + timedelta(days=1)
    if age > _MAX_AGE:
        raise ValueError(f"invalid age {text!r}: at most 36500d")
    return age


def collect_garbage(
    home: Path,
    older_than: timedelta,
    now: datetime,
    dry_run: bool = False,
    *,
    keep: Collection[str],
    cache_max_bytes: int | None = None,
) -> GcReport:
    """Remove run directories and scan cache rows untouched since `now - older_than`.

    `keep` holds the ids of workflows still running (fetch it before taking `now`, so a
    workflow started in between only has files newer than the cutoff). `cache_max_bytes`
    defaults to `ATTUNE_SCAN_CACHE_MAX_MB` (0: no cap). A dry run removes nothing and
    reports what would go; it may still migrate an old scan cache schema in place.
    """
    cutoff = now - older_than
    report = GcReport(home=str(home), cutoff=cutoff, dry_run=dry_run)
    _collect_runs(home, cutoff.timestamp(), dry_run, keep, report)
    _collect_cache(home, cutoff.timestamp(), dry_run, cache_max_bytes, report)
    _collect_trees(home, cutoff.timestamp(), dry_run, report)
    return report


def _collect_trees(home: Path, cutoff: float, dry_run: bool, report: GcReport) -> None:
    trees = home / "trees"
    if not trees.is_dir() or trees.is_symlink():
        return
    with os.scandir(trees) as entries:
        names = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    for name in names:
        path = trees / name
        try:
            used = path.lstat().st_mtime
            if used >= cutoff and not name.startswith(_TRASH_PREFIX):
                continue
            _newest, top, below = _survey(path)
        except FileNotFoundError:
            continue
        except OSError as err:
            report.errors.append(f"{path}: {err.strerror or err}")
            continue
        if not dry_run and not _remove(path, report):
            continue
        report.trees.count += 1
        report.trees.bytes += top.bytes + below.bytes


def _collect_runs(
    home: Path, cutoff: float, dry_run: bool, keep: Collection[str], report: GcReport
) -> None:
    runs = home / "runs"
    if not runs.is_dir():
        return
    if home.resolve().is_relative_to(runs.resolve()):
        report.errors.append(f"{runs} resolves to {runs.resolve()}, which holds {home}: skipped")
        return
    with os.scandir(runs) as entries:
        candidates = sorted(
            (entry.name for entry in entries if entry.is_dir(follow_symlinks=False)),
        )
    for name in candidates:
        path = runs / name
        try:
            newest, reports, artifacts = _survey(path)
        except FileNotFoundError:
            continue  # something in it just went away: it is in use, not garbage
        except OSError as err:
            report.errors.append(f"{path}: {err.strerror or err}")
            continue
        if newest >= cutoff:
            continue
        if _kept(name, keep):
            report.kept_running.append(name)
            continue
        if not dry_run and not _remove(path, report):
            continue
        report.removed.append(name)
        report.run_dirs.count += 1
        report.run_dirs.bytes += reports.bytes + artifacts.bytes
        for total, part in ((report.reports, reports), (report.artifacts, artifacts)):
            total.count += part.count
            total.bytes += part.bytes


def _kept(name: str, keep: Collection[str]) -> bool:
    """A running workflow's directory, an id with slashes nesting below its first part, or
    a child's (`<parent>-team`, `<parent>-routing-1`, …): a parent still waiting, say for
    an approval, may yet read what its finished children wrote."""
    if name.startswith(_TRASH_PREFIX):
        return False
    return any(
        name == workflow_id
        or workflow_id.startswith(f"{name}/")
        or name.startswith(f"{workflow_id}-")
        for workflow_id in keep
    )


def _survey(top: Path) -> tuple[float, Freed, Freed]:
    """The newest mtime of anything in the tree (directories too), and its files split
    into those directly inside (reports) and those deeper down (artifacts)."""
    newest = top.lstat().st_mtime
    reports, artifacts = Freed(), Freed()
    stack = [(top, 0)]
    while stack:
        folder, depth = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                stat = entry.stat(follow_symlinks=False)
                newest = max(newest, stat.st_mtime)
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), depth + 1))
                    continue
                part = reports if depth == 0 else artifacts
                part.count += 1
                part.bytes += stat.st_size
    return newest, reports, artifacts


def _remove(path: Path, report: GcReport) -> bool:
    trash = path
    if not path.name.startswith(_TRASH_PREFIX):
        trash = path.with_name(f"{_TRASH_PREFIX}{uuid.uuid4().hex[:12]}-{path.name}")
        try:
            path.rename(trash)
        except OSError as err:
            report.errors.append(f"{path}: {err.strerror or err}")
            return False
    failures: list[str] = []
    shutil.rmtree(trash, onexc=lambda _f, failed, err: failures.append(f"{failed}: {err}"))
    report.errors.extend(failures)
    return not failures


def _collect_cache(
    home: Path, cutoff: float, dry_run: bool, max_bytes: int | None, report: GcReport
) -> None:
    path = home / "cache" / "scan.sqlite"
    if not path.is_file() or path.is_symlink():
        return
    try:
        cache = ScanCache(path, max_bytes=max_bytes)
        result = cache.prune(unused_before=cutoff, dry_run=dry_run)
        if not dry_run and result.rows_removed:
            cache.checkpoint()
    except (sqlite3.Error, ValueError) as err:
        report.errors.append(f"{path}: {err}")
        return
    report.scan_cache.count = result.rows_removed
    report.scan_cache.bytes = max(0, result.bytes_before - result.bytes_after)
    report.scan_cache_bytes = result.bytes_after
