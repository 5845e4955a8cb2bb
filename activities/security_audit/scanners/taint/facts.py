"""What one module says about data flow, as JSON-serialisable facts.

Values inside a function are described by labels: `p<i>` is the function's i-th
parameter, `s<j>` the j-th untrusted source read in it, `c<k>` the result of its k-th
recorded call to a function that may be defined in the target. The solver replaces
call labels with what the callee's summary says, so facts never depend on other files
and can be cached per file.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.schemas import Confidence


class SourceFact(BaseModel):
    """Untrusted data read inside a function: request data, input(), argv, environment."""

    kind: str = Field(description="request, route-param, input, argv or env")
    confidence: Confidence
    line: int
    column: int
    note: str


class SinkFact(BaseModel):
    """A call (or return, or store) where data carrying `labels` is dangerous."""

    cwe: int
    what: str = Field(description="The sink as written, e.g. cursor.execute")
    line: int
    column: int
    anchor_line: int = Field(
        description="Where the finding is reported: the sink call, or "
        "the expression that built its dangerous argument"
    )
    anchor_column: int
    labels: list[str]
    snippet: str = ""


class CallFact(BaseModel):
    """A call to a function that may be defined in the target: which labels each argument
    carries. `bound` calls (`self.f(x)`) pass the receiver as parameter 0."""

    callee: str
    line: int
    column: int
    args: list[list[str]] = Field(default_factory=list)
    kwargs: dict[str, list[str]] = Field(default_factory=dict)
    bound: bool = False


class FunctionFacts(BaseModel):
    name: str = Field(description="Qualified name: module.Class.function")
    line: int
    params: list[str] = Field(default_factory=list)
    sources: list[SourceFact] = Field(default_factory=list)
    sinks: list[SinkFact] = Field(default_factory=list)
    calls: list[CallFact] = Field(default_factory=list)
    returns: list[str] = Field(default_factory=list)


class ModuleFacts(BaseModel):
    file: str = Field(description="POSIX path relative to the audit target")
    module: str = Field(description="Dotted module name derived from the path")
    imports: dict[str, str] = Field(
        default_factory=dict, description="Module-level names bound by imports: re-exports"
    )
    functions: list[FunctionFacts] = Field(default_factory=list)


def module_name(path: str) -> str:
    """`pkg/db.py` -> `pkg.db`, `pkg/__init__.py` -> `pkg`."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi")) else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
