"""Git history over a window, with real `git` subprocesses: per file, the lines added and
deleted (churn), the commits touching it and when each was made, the fix commits among
them, its authors, and when git first added it.

Paths are relative to the target directory (`git log --relative` run inside it), the
same paths discovery and the findings use. Merges are left out (their diffs repeat
their parents'), renames are counted as a delete plus an add (`--no-renames`), and
binary files, which numstat reports as `-`, count commits but no lines.

A fix commit is one whose subject or body reads as a fix (`fix`, `fixes`, `fixed`,
`bug`, `bugfix`, `hotfix`, `regression`) or names an issue (`#123`, `GH-123`).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter

from activities.artifacts import ArtifactStore
from activities.target import target_dir
from workflows.code_facts import FileHistory, HistoryRequest, HistoryResult

FIX_PATTERN = re.compile(
    r"\b(fix(es|ed|ing)?|bug(s|fix(es)?)?|hotfix(es)?|regression)\b|(?<![\w&])#\d+\b|\bGH-\d+\b",
    re.IGNORECASE,
)
RECORD = "\x1e"
UNIT = "\x1f"
GIT_TIMEOUT_S = 600
HISTORY = TypeAdapter(list[FileHistory])


class NoHistory(Exception):
    """The target has no git history to read; the message says why."""


@dataclass
class History:
    since: datetime
    until: datetime
    commits: int = 0
    fix_commits: int = 0
    files: list[FileHistory] = field(default_factory=list)


def is_fix(message: str) -> bool:
    return FIX_PATTERN.search(message) is not None


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + year, month + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=GIT_TIMEOUT_S,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    if done.returncode != 0:
        raise NoHistory(
            done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git failed"
        )
    return done.stdout


def repository_of(directory: Path) -> Path:
    try:
        top = _git(directory, "rev-parse", "--show-toplevel").strip()
    except FileNotFoundError:
        raise NoHistory("git is not installed on this worker") from None
    except NoHistory:
        raise NoHistory(f"{directory} is not inside a git repository") from None
    try:
        _git(directory, "rev-parse", "--verify", "--quiet", "HEAD")
    except NoHistory:
        raise NoHistory(f"the git repository {top} has no commits yet") from None
    return Path(top)


def git_history(directory: Path, until: datetime, months: int) -> History:
    """History of the files under `directory` in the `months` before `until`, or before
    the last commit made by then: a project that has rested for a year still has the
    history of its last active year, not an empty window."""
    repository_of(directory)
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    last = _git(directory, "log", "-1", "--format=%ct", f"--until={until.isoformat()}").strip()
    if last:
        until = min(until, datetime.fromtimestamp(int(last), UTC))
    since = months_before(until, months)
    log = _git(
        directory,
        "log",
        "--no-merges",
        "--no-renames",
        "--relative",
        "--numstat",
        f"--since={since.isoformat()}",
        f"--until={until.isoformat()}",
        f"--format={RECORD}%H{UNIT}%ae{UNIT}%ct{UNIT}%B{UNIT}",
        "--",
        ".",
    )
    history = History(since=since, until=until)
    commits: dict[str, int] = defaultdict(int)
    added: dict[str, int] = defaultdict(int)
    deleted: dict[str, int] = defaultdict(int)
    fixes: dict[str, int] = defaultdict(int)
    authors: dict[str, set[str]] = defaultdict(set)
    changed_at: dict[str, list[datetime]] = defaultdict(list)
    fixed_at: dict[str, list[datetime]] = defaultdict(list)
    for record in log.split(RECORD)[1:]:
        _sha, author, at, message, numstat = record.split(UNIT, 4)
        fix = is_fix(message)
        moment = datetime.fromtimestamp(int(at), UTC)
        history.commits += 1
        history.fix_commits += fix
        for line in numstat.strip().splitlines():
            parts = line.split("\t", 2)
            if len(parts) != 3:
                continue
            plus, minus, path = parts
            commits[path] += 1
            fixes[path] += fix
            changed_at[path].append(moment)
            if fix:
                fixed_at[path].append(moment)
            authors[path].add(author.lower())
            added[path] += int(plus) if plus.isdigit() else 0
            deleted[path] += int(minus) if minus.isdigit() else 0
    born = _first_commits(directory, set(commits))
    history.files = [
        FileHistory(
            file=path,
            commits=commits[path],
            added=added[path],
            deleted=deleted[path],
            fixes=fixes[path],
            authors=len(authors[path]),
            first_commit=born.get(path),
            changed_at=sorted(changed_at[path], reverse=True),
            fixed_at=sorted(fixed_at[path], reverse=True),
        )
        for path in sorted(commits)
    ]
    return history


def _first_commits(directory: Path, paths: set[str]) -> dict[str, datetime]:
    """When each path was (last) added, over the whole history: the file's age."""
    if not paths:
        return {}
    log = _git(
        directory,
        "log",
        "--no-renames",
        "--relative",
        "--diff-filter=A",
        "--name-only",
        f"--format={RECORD}%at",
        "--",
        ".",
    )
    born: dict[str, datetime] = {}
    for record in log.split(RECORD)[1:]:
        stamp, _, names = record.partition("\n")
        moment = datetime.fromtimestamp(int(stamp.strip()), UTC)
        for name in names.split("\n"):
            if name and name in paths:
                born.setdefault(name, moment)  # newest first: the latest add wins
    return born


def stored_history(store: ArtifactStore, request: HistoryRequest, key: str) -> HistoryResult:
    """Every flow's history activity: the window's facts, the per-file list stored under
    `key`; without git history, `skipped` and why."""
    try:
        found = git_history(target_dir(request.target), request.until, request.months)
    except NoHistory as reason:
        return HistoryResult(status="skipped", reason=f"no git history: {reason}")
    return HistoryResult(
        status="ok",
        since=found.since,
        until=found.until,
        commits=found.commits,
        fix_commits=found.fix_commits,
        files=store.put(key, found.files, HISTORY, len(found.files)),
    )
