"""Models of the security-audit flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    ArtifactRef,
    EscalationState,
    LLMSummary,
    RunStatus,
    Tier,
)


class AuditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to audit")
    out_dir: str | None = None
    batch_size: int = Field(default=250, ge=1, le=5000, description="Files per scan activity")
    chunk_size: int = Field(
        default=100, ge=1, le=1000, description="Files per heartbeat and cache write"
    )
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    bandit: bool = Field(default=False, description="Also run bandit (slow, adds little)")
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="Most severe findings sent to LLM triage"
    )
    heartbeat_timeout_s: int = Field(
        default=30, ge=1, description="How soon a dead worker's batch moves to another"
    )


class DiscoverRequest(BaseModel):
    run_key: str
    target: str
    max_file_bytes: int


class DiscoveryResult(BaseModel):
    files: ArtifactRef
    skipped: ArtifactRef
    file_count: int
    total_bytes: int
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)


class ScanBatch(BaseModel):
    run_key: str
    target: str
    files: ArtifactRef
    index: int
    start: int
    end: int
    chunk_size: int = 100
    bandit: bool = False


class ScanBatchResult(BaseModel):
    index: int
    findings: ArtifactRef
    files_scanned: int
    cache_hits: int
    cache_misses: int
    skipped: ArtifactRef
    resumed_from: int = 0


class ReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    discovery: DiscoveryResult
    batches: list[ScanBatchResult]
    llm: LLMSummary
    llm_outcomes: list[LLMOutcome] = Field(default_factory=list)


class TopFile(BaseModel):
    file: str
    findings: int
    score: float


class AuditSummary(BaseModel):
    counts: dict[str, int]
    risk_score: int = Field(ge=0, le=100)
    top_files: list[TopFile]
    files_scanned: int
    files_skipped: int
    findings_total: int
    accepted_risks: int = 0


class AuditResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif")
    findings: ArtifactRef
    duration_s: float


class AuditProgress(BaseModel):
    """Answer of the `progress` query: what the CLI's progress bar shows."""

    stage: str
    files_total: int = 0
    files_scanned: int = 0
    batches_total: int = 0
    batches_done: int = 0
    findings: int = 0
    cache_hits: int = 0


class PromptPlan(BaseModel):
    """One LLM task an audit wants run, its prompt already in the artifact store."""

    task_id: str
    kind: str
    output_schema: str
    prompt: ArtifactRef
    findings: int
    files_spanned: int = 1
    estimated_input_tokens: int = 0


class LLMStageRequest(BaseModel):
    run_key: str
    target: str
    batches: list[ScanBatchResult]
    max_findings: int
    triage: list[EscalationState] = Field(default_factory=list)


class LLMOutcome(BaseModel):
    kind: str
    state: EscalationState
