"""Target snapshots: the starter's side of "targets anywhere".

When artifacts are shared (`ATTUNE_ARTIFACTS`), workers may run on machines that
cannot see the starter's disk. Before a run starts, the starter walks the target as
discovery does (the same ignore and prune rules, every file type, so any flow finds
its files) and uploads each file as a blob keyed by its sha256: an unchanged file is
never uploaded twice. A manifest (itself content-addressed) maps paths to blobs, and
the run's target becomes `attune-snapshot:<manifest sha256>:<path>`; workers rebuild
the tree with activities/target.py.

What discovery leaves out travels as its shape, not its content, so a worker's
discovery records the same skips: gitignored files as empty names, pruned directories
(virtualenvs, vendored trees, nested repositories) empty with the marker that names
them, symlinks as links. Files above `SNAPSHOT_MAX_FILE_BYTES` are left out.

A target inside a git repository carries its history: a `git bundle` of every ref,
keyed by the refs it holds, so it is uploaded once per state of the repository. One
mechanism serves every git-aware flow (release-prep's tags, pr-review's revisions,
bug-predict's churn): the worker gets a real clone, and the flows run git as usual.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from activities.artifacts import ArtifactStore, atomic_write
from activities.discovery import discover_files
from activities.target import (
    SNAPSHOT,
    TRANSFERS,
    GitHistory,
    Snapshot,
    blob_key,
    repository_of,
    snapshot_key,
    snapshot_target,
    split_target,
)

SNAPSHOT_MAX_FILE_BYTES = 64 * 1024 * 1024
PRUNED_EMPTY = frozenset({"gitignored", "vendored tree", "tool environment", "tool cache"})


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=check
    )


def _history(store: ArtifactStore, repo: Path) -> GitHistory:
    """The repository's refs and HEAD, with a bundle of them uploaded once per state."""
    listed = _git(repo, "show-ref", "--head", check=False)
    if listed.returncode != 0 or not listed.stdout:
        return GitHistory()
    branch = _git(repo, "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    head = branch or _git(repo, "rev-parse", "HEAD").stdout.strip()
    state = hashlib.sha256(f"{head}\n{listed.stdout}".encode()).hexdigest()
    key = f"snapshots/git/{state}.bundle"
    if not store.backend.exists(key):
        with tempfile.TemporaryDirectory() as scratch:
            bundle = Path(scratch) / "history.bundle"
            _git(repo, "bundle", "create", "-q", str(bundle), "--all")
            store.backend.create(key, bundle.read_bytes())
    return GitHistory(bundle=key, refs=listed.stdout, head=head)


def _sha(path: Path) -> str | None:
    """The file's sha256; None for a file this process cannot read, which the workers
    then do not see either."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _upload(store: ArtifactStore, path: Path, sha: str) -> None:
    """The blob, unless the store has it already (another starter's upload)."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise ValueError(f"{path} changed while the snapshot was taken: start the run again")
    store.backend.create(blob_key(sha), data)


def _last_pointer(store: ArtifactStore, root: Path) -> Path:
    """Where this starter notes the last snapshot of `root` it put in this store."""
    name = hashlib.sha256(f"{store.url}\n{root}".encode()).hexdigest()
    return store.local_path(f"cache/snapshots/{name}")


def _known_blobs(store: ArtifactStore, root: Path) -> set[str]:
    """The blobs of the last snapshot of `root`, if the store still holds its manifest
    (written after its blobs, so they are there too): a run after a small edit checks
    and uploads only what changed."""
    try:
        last = _last_pointer(store, root).read_text().strip()
        data = store.backend.read(snapshot_key(last))
    except FileNotFoundError:
        return set()
    if hashlib.sha256(data).hexdigest() != last:
        return set()
    return set(SNAPSHOT.validate_json(data).files.values())


def _shape(snapshot: Snapshot, base: Path, root: Path, skipped: list) -> list[str]:
    """Record what discovery skipped as names and markers; returns the marker files
    (a virtualenv's pyvenv.cfg, a submodule's .git file) to upload with the rest."""
    markers = []
    for skip in skipped:
        rel = (root / skip.path.rstrip("/")).relative_to(base).as_posix()
        if skip.path.endswith("/"):
            if skip.reason in PRUNED_EMPTY:
                snapshot.dirs.append(rel)
            elif skip.reason == "virtualenv":
                snapshot.dirs.append(rel)
                markers.append(f"{rel}/pyvenv.cfg")
            elif skip.reason == "git submodule":
                markers.append(f"{rel}/.git")
            elif skip.reason == "nested git repository":
                snapshot.dirs.append(f"{rel}/.git")
        elif skip.reason == "gitignored":
            snapshot.empty.append(rel)
        elif (base / rel).is_symlink():
            snapshot.symlinks[rel] = os.readlink(base / rel)
    return markers


def take_snapshot(store: ArtifactStore, target: Path) -> str:
    """Upload `target` (a resolved file or directory) and return the run's target."""
    root = target if target.is_dir() else target.parent
    repo = repository_of(root)
    base = repo or root
    found = discover_files(target, SNAPSHOT_MAX_FILE_BYTES, suffixes=None)
    subdir = root.relative_to(base).as_posix()
    snapshot = Snapshot(root=str(root), subdir="" if subdir == "." else subdir)
    rels = [(root / f).relative_to(base).as_posix() for f in found.files]
    rels += _shape(snapshot, base, root, found.skipped)
    rels += [
        (parent / ".gitignore").relative_to(base).as_posix()
        for parent in root.parents
        if parent.is_relative_to(base) and (parent / ".gitignore").is_file()
    ]
    with ThreadPoolExecutor(TRANSFERS) as pool:
        shas = list(pool.map(lambda rel: _sha(base / rel), rels))
    snapshot.files = {rel: sha for rel, sha in sorted(zip(rels, shas, strict=True)) if sha}
    snapshot.executable = [rel for rel in snapshot.files if (base / rel).stat().st_mode & 0o111]
    if repo is not None:
        snapshot.git = _history(store, repo)
    data = SNAPSHOT.dump_json(snapshot)
    sha = hashlib.sha256(data).hexdigest()
    if not store.backend.exists(snapshot_key(sha)):
        known = _known_blobs(store, root)
        wanted = {blob: rel for rel, blob in snapshot.files.items() if blob not in known}
        with ThreadPoolExecutor(TRANSFERS) as pool:
            list(pool.map(lambda item: _upload(store, base / item[1], item[0]), wanted.items()))
        store.backend.create(snapshot_key(sha), data)
    atomic_write(_last_pointer(store, root), sha.encode())
    return snapshot_target(sha, str(target))


def snapshot_if_shared(store: ArtifactStore, target: str) -> str:
    """The target a run should carry: a snapshot when workers may be elsewhere."""
    if not store.shared or split_target(target)[0] is not None:
        return target
    return take_snapshot(store, Path(target))
