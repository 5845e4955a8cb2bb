"""Failures as people need to read them: the innermost cause, not its wrappers.

Temporal wraps an activity's exception in `ActivityError`, a child's in
`ChildWorkflowError`, and so on up the tree; their own messages ("Activity task
failed") say where it broke, never why. Deterministic, so workflows use it too.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError, FailureError

WORKFLOW_FAILURE_TYPES: tuple[type[BaseException], ...] = (
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
    AssertionError,
)
"""Exceptions that fail a workflow run instead of retrying its task forever: a bug or
bad input (a pydantic ValidationError is a ValueError) does not heal on retry. A
nondeterminism error is none of these, so a bad deployment still waits for a fix."""


def innermost(error: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        cause = error.cause if isinstance(error, FailureError) else error.__cause__
        if cause is None:
            break
        error = cause
    return error


def root_cause(error: BaseException) -> str:
    """`Type: message` of the innermost cause, e.g. `ValidationError: 1 validation error`."""
    cause = innermost(error)
    if isinstance(cause, ApplicationError):
        kind = cause.type or type(cause).__name__
        return f"{kind}: {cause.message}" if cause.message else kind
    if isinstance(cause, FailureError):
        return cause.message or type(cause).__name__
    return f"{type(cause).__name__}: {cause}"
