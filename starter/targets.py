"""A flow's target checked before anything starts: a bad one is one line, exit 2,
and never a run that waits a week for an approval of nothing."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.artifacts import shared_artifacts
from activities.target import repository_of
from workflows.registry import Flow

PYTHON_SUFFIXES = frozenset({".py", ".pyi"})


class BadTarget(ValueError):
    """The target cannot serve the flow; the message says why, in one line."""


def check_target(flow: Flow, raw: Path) -> Path:
    """The resolved target, or BadTarget naming what the flow needs."""
    path = raw.expanduser()
    if not path.exists():
        raise BadTarget(f"path {str(raw)!r} does not exist")
    path = path.resolve()
    if flow.target == "python" and path.is_file() and path.suffix not in PYTHON_SUFFIXES:
        raise BadTarget(
            f"{flow.name} analyses Python code: {str(raw)!r} is not a directory or a .py/.pyi file"
        )
    if flow.target in ("directory", "repository") and not path.is_dir():
        raise BadTarget(f"{flow.name} needs a directory, and {str(raw)!r} is a file")
    if flow.target == "repository" and repository_of(path) is None:
        raise BadTarget(f"{flow.name} needs a git repository, and {str(raw)!r} is not inside one")
    return path


def check_request(flow: Flow, request: BaseModel) -> None:
    """BadTarget when the flow's own check (`Flow.validate`) refuses the request, or when
    it would write to the target (`--apply`) that workers elsewhere only see a copy of."""
    if getattr(request, "apply", False) and shared_artifacts():
        raise BadTarget(
            "--apply commits to the target's repository, which workers see only as a snapshot "
            "when ATTUNE_ARTIFACTS is set: run it with local artifacts"
        )
    try:
        flow.check(request)
    except ValueError as exc:
        raise BadTarget(str(exc)) from None
