"""Models of the performance-audit flow: its request, result and the payloads between steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    ArtifactRef,
    CommandLine,
    DiscoveryResult,
    FileBatch,
    LLMSummary,
    RunStatus,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary, LLMOutcome

Profile = Literal["default", "strict"]


class PerformanceAuditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to analyse")
    out_dir: str | None = None
    profile: Profile = Field(
        default="default",
        description="default: the ruff rules that are rarely noise; strict: all of PERF, "
        "FURB, C4 and ASYNC, preview rules included",
    )
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
    profile_cmd: CommandLine | None = Field(
        default=None,
        description="A Python command to profile in the target directory (e.g. "
        "'pytest -k bench'), split with shlex, never run by a shell; static findings in "
        "its hot functions rank first",
        json_schema_extra={"mcp": False},
    )
    profile_timeout_s: int = Field(
        default=300,
        ge=1,
        le=86_400,
        description="Stop profile_cmd after this many seconds",
        json_schema_extra={"mcp": False},
    )


class PerfBatch(FileBatch):
    profile: Profile = "default"


class PerfBatchResult(BaseModel):
    index: int
    findings: ArtifactRef
    skipped: ArtifactRef
    warnings: ArtifactRef | None = Field(default=None, description="list[ReportWarning]")
    files_analyzed: int
    resumed_from: int = 0
    cache_hits: int = Field(default=0, description="Files whose findings came from the cache")
    cache_misses: int = 0


class PerfReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    profile: Profile
    discovery: DiscoveryResult
    batch_count: int = Field(ge=0)
    files_analyzed: int = Field(ge=0)
    llm: LLMSummary
    llm_outcomes: list[LLMOutcome] = Field(
        default_factory=list, description="Verdicts and explanations to put on the findings"
    )
    profiling: ArtifactRef | None = Field(default=None, description="ProfileOutcome")
    profiling_error: str | None = Field(
        default=None, description="Why the profiling activity itself failed"
    )


class PerfReportOutcome(BaseModel):
    summary: AuditSummary
    impacts: dict[str, int]
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class PerformanceAuditResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    profile: Profile
    summary: AuditSummary
    impacts: dict[str, int] = Field(description="Findings per impact class")
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif")
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None


class PerfProfileRequest(BaseModel):
    """The profiling activity's input: the command runs in `target` (a directory)."""

    run_key: str
    target: str
    command: str
    timeout_s: int
