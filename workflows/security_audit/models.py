"""Models of the security-audit flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from workflows.schemas import (
    ArtifactRef,
    DiscoveryResult,
    EscalationState,
    LLMSummary,
    Progress,
    RunStatus,
    Tier,
    UsageMemo,
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
    paths: list[str] | None = Field(
        default=None, description="Only these files (relative to the target): a change's files"
    )
    bandit: bool = Field(default=False, description="Also run bandit (slow, adds little)")
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="Most severe findings sent to LLM triage"
    )
    heartbeat_timeout_s: int = Field(
        default=30, ge=1, description="How soon a dead worker's batch moves to another"
    )
    baseline: str | None = Field(
        default=None,
        description="Absolute path of an earlier audit's report.json: the findings it holds "
        "(by fingerprint) are suppressed, so only new ones are open",
    )


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
    facts: ArtifactRef | None = Field(
        default=None, description="Taint facts of the batch's modules (trace_taint joins them)"
    )


class TaintRequest(BaseModel):
    """Trace data flows across every batch's modules: the batches' facts are read from
    the store (`batch_count` of them), so the payload stays small."""

    run_key: str
    batch_count: int = Field(ge=0)


class TaintStats(BaseModel):
    """What a taint solve covered."""

    modules: int
    functions: int
    evaluations: int
    flows: int
    complete: bool = Field(description="False if the time budget cut the fixpoint short")
    seconds: float


class TaintResult(BaseModel):
    findings: ArtifactRef = Field(description="Flow findings, each with its `flow` path")
    stats: TaintStats


class _BatchResultsByCount(BaseModel):
    """A request naming the scan results either inline (`batches`, the old shape) or by
    `batch_count` (the new shape). On the wire each shape carries only its own fields:
    a new-shape request lacks `batches`, which older activity code requires, so an old
    worker rejects it (and the retry finds a new one) instead of reporting no findings;
    an old-shape request is exactly what it always was."""

    @model_serializer(mode="wrap")
    def _one_shape(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            if data.get("taint_findings", 0) is None:
                data.pop("taint_findings")  # absent, as requests without it always were
            if getattr(self, "batch_count", None) is None:
                data.pop("batch_count", None)
                data.pop("files_scanned", None)
            else:
                data.pop("batches", None)
        return data


class ReportRequest(_BatchResultsByCount):
    """What the report needs. The batch results are read from the store (`batch_count`
    of them, each `scan_batch` stored its own), so this payload does not grow with the
    batch count; `batches` is the shape workflows started before that still send."""

    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    discovery: DiscoveryResult
    batches: list[ScanBatchResult] = Field(
        default_factory=list, description="Old shape: every batch's result inline"
    )
    batch_count: int | None = Field(
        default=None, ge=0, description="New shape: results stored by each scan_batch"
    )
    files_scanned: int | None = Field(
        default=None, ge=0, description="New shape: files scanned over all batches"
    )
    llm: LLMSummary
    llm_outcomes: list[LLMOutcome] = Field(default_factory=list)
    taint_findings: ArtifactRef | None = Field(
        default=None, description="Cross-function flow findings (trace_taint), merged in"
    )
    taint_stats: TaintStats | None = Field(
        default=None, description="What the trace covered: an incomplete one is a warning"
    )
    baseline: str | None = Field(
        default=None, description="The audit's `baseline` report.json, read by this activity"
    )


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
    findings_total: int = Field(description="Every finding, open, suppressed or accepted")
    accepted_risks: int = Field(
        default=0, description="Accepted risks (project memory) not also suppressed"
    )
    suppressed: int = Field(
        default=0, description="Suppressed by an inline comment, test-code policy or a baseline"
    )


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
    usage: UsageMemo | None = Field(default=None, description="LLM calls and scan cache")


class AuditProgress(Progress):
    """Answer of the `progress` query: what the CLI's progress bar shows.

    Here `done`/`total` count files (`files_scanned`/`files_total`) and `detail` says
    how many findings so far. `refresh()` keeps them in step with the audit's own
    fields; an answer from a worker older than them is filled in from those fields.
    """

    files_total: int = 0
    files_scanned: int = 0
    batches_total: int = 0
    batches_done: int = 0
    findings: int = 0
    cache_hits: int = 0

    @model_validator(mode="before")
    @classmethod
    def _generic_from_audit_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and "done" not in data and "total" not in data:
            data = {
                **data,
                "done": data.get("files_scanned", 0),
                "total": data.get("files_total", 0),
                "detail": data.get("detail") or f"{data.get('findings', 0)} findings",
            }
        return data

    def refresh(self) -> AuditProgress:
        self.done = self.files_scanned
        self.total = self.files_total
        self.detail = f"{self.findings} findings"
        if self.batches_total:
            self.detail += f", {self.batches_done}/{self.batches_total} batches"
        return self


class PromptPlan(BaseModel):
    """One LLM task an audit wants run, its prompt already in the artifact store."""

    task_id: str
    kind: str
    output_schema: str
    prompt: ArtifactRef
    findings: int
    files_spanned: int = 1
    estimated_input_tokens: int = 0


class LLMStageRequest(_BatchResultsByCount):
    """Like `ReportRequest`: the findings come from `batch_count` stored batch results;
    `batches` inline is the old shape."""

    run_key: str
    target: str
    batches: list[ScanBatchResult] = Field(default_factory=list)
    batch_count: int | None = Field(default=None, ge=0)
    max_findings: int
    triage: list[EscalationState] = Field(default_factory=list)
    baseline: str | None = Field(
        default=None, description="The audit's `baseline`: findings it holds are not triaged"
    )


class LLMOutcome(BaseModel):
    kind: str
    state: EscalationState
