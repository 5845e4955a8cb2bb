"""Models of the code-review flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    ArtifactRef,
    DiscoveryResult,
    FileBatch,
    LLMSummary,
    RunStatus,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary, LLMOutcome

Profile = Literal["default", "strict"]
Mode = Literal["files", "diff"]


class CodeReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to review")
    paths: list[str] | None = Field(
        default=None,
        description="Review only these files (POSIX, relative to the target): a change's files",
    )
    base: str | None = Field(
        default=None,
        description="Review the change from this revision to head (diff mode); with paths "
        "or head alone, the merge-base with the default branch",
    )
    head: str | None = Field(default=None, description="The reviewed revision (default HEAD)")
    profile: Profile = Field(
        default="default",
        description="default: correctness, maintainability and clarity rules that are "
        "rarely noise; strict: every family, preview rules and ruff's lower thresholds",
    )
    out_dir: str | None = None
    batch_size: int = Field(default=250, ge=1, le=5000, description="Files per analysis activity")
    chunk_size: int = Field(
        default=50, ge=1, le=1000, description="Files per heartbeat (the resume cursor)"
    )
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    heartbeat_timeout_s: int = Field(
        default=30, ge=1, description="How soon a dead worker's batch moves to another"
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="Most severe findings sent to LLM triage"
    )

    @property
    def diff_mode(self) -> bool:
        return self.base is not None or self.head is not None or self.paths is not None


class ChangesRequest(BaseModel):
    run_key: str
    target: str
    base: str | None
    head: str | None
    paths: list[str] | None


class ChangesResult(BaseModel):
    """The change under review, or why the review falls back to whole files."""

    status: Literal["ok", "skipped"]
    reason: str = ""
    base: str | None = None
    head: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    files: list[str] = Field(default_factory=list, description="Changed files in head")
    changes: ArtifactRef | None = Field(default=None, description="ChangeSet")


class ReviewBatch(FileBatch):
    profile: Profile = "default"
    changes: ArtifactRef | None = Field(
        default=None, description="ChangeSet: diff mode reviews its head version and lines"
    )


class ReviewBatchResult(BaseModel):
    index: int
    findings: ArtifactRef
    deltas: ArtifactRef = Field(description="list[FileDelta]")
    skipped: ArtifactRef
    files_analyzed: int
    cache_hits: int = 0
    cache_misses: int = 0
    resumed_from: int = 0


class WholeTreeRequest(BaseModel):
    """Checks that need every file at once (dead code, types); diff mode keeps only what
    lands on changed lines."""

    run_key: str
    target: str
    files: ArtifactRef
    profile: Profile = "default"
    changes: ArtifactRef | None = None


class WholeTreeResult(BaseModel):
    status: Literal["ok", "skipped", "failed"]
    tool: str | None = None
    reason: str = ""
    findings: ArtifactRef


class FunctionDelta(BaseModel):
    name: str
    line: int = Field(description="Line of the def in head (0 when removed)")
    base: int | None = Field(description="Cyclomatic complexity in base; None when new")
    head: int | None = Field(description="Cyclomatic complexity in head; None when removed")

    @property
    def change(self) -> int:
        return (self.head or 0) - (self.base or 0)


class FileDelta(BaseModel):
    file: str
    status: str = Field(description="git's status letter")
    base: int | None = Field(description="Sum of the functions' complexity in base")
    head: int
    functions: list[FunctionDelta] = Field(description="Functions whose complexity changed")


class ReviewReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    profile: Profile
    mode: Mode
    changes: ChangesResult | None
    discovery: DiscoveryResult
    batch_count: int = Field(ge=0)
    files_analyzed: int = Field(ge=0)
    cache_hits: int = 0
    cache_misses: int = 0
    dead_code: WholeTreeResult
    types: WholeTreeResult
    llm: LLMSummary
    llm_outcomes: list[LLMOutcome] = Field(
        default_factory=list, description="Verdicts and explanations to put on the findings"
    )


class ReviewReportOutcome(BaseModel):
    summary: AuditSummary
    categories: dict[str, int]
    complexity_change: int | None
    fixes: int
    high_correctness: int = 0
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class CodeReviewResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    mode: Mode
    profile: Profile
    base: str | None = None
    head: str | None = None
    summary: AuditSummary
    categories: dict[str, int] = Field(description="Findings per review category")
    complexity_change: int | None = Field(
        default=None, description="Diff mode: head minus base complexity of the changed files"
    )
    fixes: int = Field(default=0, description="Findings with a suggested fix as a diff")
    high_correctness: int = Field(
        default=0, description="Correctness findings of high or critical severity"
    )
    type_check: str = Field(default="skipped", description="ok, skipped or failed, and why")
    cache_hits: int = 0
    cache_misses: int = 0
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif")
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None
