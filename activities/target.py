"""The one way activities reach a run's target, so making targets reachable from
other machines (a snapshot in the artifact store) changes this module only.

Whatever cannot succeed on a retry (the path is gone, or is a file where a directory
is needed) is a non-retryable error, shown once.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.exceptions import ApplicationError


def target_path(target: str) -> Path:
    """The target as this worker sees it: a file or a directory."""
    path = Path(target)
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
