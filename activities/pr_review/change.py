"""The change a pull request makes, and its head version on disk.

The agents must read the files of `head`, not whatever the working tree holds: when head
is not the checked-out commit, or the working tree has uncommitted edits under the
target, head's tree is copied with `git archive` into a cache folder of the artifact
store, keyed by its sha and reused. The user's working tree and index are never touched.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.code_facts.diff import change_set, default_base, resolve
from activities.code_facts.history import GIT_TIMEOUT_S, NoHistory, _git, repository_of
from workflows.code_facts import ChangeSet

TREES = "trees"


class BadRevision(ValueError):
    """A revision or default branch git cannot find; the message says which, in one line."""


@dataclass(frozen=True)
class Checkout:
    tree: Path
    materialised: bool
    why: str = ""


def check_revisions(target: Path, base: str | None, head: str) -> None:
    """Refuse, in one line, a target without history, an unknown revision, or a missing
    default branch when no base is given; the CLI calls it before anything starts."""
    try:
        repository_of(target)
        resolve(target, head)
        if base is None:
            default_base(target, head)
        else:
            resolve(target, base)
    except NoHistory as exc:
        raise BadRevision(str(exc)) from None


def read_change(target: Path, base: str | None, head: str) -> ChangeSet:
    try:
        return change_set(target, base, head)
    except NoHistory as exc:
        raise BadRevision(str(exc)) from None


def repo_prefix(target: Path) -> str:
    """The target's folder inside its repository: '' at the root, else 'a/b/'."""
    return _git(target, "rev-parse", "--show-prefix").strip()


def _dirty(target: Path) -> bool:
    """Uncommitted edits to tracked files under the target (untracked files are ignored:
    a review reads the files head changes, which are all tracked)."""
    status = _git(target, "status", "--porcelain", "--untracked-files=no", "--", ".")
    return bool(status.strip())


def checkout(target: Path, head_sha: str, cache_root: Path) -> Checkout:
    """Where head's version of the target lies: the target itself when it is head, clean;
    else a copy of head's tree under `cache_root/trees/<sha>`."""
    current = resolve(target, "HEAD")
    if current == head_sha and not _dirty(target):
        return Checkout(tree=target, materialised=False)
    why = (
        "the working tree has uncommitted changes"
        if current == head_sha
        else f"head {head_sha[:12]} is not the checked-out commit {current[:12]}"
    )
    root = materialise(target, head_sha, cache_root)
    return Checkout(tree=root / repo_prefix(target), materialised=True, why=why)


def materialise(target: Path, sha: str, cache_root: Path) -> Path:
    """Head's whole tree, extracted once into the cache (atomically: a temporary folder
    renamed into place), so concurrent or retried activities never see half a tree."""
    folder = cache_root / TREES / sha
    if folder.is_dir():
        os.utime(folder)  # in use: `attune gc` keeps a tree used since its cutoff
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    top = repository_of(target)
    archive = subprocess.run(
        ["git", "-C", str(top), "archive", "--format=tar", sha],
        capture_output=True,
        check=False,
        timeout=GIT_TIMEOUT_S,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    if archive.returncode != 0:
        raise NoHistory(archive.stderr.decode(errors="replace").strip() or "git archive failed")
    scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{sha}."))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(scratch, filter="data")
        os.rename(scratch, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return folder


def check_request(request: Any) -> None:
    """pr-review's `Flow.validate`: its revisions exist, before the workflow starts."""
    check_revisions(Path(request.target), request.base, request.head)
