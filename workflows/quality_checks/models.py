"""Models of the quality-checks flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    AgentResult,
    TeamResult,
    UsageMemo,
)


class QualityChecksRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str
    out_dir: str | None = None
    max_cost_usd: float | None = Field(default=None, ge=0)


class QualityChecksResult(BaseModel):
    workflow_id: str
    agents: dict[str, AgentResult]
    not_available: list[str]
    artifacts: dict[str, str]
    usage: UsageMemo | None = None


class QualityReportRequest(BaseModel):
    workflow_id: str
    target: str
    out_dir: str | None
    team: TeamResult
    not_available: list[str]
