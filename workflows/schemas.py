"""Types both sides of the wire import: workflow inputs/outputs, findings, reports.

Everything that crosses a Temporal boundary is one of these pydantic models, so the
pydantic data converter can check it on the way in and out. Large collections
(file lists, findings) never travel inline: they are written to the artifact store
and move as an `ArtifactRef` (claim check), keeping payloads and history small.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, Field

Severity = Literal["critical", "high", "medium", "low", "info"]
Confidence = Literal["high", "medium", "low"]
RunStatus = Literal["completed", "failed", "cancelled", "awaiting_approval"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(reversed(SEVERITIES))}
CONFIDENCE_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


def _splittable_command(value: str) -> str:
    """Refused before the run starts: a command that is empty or badly quoted."""
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise ValueError(f"cannot be split into words: {err}") from err
    if not words:
        raise ValueError("the command is empty")
    return value


CommandLine = Annotated[str, AfterValidator(_splittable_command)]
"""A command the worker runs (split with shlex, never through a shell)."""


class LLMVerdict(BaseModel):
    verdict: Literal["true_positive", "false_positive", "uncertain"]
    rationale: str
    remediation: str | None = None
    tier: str


class FlowStep(BaseModel):
    """One hop of a taint path: where untrusted data came from, each call it went
    through, and the sink it reached (SARIF `codeFlows`, the Markdown path)."""

    kind: Literal["source", "call", "return", "sink"]
    file: str = Field(description="POSIX path relative to the audit target")
    line: int
    column: int = 1
    note: str = Field(description="What happens here, e.g. 'request.args reaches q'")


class Finding(BaseModel):
    """One issue at one place. `tools` names every engine that reported it.

    A finding is open unless it is an accepted risk (project memory) or `suppressed`
    (an inline comment, test-code policy or a baseline): such findings stay in the
    report JSON and SARIF with their reason, and leave the counts and the risk score.
    """

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
    fix_diff: str | None = Field(
        default=None, description="A unified diff that fixes it, where the engine has one"
    )
    flow: list[FlowStep] = Field(
        default_factory=list, description="Taint path from source to sink, where traced"
    )
    suppressed: str | None = Field(
        default=None,
        description="Why an inline comment, test-code policy or a baseline suppresses it",
    )

    @property
    def is_open(self) -> bool:
        """Counts toward severities, verdicts and the risk score."""
        return self.accepted_risk is None and self.suppressed is None


class ApplyOutcome(BaseModel):
    """What `--apply` did: the flows that offer a patch commit it to a new git branch."""

    status: Literal["committed", "unchanged", "nothing-to-apply", "failed", "not-requested"]
    reason: str = ""
    branch: str | None = None
    commit: str | None = None
    base: str | None = None


class ArtifactRef(BaseModel):
    """A claim check: where a large JSON document lives in the artifact store."""

    key: str = Field(description="Path relative to $ATTUNE_HOME")
    sha256: str
    size: int
    count: int = 0


class ApplyRequest(BaseModel):
    """`--apply`: commit the stored patch (paths relative to the target) to a new branch."""

    target: str
    patch: ArtifactRef
    branch: str
    message: str


class SkippedFile(BaseModel):
    path: str
    reason: str


class DiscoverRequest(BaseModel):
    run_key: str
    target: str
    max_file_bytes: int
    paths: list[str] | None = Field(
        default=None,
        description="Only these files (POSIX, relative to the target): a change's files",
    )


class ReportWarning(BaseModel):
    """An entry of the report's `warnings` (DESIGN section 10): something the reader
    should know about how the run read its target, with where when there is a where."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None


class DiscoveryResult(BaseModel):
    files: ArtifactRef
    skipped: ArtifactRef
    file_count: int
    total_bytes: int
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    warnings: list[ReportWarning] = Field(
        default_factory=list,
        description="What discovery read but could not use, such as an ignore pattern git "
        "itself skips; at most MAX_DISCOVERY_WARNINGS, the count of the rest in the last",
    )


class FileBatch(BaseModel):
    """A slice of a run's discovered files that one analysis activity works through, in
    chunks of `chunk_size`; each flow's batch adds its own fields."""

    run_key: str
    target: str
    files: ArtifactRef
    index: int
    start: int
    end: int
    chunk_size: int = 50

    @classmethod
    def split(
        cls, run_key: str, target: str, discovery: DiscoveryResult, size: int, chunk_size: int,
        **extra: Any,
    ) -> list[Self]:  # fmt: skip
        """The discovered files in batches of `size`, each with the flow's `extra` fields."""
        count = discovery.file_count
        return [
            cls(
                run_key=run_key,
                target=target,
                files=discovery.files,
                index=index,
                start=start,
                end=min(start + size, count),
                chunk_size=chunk_size,
                **extra,
            )
            for index, start in enumerate(range(0, count, size))
        ]


class LLMSummary(BaseModel):
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    calls_by_tier: dict[str, int] = Field(default_factory=dict)
    tokens: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    baseline_cost_usd: float = 0.0
    savings_usd: float = 0.0


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


class Progress(BaseModel):
    """Answer of the `progress` query every flow serves: where the run is."""

    stage: str
    done: int = 0
    total: int = 0
    detail: str = ""
    stages: list[str] = Field(
        default_factory=list, description="The run's stages in order; `done` counts them"
    )

    @classmethod
    def of(cls, *stages: str) -> Progress:
        return cls(stage="starting", total=len(stages), stages=list(stages))


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

    def request_params(self, request: type[BaseModel]) -> dict[str, Any]:
        """The team's params that are fields of the member flow's request (`paths`,
        `max_cost_usd`, `llm_max_findings`...): a team sets them for all its members."""
        fields = request.model_fields.keys() - {"target", "out_dir"}
        return {k: v for k, v in self.params.items() if k in fields}


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
    usage: UsageMemo | None = Field(default=None, description="The agent's runs, rolled up")


class MemoryEntry(BaseModel):
    key: str
    value: Any
    author: str
    at: datetime | None = None


class TeamPlanRequest(BaseModel):
    team: str = Field(description="The team flow, e.g. quality-checks or release-prep")
    params: dict[str, Any] = Field(default_factory=dict, description="Given to every agent")
    roles_by_flow: bool = Field(
        default=False, description="Name each agent by its flow rather than its team role"
    )


class TeamPlan(BaseModel):
    agents: list[AgentSpec] = Field(default_factory=list)
    not_available: list[str] = Field(
        default_factory=list, description="Planned flows that will serve the team once built"
    )


class TeamResult(BaseModel):
    name: str
    agents: dict[str, AgentResult]
    waves: list[list[str]] = Field(description="Roles run together, in order")
    memory: list[MemoryEntry] = Field(default_factory=list)
    usage: UsageMemo | None = None


class ApprovalDecision(BaseModel):
    """Payload of the `approve` and `reject` signals."""

    reviewer: str = "unknown"
    comment: str = ""
    reason: str = ""
    override_blockers: bool = False


class BlockerDetail(BaseModel):
    """The evidence behind one blocker: where it is and what showed it."""

    agent: str = ""
    message: str
    file: str | None = None
    line: int | None = None
    command: str | None = None
    output_tail: str | None = None


class PendingApproval(BaseModel):
    workflow_id: str
    what: str
    recommendation: Literal["go", "no-go"]
    blockers: list[str]
    warnings: list[str]
    blocker_details: list[BlockerDetail] = Field(default_factory=list)
    since: datetime
    timeout_at: datetime


class ProjectMemoryState(BaseModel):
    """A project's memory; also the input a continued-as-new run starts from."""

    project: str
    entries: dict[str, MemoryEntry] = Field(default_factory=dict)
    history_limit: int = Field(default=2000, ge=10, description="Events before continue-as-new")


class PromptRequest(BaseModel):
    run_key: str
    task_id: str
    prompt: LLMPrompt


class AnswerRequest(BaseModel):
    answer: ArtifactRef
    output_schema: str
