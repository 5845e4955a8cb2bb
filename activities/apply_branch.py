"""Committing a patch to a new git branch without touching the working tree or the index.

The patch is applied to HEAD's tree in a temporary index (`GIT_INDEX_FILE`: `read-tree`,
`apply --cached`, `write-tree`), committed with `commit-tree` on top of HEAD and named
with `update-ref`, which creates the branch only if it does not exist yet. The person's
checkout, staged changes and current branch stay exactly as they were.

Idempotent: a retry that finds the branch already pointing at the same tree returns
that commit instead of making a second one; a branch of that name with other content
is never moved.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore
from activities.code_facts.history import NoHistory, repository_of
from activities.target import target_dir
from workflows.schemas import ApplyOutcome, ApplyRequest

GIT_TIMEOUT_S = 120
IDENTITY = {
    "GIT_AUTHOR_NAME": "attune",
    "GIT_AUTHOR_EMAIL": "attune@localhost",
    "GIT_COMMITTER_NAME": "attune",
    "GIT_COMMITTER_EMAIL": "attune@localhost",
}


class GitFailed(Exception):
    """A git command failed; the message is git's last line of stderr."""


def _git(top: Path, *args: str, index: Path | None = None, text_in: str | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **IDENTITY}
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    done = subprocess.run(
        ["git", "-C", str(top), *args],
        input=text_in,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=GIT_TIMEOUT_S,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise GitFailed(lines[-1] if lines else f"git {args[0]} failed")
    return done.stdout.strip()


def _ref(top: Path, name: str) -> str | None:
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", name)
    except GitFailed:
        return None


def check_request(request: Any) -> None:
    """`Flow.validate` of the flows with `--apply`: it needs a git repository with a commit to
    branch from, known before the workflow starts."""
    if not request.apply:
        return
    target = Path(request.target)
    try:
        repository_of(target if target.is_dir() else target.parent)
    except NoHistory as reason:
        raise ValueError(f"--apply commits to a new git branch, and {reason}") from None


def commit_patch(directory: Path, patch: str, branch: str, message: str) -> ApplyOutcome:
    """Commit `patch` (paths relative to `directory`, git's a/ b/ form) on top of HEAD
    as the new branch `branch`. Raises NoHistory when `directory` is not in a git
    repository with a commit."""
    top = repository_of(directory)
    prefix = directory.resolve().relative_to(top.resolve()).as_posix()
    head = _git(top, "rev-parse", "HEAD")
    if not patch.strip():
        return ApplyOutcome(status="nothing-to-apply", reason="the patch is empty", base=head)
    with tempfile.TemporaryDirectory(prefix="attune-apply-") as scratch:
        index = Path(scratch) / "index"
        try:
            _git(top, "read-tree", "HEAD", index=index)
            directory_args = [f"--directory={prefix}"] if prefix != "." else []
            _git(
                top, "apply", "--cached", "--whitespace=nowarn", *directory_args, "-",
                index=index, text_in=patch,
            )  # fmt: skip
            tree = _git(top, "write-tree", index=index)
        except GitFailed as err:
            return ApplyOutcome(
                status="failed",
                reason=f"the patch does not apply to HEAD ({err}); "
                "commit or stash the changes to the patched files and run again",
                branch=branch,
                base=head,
            )
    if tree == _git(top, "rev-parse", "HEAD^{tree}"):
        return ApplyOutcome(status="nothing-to-apply", reason="HEAD has the fixes", base=head)
    ref = f"refs/heads/{branch}"
    existing = _ref(top, ref)
    if existing is not None:
        if _git(top, "rev-parse", f"{existing}^{{tree}}") == tree:
            return ApplyOutcome(status="unchanged", branch=branch, commit=existing, base=head)
        return ApplyOutcome(
            status="failed",
            reason=f"the branch {branch} exists already with other content; left as it is",
            branch=branch,
            base=head,
        )
    commit = _git(top, "commit-tree", tree, "-p", head, "-F", "-", text_in=message)
    try:
        _git(top, "update-ref", ref, commit, "")
    except GitFailed as err:
        raise GitFailed(f"could not create the branch {branch}: {err}") from err
    return ApplyOutcome(status="committed", branch=branch, commit=commit, base=head)


def apply_stored_patch(store: ArtifactStore, request: ApplyRequest) -> ApplyOutcome:
    """The `apply` activity of every flow whose patch is an artifact: a target outside a
    git repository cannot become one on a retry."""
    patch = store.get(request.patch, TypeAdapter(str))
    try:
        return commit_patch(target_dir(request.target), patch, request.branch, request.message)
    except NoHistory as reason:
        raise ApplicationError(
            f"--apply commits to a new git branch, and {reason}",
            type="NoGitRepository",
            non_retryable=True,
        ) from None
