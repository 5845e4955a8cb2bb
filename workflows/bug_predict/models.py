"""Models of the bug-predict flow: its request, result and the payloads between its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.code_facts import HistoryResult
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


class BugPredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to analyse")
    out_dir: str | None = None
    history_months: int = Field(
        default=12, ge=1, le=240, description="Git history window, in months back from now"
    )
    batch_size: int = Field(default=250, ge=1, le=5000, description="Files per analysis activity")
    chunk_size: int = Field(
        default=50, ge=1, le=1000, description="Files per heartbeat (the resume cursor)"
    )
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    paths: list[str] | None = Field(
        default=None, description="Only these files (relative to the target): a change's files"
    )
    top_hotspots: int = Field(default=20, ge=1, le=1000, description="Hotspots in the report")
    heartbeat_timeout_s: int = Field(
        default=30, ge=1, description="How soon a dead worker's batch moves to another"
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="Most severe findings sent to LLM triage"
    )


class AnalyzeBatch(FileBatch):
    """bug-predict's batch: metrics and patterns of its files."""


class AnalyzeBatchResult(BaseModel):
    index: int
    findings: ArtifactRef
    metrics: ArtifactRef
    skipped: ArtifactRef
    files_analyzed: int
    cache_hits: int = 0
    cache_misses: int = 0
    resumed_from: int = 0
    type_check: Literal["ok", "skipped", "failed"] = Field(
        default="skipped", description="Whether a type checker ran on the batch's files"
    )
    type_checker: str | None = None
    type_check_reason: str = ""


class Hotspot(BaseModel):
    file: str
    score: float = Field(ge=0, le=100)
    reasons: list[str]


class BugReportRequest(BaseModel):
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
    top_hotspots: int
    llm: LLMSummary
    llm_outcomes: list[LLMOutcome] = Field(
        default_factory=list, description="Verdicts and explanations to put on the findings"
    )


class BugReportOutcome(BaseModel):
    summary: AuditSummary
    hotspots: list[Hotspot]
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class BugPredictResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    hotspots: list[Hotspot] = Field(description="The top ten; report.json has the rest")
    history: Literal["ok", "skipped"]
    history_reason: str = ""
    cache_hits: int = 0
    cache_misses: int = 0
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif")
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None
