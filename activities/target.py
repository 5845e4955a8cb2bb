"""The one way activities reach a run's target, so a worker on another machine reads
the same files as a worker beside the starter.

A target is a path on this machine, or, when artifacts are shared
(`ATTUNE_ARTIFACTS`), a snapshot reference `attune-snapshot:<sha256>:<path>` the
starter made (activities/snapshots.py). A worker materialises a snapshot once into
`$ATTUNE_HOME/targets/<sha256>/tree` from the store: every blob and the manifest are
checked against their sha256, and the tree appears whole (built aside, then renamed)
or not at all. A target inside a git repository brings its history as a bundle, so
the tree is a clone with the starter's working files laid over it.

Whatever cannot succeed on a retry (the path is gone, or is a file where a directory
is needed) is a non-retryable error, shown once.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field, TypeAdapter
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore

SNAPSHOT_SCHEME = "attune-snapshot:"
TRANSFERS = 16


class GitHistory(BaseModel):
    """The repository around a snapshot: its refs and HEAD, and the bundle holding them
    (None for a repository without commits)."""

    bundle: str | None = None
    refs: str = ""
    head: str = ""


class Snapshot(BaseModel):
    """A target's files by content: what a worker needs to rebuild the tree."""

    root: str = Field(description="the target directory on the starter's machine")
    subdir: str = Field(default="", description="root relative to the tree (the repo root)")
    files: dict[str, str] = Field(default_factory=dict, description="path to blob sha256")
    executable: list[str] = Field(default_factory=list)
    empty: list[str] = Field(default_factory=list, description="gitignored: name, no content")
    dirs: list[str] = Field(default_factory=list, description="pruned: kept empty")
    symlinks: dict[str, str] = Field(default_factory=dict)
    git: GitHistory | None = None


SNAPSHOT = TypeAdapter(Snapshot)


def repository_of(path: Path) -> Path | None:
    """The git work tree `path` lies in, if any."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def snapshot_key(sha: str) -> str:
    return f"snapshots/{sha}.json"


def blob_key(sha: str) -> str:
    return f"snapshots/blobs/{sha[:2]}/{sha}"


def snapshot_target(sha: str, path: str) -> str:
    return f"{SNAPSHOT_SCHEME}{sha}:{path}"


def split_target(target: str) -> tuple[str | None, str]:
    """(snapshot sha256 or None, the path as the starter named it)."""
    if not target.startswith(SNAPSHOT_SCHEME):
        return None, target
    sha, _, path = target.removeprefix(SNAPSHOT_SCHEME).partition(":")
    return sha, path


def shown_target(target: str) -> str:
    """The path a person named, for labels and search attributes."""
    return split_target(target)[1]


def _git(tree: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ApplicationError(f"git {args[0]} in a target snapshot failed: {done.stderr.strip()}")
    return done.stdout


def _verified(store: ArtifactStore, key: str, sha: str) -> bytes:
    try:
        data = store.backend.read(key)
    except FileNotFoundError as err:
        raise ApplicationError(
            f"{store.backend.location(key)} is missing: the snapshot was made against "
            "another store (every worker and the starter need the same ATTUNE_ARTIFACTS)",
            non_retryable=True,
        ) from err
    if hashlib.sha256(data).hexdigest() != sha:
        raise ApplicationError(f"{key} does not match its checksum", non_retryable=True)
    return data


def _clone(store: ArtifactStore, history: GitHistory, tree: Path, scratch: Path) -> None:
    """The starter's refs and HEAD, checked out: git verifies every object it fetches,
    and the refs must come out as the starter listed them."""
    _git(scratch, "init", "-q", str(tree))
    if history.bundle is None:
        return
    bundle = scratch / "history.bundle"
    bundle.write_bytes(store.backend.read(history.bundle))
    _git(tree, "fetch", "-q", "--update-head-ok", str(bundle), "+refs/*:refs/*")
    if history.head.startswith("refs/"):
        _git(tree, "symbolic-ref", "HEAD", history.head)
    else:
        _git(tree, "update-ref", "--no-deref", "HEAD", history.head)
    if _git(tree, "show-ref", "--head") != history.refs:
        raise ApplicationError("the snapshot's git history does not match its refs")
    _git(tree, "reset", "-q", "--hard")


def _write_blob(store: ArtifactStore, tree: Path, rel: str, sha: str) -> None:
    path = tree / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.write_bytes(_verified(store, blob_key(sha), sha))


def _build(store: ArtifactStore, snapshot: Snapshot, tree: Path, scratch: Path) -> None:
    if snapshot.git is not None:
        _clone(store, snapshot.git, tree, scratch)
    tree.mkdir(exist_ok=True)
    for rel in snapshot.dirs:
        (tree / rel).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(TRANSFERS) as pool:
        list(pool.map(lambda item: _write_blob(store, tree, *item), snapshot.files.items()))
    for rel in snapshot.executable:
        (tree / rel).chmod(0o755)
    for rel in snapshot.empty:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(b"")
    for rel, link in snapshot.symlinks.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).unlink(missing_ok=True)
        os.symlink(link, tree / rel)


def materialise(store: ArtifactStore, sha: str) -> tuple[Snapshot, Path]:
    """The snapshot and its tree in this worker's cache, built on first use."""
    cache = store.root / "targets" / sha
    manifest = cache / "manifest.json"
    if not manifest.is_file():
        snapshot = SNAPSHOT.validate_json(_verified(store, snapshot_key(sha), sha))
        cache.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=cache.parent, prefix=f".{sha}."))
        try:
            _build(store, snapshot, scratch / "tree", scratch)
            (scratch / "history.bundle").unlink(missing_ok=True)
            (scratch / "manifest.json").write_bytes(SNAPSHOT.dump_json(snapshot))
            os.rename(scratch, cache)
        except OSError:
            if not manifest.is_file():  # not another activity finishing the same tree first
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return SNAPSHOT.validate_json(manifest.read_bytes()), cache / "tree"


def local_target(target: str) -> Path:
    """The target as a path on this worker: itself, or where its snapshot lives here."""
    sha, path = split_target(target)
    if sha is None:
        return Path(path)
    snapshot, tree = materialise(ArtifactStore(), sha)
    try:
        rel = PurePosixPath(posixpath.normpath(path)).relative_to(snapshot.root)
    except ValueError:
        raise ApplicationError(
            f"{path} is outside the snapshot of {snapshot.root}", non_retryable=True
        ) from None
    return tree / snapshot.subdir / rel


def target_path(target: str) -> Path:
    """The target as this worker sees it: a file or a directory."""
    path = local_target(target)
    if not path.exists():
        raise ApplicationError(f"target {path} does not exist on this worker", non_retryable=True)
    return path


def target_dir(target: str) -> Path:
    """The target directory: a file target's folder, since file paths are relative to it."""
    path = target_path(target)
    return path.parent if path.is_file() else path


def target_repository(target: str) -> Path:
    """A target that must be a directory (a repository, a project)."""
    path = target_path(target)
    if not path.is_dir():
        raise ApplicationError(
            f"target {path} is not a directory on this worker", non_retryable=True
        )
    return path
