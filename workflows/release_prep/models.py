"""Models of the release-prep flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    AgentResult,
    BlockerDetail,
    CommandLine,
    TeamResult,
    UsageMemo,
)


class ReleasePrepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Git repository to prepare for release")
    out_dir: str | None = None
    approval_timeout_s: int = Field(default=7 * 24 * 3600, ge=1)
    test_timeout_s: int = Field(default=600, ge=1)
    env_timeout_s: int = Field(
        default=900, ge=1, description="Building the project's test environment (first run)"
    )
    test_cmd: CommandLine | None = Field(
        default=None, description="The command that runs the tests, instead of the detected one"
    )

    max_cost_usd: float | None = Field(default=None, ge=0)


class Recommendation(BaseModel):
    verdict: Literal["go", "no-go"]
    blockers: list[str] = Field(default_factory=list)
    blocker_details: list[BlockerDetail] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)


class DecisionEvent(BaseModel):
    """One line of the approval log: who did what, and when."""

    action: Literal["approved", "rejected", "refused", "timed_out"]
    reviewer: str
    text: str = ""
    override_blockers: bool = False
    at: datetime


class ReleaseReportRequest(BaseModel):
    run_key: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    team: TeamResult
    recommendation: Recommendation
    decisions: list[DecisionEvent]
    status: str


class ReleasePrepResult(BaseModel):
    workflow_id: str
    status: Literal["approved", "rejected", "timed_out"]
    recommendation: Recommendation
    decisions: list[DecisionEvent]
    agents: dict[str, AgentResult]
    artifacts: dict[str, str]
    usage: UsageMemo | None = None
