"""A flow's target checked before anything starts: a bad one is one line, exit 2,
and never a run that waits a week for an approval of nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from activities.artifacts import shared_artifacts
from activities.target import repository_of
from starter.errors import BadRequest
from workflows.registry import Flow

STARTER_FIELDS = frozenset({"target", "out_dir", "spec"})
"""Request fields the starter fills in, not parameters a person passes."""

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


def accepted_params(flow: Flow) -> list[str]:
    assert flow.request is not None
    return [name for name in flow.request.model_fields if name not in STARTER_FIELDS]


def validated(flow: Flow, values: dict[str, Any]) -> BaseModel:
    """The flow's request, or BadRequest naming the bad or unknown field (`where: why`)
    and carrying pydantic's error."""
    assert flow.request is not None
    try:
        return flow.request.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "request"
        if first["type"] == "extra_forbidden":
            accepted = ", ".join(accepted_params(flow)) or "none"
            message = f"{where}: {flow.name} has no such parameter (accepted: {accepted})"
        else:
            message = f"{where}: {first['msg']}"
        raise BadRequest(message, exc) from exc


def prepare(flow: Flow, values: Mapping[str, Any] | BaseModel) -> BaseModel:
    """A request ready to start: validated by the flow's model, its target resolved and
    fit for the flow, and accepted by the flow's own check; BadRequest otherwise."""
    assert flow.request is not None
    request = values if isinstance(values, flow.request) else validated(flow, dict(values))
    try:
        target = check_target(flow, Path(request.target))
        request = request.model_copy(update={"target": str(target)})
        check_request(flow, request)
    except BadTarget as exc:
        raise BadRequest(str(exc)) from None
    return request
