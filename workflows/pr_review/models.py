"""Models of the pr-review flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import AgentResult, ArtifactRef, Finding, TeamResult, UsageMemo
from workflows.security_audit.models import AuditSummary

Verdict = Literal["approve", "comment", "request_changes"]
VERDICTS: tuple[Verdict, ...] = ("approve", "comment", "request_changes")


class PrReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the repository (or a folder inside it)")
    out_dir: str | None = None
    base: str | None = Field(
        default=None,
        description="Revision the change is compared against; by default the merge-base "
        "of head with the default branch",
    )
    head: str = Field(default="HEAD", description="Revision under review")
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per agent")


class ChangeRequest(BaseModel):
    run_key: str
    target: str
    base: str | None
    head: str


class PreparedChange(BaseModel):
    """The change to review and where its head version lies on disk."""

    base: str = Field(description="Full sha of the base")
    head: str = Field(description="Full sha of the head")
    base_ref: str
    head_ref: str
    tree: str = Field(description="Directory the agents analyse: the target, or its head copy")
    materialised: bool = Field(description="True when `tree` is a copy of head's files")
    why_materialised: str = ""
    repo_prefix: str = Field(description="The target's path inside the repository, '' or 'a/b/'")
    changes: ArtifactRef = Field(description="The ChangeSet")
    paths: list[str] = Field(description="Files head adds or changes (deleted ones left out)")
    lines_changed: int


class ReviewReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    change: PreparedChange
    team: TeamResult
    not_available: list[str]


class ReviewComment(BaseModel):
    """One inline comment of a GitHub review ("create a review" API)."""

    path: str = Field(description="Path relative to the repository root")
    line: int
    side: Literal["RIGHT"] = "RIGHT"
    body: str


class ReviewOutcome(BaseModel):
    verdict: Verdict
    reasons: list[str]
    summary: AuditSummary
    findings: ArtifactRef = Field(description="list[Finding] on changed lines")
    top: list[Finding] = Field(description="The most severe findings on changed lines")
    comments: int
    artifacts: dict[str, str]
    duration_s: float


class PrReviewResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: Literal["completed"]
    target: str
    base: str
    head: str
    base_ref: str
    head_ref: str
    files_changed: int
    lines_changed: int
    verdict: Verdict
    verdict_reasons: list[str]
    summary: AuditSummary
    top: list[Finding]
    findings: ArtifactRef
    agents: dict[str, AgentResult]
    not_available: list[str]
    artifacts: dict[str, str] = Field(description="markdown, json, sarif, github_review")
    duration_s: float
    usage: UsageMemo | None = None
