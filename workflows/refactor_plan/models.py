"""Models of the refactor-plan flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.code_facts import HistoryResult
from workflows.schemas import (
    ApplyOutcome,
    ArtifactRef,
    DiscoveryResult,
    FileBatch,
    LLMSummary,
    RunStatus,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary, LLMOutcome

ItemKind = Literal[
    "hotspot",
    "long-function",
    "deep-nesting",
    "long-parameter-list",
    "duplication",
    "dead-code",
]
Effort = Literal["S", "M", "L"]


class RefactorPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to analyse")
    out_dir: str | None = None
    apply: bool = Field(
        default=False,
        description="Commit the mechanical patches to a new git branch "
        "(the working tree and the index stay untouched)",
    )
    python_version: str | None = Field(
        default=None,
        pattern=r"^py3\d{1,2}$",
        description="Oldest Python the code supports, e.g. py311: how far the syntax "
        "modernisation (ruff UP) may go; by default ruff's own oldest supported version",
    )
    history_months: int = Field(
        default=12, ge=1, le=240, description="Git history window, in months back from now"
    )
    batch_size: int = Field(default=250, ge=1, le=5000, description="Files per analysis activity")
    chunk_size: int = Field(
        default=50, ge=1, le=1000, description="Files per heartbeat (the resume cursor)"
    )
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    top_items: int = Field(default=30, ge=1, le=1000, description="Plan items in the table")
    heartbeat_timeout_s: int = Field(
        default=30, ge=1, description="How soon a dead worker's batch moves to another"
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="Most severe plan items sent to LLM triage"
    )


class PlanBatch(FileBatch):
    """refactor-plan's batch: the metrics of its files."""


class PlanBatchResult(BaseModel):
    index: int
    facts: ArtifactRef = Field(description="list[FileFacts]")
    skipped: ArtifactRef
    files_analyzed: int
    cache_hits: int = 0
    cache_misses: int = 0
    resumed_from: int = 0


class CrossFileRequest(BaseModel):
    run_key: str
    target: str
    files: ArtifactRef


class CrossFileResult(BaseModel):
    clones: ArtifactRef = Field(description="list[CloneClass]")
    dead_code: ArtifactRef = Field(description="list[DeadCode]")


class PatchRequest(BaseModel):
    run_key: str
    target: str
    files: ArtifactRef
    python_version: str | None = None


class FilePatch(BaseModel):
    file: str
    rules: dict[str, int] = Field(description="Fixed diagnostics by ruff rule code")
    added: int
    removed: int


class PatchResult(BaseModel):
    status: Literal["ok", "failed"]
    reason: str = ""
    patch: ArtifactRef | None = Field(default=None, description="The unified diff (str)")
    python_version: str = Field(default="", description="ruff's --target-version")
    python_source: str = Field(default="", description="Where that version comes from")
    files: list[FilePatch] = Field(default_factory=list)
    findings: ArtifactRef | None = Field(default=None, description="list[Finding], ruff's")


class Location(BaseModel):
    file: str
    line: int
    end_line: int | None = None


class PlanItem(BaseModel):
    rank: int = 0
    kind: ItemKind
    title: str
    file: str
    line: int
    end_line: int | None = None
    symbol: str | None = None
    related: list[Location] = Field(
        default_factory=list, description="The other copies of a duplicated block"
    )
    evidence: list[str]
    effort: Effort
    effort_reason: str
    benefit: str
    benefit_points: float = Field(ge=0, le=100, description="The benefit, from the evidence")
    score: float = Field(
        default=0, ge=0, description="Priority: benefit x churn factor / effort cost"
    )


class PlanRankRequest(BaseModel):
    run_key: str
    discovery: DiscoveryResult
    batch_count: int = Field(ge=0)
    history: HistoryResult
    cross_file: CrossFileResult
    patches: PatchResult


class RankedPlan(BaseModel):
    """The plan and its findings, ranked and stored before the LLM stage reads them."""

    plan: ArtifactRef = Field(description="list[PlanItem], best first")
    findings: ArtifactRef = Field(description="list[Finding]: the items and ruff's fixes")
    skipped: ArtifactRef = Field(description="list[SkippedFile]")
    clones: int
    dead_code: int


class PlanReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    discovery: DiscoveryResult
    batch_count: int = Field(ge=0)
    files_analyzed: int = Field(ge=0)
    cache_hits: int = 0
    cache_misses: int = 0
    history: HistoryResult
    cross_file: CrossFileResult
    patches: PatchResult
    applied: ApplyOutcome
    top_items: int
    llm: LLMSummary
    ranked: RankedPlan
    llm_outcomes: list[LLMOutcome] = Field(
        default_factory=list, description="Verdicts and explanations to put on the findings"
    )


class PlanReportOutcome(BaseModel):
    summary: AuditSummary
    plan: list[PlanItem] = Field(description="The top items; report.json has them all")
    plan_total: int
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class RefactorPlanResult(BaseModel):
    """What the workflow returns: small, the full plan lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    plan: list[PlanItem] = Field(description="The top ten; report.json has the rest")
    plan_total: int
    patches: list[FilePatch]
    applied: ApplyOutcome
    history: Literal["ok", "skipped"]
    history_reason: str = ""
    cache_hits: int = 0
    cache_misses: int = 0
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif, patch")
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None
