"""Models of the document-gen flow: its request, result and the payloads between steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import (
    ApplyOutcome,
    ArtifactRef,
    DiscoveryResult,
    EscalationState,
    FileBatch,
    LLMSummary,
    RunStatus,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary

Style = Literal["google", "numpy", "rest"]
DraftScope = Literal["public", "all", "none"]


class DocumentGenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the directory or file to document")
    out_dir: str | None = None
    apply: bool = Field(
        default=False,
        description="Commit the drafted docstrings to a new git branch "
        "(the working tree and the index stay untouched)",
    )
    style: Literal["auto", "google", "numpy", "rest"] = Field(
        default="auto",
        description="Docstring style of the drafts; auto: the style most of the project's "
        "docstrings use, Google when there are none",
    )
    drafts: DraftScope = Field(
        default="public",
        description="Which missing docstrings to draft: public functions, methods and "
        "classes; all of them (private, dunder and nested too); or none",
    )
    html_reference: bool = Field(
        default=True,
        description="Also build pdoc's HTML reference, which imports the target's modules "
        "(in a subprocess with a timeout); the Markdown reference never imports them",
    )
    reference_timeout_s: int = Field(default=300, ge=10, le=3600)
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
    llm_max_functions: int = Field(
        default=200, ge=0, description="Most drafts whose summaries Claude writes"
    )
    simple_complexity: int = Field(
        default=5,
        ge=1,
        description="Cyclomatic complexity (lizard) up to which Haiku writes a summary; "
        "Sonnet writes those of more complex code",
    )


class StyleRequest(BaseModel):
    run_key: str
    target: str
    files: ArtifactRef
    style: Literal["auto", "google", "numpy", "rest"]


class StyleResult(BaseModel):
    style: Style
    typed: bool = Field(description="Drafts put argument types in the docstring")
    source: Literal["request", "detected", "default"]
    votes: dict[str, int] = Field(default_factory=dict)
    interrogate: dict[str, Any] = Field(
        default_factory=dict, description="The project's [tool.interrogate] options"
    )


class DocBatch(FileBatch):
    style: Style = "google"
    typed: bool = False
    drafts: DraftScope = "public"
    interrogate: dict[str, Any] = Field(default_factory=dict)


class DocBatchResult(BaseModel):
    index: int
    coverage: ArtifactRef = Field(description="list[FileCoverage]")
    findings: ArtifactRef
    drafts: ArtifactRef = Field(description="list[DraftTarget]")
    skipped: ArtifactRef
    warnings: ArtifactRef = Field(description="list[ReportWarning]")
    files_analyzed: int
    resumed_from: int = 0


class ReferenceRequest(BaseModel):
    run_key: str
    workflow_id: str
    target: str
    files: ArtifactRef
    style: Style
    out_dir: str | None
    html: bool
    timeout_s: int


class ReferenceResult(BaseModel):
    markdown_dir: str | None = None
    html_dir: str | None = None
    markdown_files: int = 0
    html_files: int = 0
    modules: int = 0
    warnings: ArtifactRef | None = Field(default=None, description="list[ReportWarning]")


class SummaryPlanRequest(BaseModel):
    run_key: str
    target: str
    batch_count: int = Field(ge=0)
    style: Style
    max_functions: int
    simple_complexity: int


class SummaryPlan(BaseModel):
    """One LLM task: the summaries of a few drafts, on the tier their complexity asks."""

    task_id: str
    tier: Tier
    prompt: ArtifactRef
    drafts: int
    estimated_input_tokens: int = 0


class DraftsRequest(BaseModel):
    run_key: str
    target: str
    batch_count: int = Field(ge=0)
    style: Style
    typed: bool
    answers: list[EscalationState] = Field(
        default_factory=list, description="The summary tasks' results: their answers are refs"
    )


class DraftsResult(BaseModel):
    patch: ArtifactRef | None = Field(default=None, description="The unified diff (str)")
    files: int = 0
    drafted: int = 0
    written_by_llm: int = 0
    violations: int = Field(default=0, description="pydoclint's, on the drafted definitions")
    outcome: ArtifactRef | None = Field(default=None, description="DraftsOutcome, whole")


class CoverageSummary(BaseModel):
    total: int = 0
    covered: int = 0
    percent: float = 100.0


class DocReportRequest(BaseModel):
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
    style: StyleResult
    reference: ReferenceResult | None = None
    reference_error: str | None = None
    drafts: DraftsResult
    applied: ApplyOutcome
    llm: LLMSummary


class DocReportOutcome(BaseModel):
    summary: AuditSummary
    coverage: CoverageSummary
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class DocumentGenResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    coverage: CoverageSummary
    style: Style
    style_source: str
    drafted: int
    drafted_by_llm: int = 0
    draft_violations: int = Field(description="pydoclint's violations on the drafts")
    reference_modules: int = 0
    applied: ApplyOutcome
    artifacts: dict[str, str] = Field(
        description="Report paths: markdown, json, sarif, patch, reference"
    )
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None
