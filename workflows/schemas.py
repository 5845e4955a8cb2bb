"""Types both sides of the wire import: workflow inputs/outputs, findings, reports.

Everything that crosses a Temporal boundary is one of these pydantic models, so the
pydantic data converter can check it on the way in and out. Large collections
(file lists, findings) never travel inline: they are written to the artifact store
and move as an `ArtifactRef` (claim check), keeping payloads and history small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "info"]
Confidence = Literal["high", "medium", "low"]
RunStatus = Literal["completed", "failed", "cancelled", "awaiting_approval"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(reversed(SEVERITIES))}
CONFIDENCE_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class LLMVerdict(BaseModel):
    verdict: Literal["true_positive", "false_positive", "uncertain"]
    rationale: str
    remediation: str | None = None
    tier: str


class Finding(BaseModel):
    """One issue at one place. `tools` names every engine that reported it."""

    rule_id: str
    tool: str
    tools: list[str] = Field(default_factory=list)
    related_rules: list[str] = Field(
        default_factory=list,
        description="Rule ids of other engines that reported the same issue, as 'tool/RULE'.",
    )
    category: str
    severity: Severity
    confidence: Confidence
    cwe: int | None = None
    file: str = Field(description="POSIX path relative to the audit target")
    line: int
    column: int = 1
    end_line: int | None = None
    message: str
    snippet: str = ""
    fingerprint: str = ""
    llm: LLMVerdict | None = None
    accepted_risk: str | None = Field(
        default=None, description="Why the project accepted this risk (project memory)"
    )


class ArtifactRef(BaseModel):
    """A claim check: where a large JSON document lives in the artifact store."""

    key: str = Field(description="Path relative to $ATTUNE_HOME")
    sha256: str
    size: int
    count: int = 0


class SkippedFile(BaseModel):
    path: str
    reason: str


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


class LLMSummary(BaseModel):
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    calls_by_tier: dict[str, int] = Field(default_factory=dict)
    tokens: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    baseline_cost_usd: float = 0.0
    savings_usd: float = 0.0


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


class TierUsage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    baseline_cost_usd: float = 0.0


class UsageMemo(BaseModel):
    """The `usage` memo: what telemetry reads back through visibility."""

    scan_cache_hits: int = 0
    scan_cache_misses: int = 0
    by_tier: dict[str, TierUsage] = Field(default_factory=dict)
    llm_tasks: int = 0
    escalations: int = 0
    cost_usd: float = 0.0
    baseline_cost_usd: float = 0.0


class AuditProgress(BaseModel):
    """Answer of the `progress` query: what the CLI's progress bar shows."""

    stage: str
    files_total: int = 0
    files_scanned: int = 0
    batches_total: int = 0
    batches_done: int = 0
    findings: int = 0
    cache_hits: int = 0


# --- LLM calls and tier escalation -------------------------------------------------

Tier = Literal["haiku", "sonnet", "opus"]
TIERS: tuple[Tier, ...] = ("haiku", "sonnet", "opus")


class TokenUsage(BaseModel):
    """Usage exactly as the Messages API reports it; `input_tokens` excludes cache."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class LLMPrompt(BaseModel):
    """Stored in the artifact store; `system` is the stable, cached prefix."""

    system: str
    user: str


class TierPrice(BaseModel):
    """USD per million tokens."""

    model: str
    input: float
    output: float
    cache_write: float
    cache_read: float


class LLMCallRequest(BaseModel):
    run_key: str
    call_id: str = Field(description="Unique per attempt; names the call's artifacts")
    tier: Tier
    prompt: ArtifactRef
    output_schema: str = Field(description="Name of a registered pydantic output model")
    max_tokens: int = 4096
    attempt: int = Field(default=1, description="1 for the task's first tier, then escalations")


class LLMCallResult(BaseModel):
    tier: Tier
    model: str
    usage: TokenUsage
    cost_usd: float
    baseline_cost_usd: float
    latency_s: float
    stop_reason: str | None = None
    valid: bool
    error: str | None = Field(default=None, description="Why the answer failed validation")
    confidence: float | None = None
    raw: ArtifactRef = Field(description="Raw text and usage; the answer is parsed from it")


class LLMTask(BaseModel):
    """Input of the TierEscalation child workflow: one LLM task, one answer."""

    run_key: str
    task_id: str
    kind: str = Field(description="triage, remediation, ...: picks the routing policy")
    prompt: ArtifactRef
    output_schema: str
    start_tier: Tier
    ceiling: Tier = "opus"
    budget_usd: float | None = None
    min_confidence: float = Field(default=0.7, ge=0, le=1)
    max_tokens: int = 4096
    check: str | None = Field(default=None, description="Task-specific gate activity name")
    estimated_input_tokens: int = Field(default=0, description="For the budget check")
    prices: dict[str, TierPrice] = Field(default_factory=dict)


class EscalateSignal(BaseModel):
    to: Tier | None = None
    reason: str = ""


Verdict = Literal["pass", "invalid", "low_confidence", "check_failed"]


class Attempt(BaseModel):
    tier: Tier
    model: str
    usage: TokenUsage
    cost_usd: float
    baseline_cost_usd: float
    latency_s: float
    verdict: Verdict
    reason: str = ""
    escalated_because: str | None = None


class EscalationState(BaseModel):
    """The `state` query, and the workflow's result."""

    task_id: str
    status: Literal["running", "passed", "exhausted", "budget_stopped", "failed"]
    tier: Tier
    ceiling: Tier
    budget_usd: float | None
    spent_usd: float = 0.0
    attempts: list[Attempt] = Field(default_factory=list)
    answer: ArtifactRef | None = Field(
        default=None, description="Raw output of the best valid attempt (claim check)"
    )
    answer_tier: Tier | None = None
    message: str = ""


class LLMConfig(BaseModel):
    """What the worker can do with Claude: checked by an activity, since the key lives
    in the worker's environment, not in workflow code."""

    available: bool
    reason: str = ""
    models: dict[str, str] = Field(default_factory=dict)
    prices: dict[str, TierPrice] = Field(default_factory=dict)


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


ReportRequest.model_rebuild()
AuditRequest.model_rebuild()


# --- Teams, agents, release prep and approvals -------------------------------------


class AgentSpec(BaseModel):
    role: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    workflow: str = Field(description="Workflow type of the agent (takes AgentInput)")
    params: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)


class TeamRequest(BaseModel):
    name: str = "team"
    target: str
    agents: list[AgentSpec]
    out_dir: str | None = None


class AgentInput(BaseModel):
    role: str
    target: str
    params: dict[str, Any] = Field(default_factory=dict)
    memory: dict[str, Any] = Field(
        default_factory=dict, description="Team memory this agent depends on, by key"
    )
    out_dir: str | None = None


class AgentResult(BaseModel):
    """What every agent returns: small; details live in `report` (claim check)."""

    role: str
    status: Literal["ok", "failed", "skipped"]
    summary: str
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    report: ArtifactRef | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class MemoryEntry(BaseModel):
    key: str
    value: Any
    author: str
    at: datetime | None = None


class TeamResult(BaseModel):
    name: str
    agents: dict[str, AgentResult]
    waves: list[list[str]] = Field(description="Roles run together, in order")
    memory: list[MemoryEntry] = Field(default_factory=list)


class ApprovalDecision(BaseModel):
    """Payload of the `approve` and `reject` signals."""

    reviewer: str = "unknown"
    comment: str = ""
    reason: str = ""
    override_blockers: bool = False


class PendingApproval(BaseModel):
    workflow_id: str
    what: str
    recommendation: Literal["go", "no-go"]
    blockers: list[str]
    warnings: list[str]
    since: datetime
    timeout_at: datetime


class ReleasePrepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Git repository to prepare for release")
    out_dir: str | None = None
    approval_timeout_s: int = Field(default=7 * 24 * 3600, ge=1)
    test_timeout_s: int = Field(default=600, ge=1)
    max_cost_usd: float | None = Field(default=None, ge=0)


class Recommendation(BaseModel):
    verdict: Literal["go", "no-go"]
    blockers: list[str] = Field(default_factory=list)
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


class ProjectMemoryState(BaseModel):
    """A project's memory; also the input a continued-as-new run starts from."""

    project: str
    entries: dict[str, MemoryEntry] = Field(default_factory=dict)
    history_limit: int = Field(default=2000, ge=10, description="Events before continue-as-new")


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


class QualityReportRequest(BaseModel):
    workflow_id: str
    target: str
    out_dir: str | None
    team: TeamResult
    not_available: list[str]


class ComposedRequest(BaseModel):
    """A user spec (validated again inside the workflow) run against a target."""

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


class ComposedResult(BaseModel):
    workflow_id: str
    name: str
    status: Literal["completed", "failed", "rejected"]
    steps: dict[str, StepOutcome]
    artifacts: dict[str, str]


class PromptRequest(BaseModel):
    run_key: str
    task_id: str
    prompt: LLMPrompt


class AnswerRequest(BaseModel):
    answer: ArtifactRef
    output_schema: str


class ComposedReportRequest(BaseModel):
    workflow_id: str
    name: str
    target: str
    out_dir: str | None
    steps: list[StepOutcome]
