"""Models of the composed flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import UsageMemo


class ComposedRequest(BaseModel):
    """A user spec (validated again inside the workflow) run against a target."""

    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any]
    target: str
    out_dir: str | None = None


class StepOutcome(BaseModel):
    id: str
    kind: str
    role: str
    status: Literal["ok", "failed", "rejected", "timed_out", "skipped"]
    summary: str
    workflow_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    usage: UsageMemo | None = None


class ComposedResult(BaseModel):
    workflow_id: str
    name: str
    status: Literal["completed", "failed", "rejected"]
    steps: dict[str, StepOutcome]
    artifacts: dict[str, str]
    usage: UsageMemo | None = None


class ComposedReportRequest(BaseModel):
    workflow_id: str
    name: str
    target: str
    out_dir: str | None
    steps: list[StepOutcome]
