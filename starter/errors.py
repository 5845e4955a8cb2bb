"""The typed errors of attune's starters: the Python API raises them, the CLI and the
MCP server turn them into one line each. Nothing here imports Temporal."""

from __future__ import annotations

from pydantic import ValidationError


class UnknownFlow(LookupError):
    """No built flow has that name (or the run is not one of attune's)."""


class BadRequest(ValueError):
    """The request is refused before anything starts: a field the flow's model rejects,
    a target the flow cannot analyse, or the flow's own check (`Flow.validate`).
    `errors` is pydantic's error when the model refused it, None otherwise."""

    def __init__(self, message: str, errors: ValidationError | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class UnknownWorkflow(LookupError):
    """No workflow has that id."""


class NotWaiting(LookupError):
    """The run takes no decision now (done, never asks, or not there yet)."""


class BlockersPresent(Exception):
    """Approving would release over blockers without saying so."""

    def __init__(self, blockers: list[str]) -> None:
        super().__init__("; ".join(blockers))
        self.blockers = blockers


class RunFailed(Exception):
    """The run ended without a result. `status` is failed, cancelled, terminated or
    timed_out; `cause` is the innermost cause as `Type: message` (the Temporal error
    is chained as `__cause__`)."""

    def __init__(self, workflow_id: str, status: str, cause: str) -> None:
        super().__init__(f"{workflow_id} {status}: {cause}")
        self.workflow_id = workflow_id
        self.status = status
        self.cause = cause
