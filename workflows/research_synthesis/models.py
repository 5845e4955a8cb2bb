"""Models of the research-synthesis flow: its request, result and the payloads between
its steps (sentences, summaries and answers travel as artifact references)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.schemas import ArtifactRef, LLMSummary, RunStatus, Tier, UsageMemo
from workflows.security_audit.models import LLMOutcome

REPO_SOURCES = ["repo:docs", "repo:changelog", "repo:git-log"]


class ResearchSynthesisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="Absolute path of the project the sources live in")
    question: str = Field(
        min_length=3,
        max_length=2000,
        description="What to find out from the sources",
        examples=["Why should a workflow engine keep the history of every run?"],
    )
    sources: list[str] = Field(
        default_factory=lambda: list(REPO_SOURCES),
        min_length=2,
        description="Two or more: paths under the target (files or folders of Markdown, reST, "
        "text, HTML, PDF, issue-export JSON), http(s) URLs, repo:docs, repo:changelog, "
        "repo:git-log. Repeat --param sources=... for each",
    )
    out_dir: str | None = None
    summary_sentences: int = Field(default=5, ge=1, le=50, description="Per source")
    top_relevant: int = Field(default=20, ge=1, le=500, description="Question-relevant sentences")
    url_timeout_s: float = Field(default=15, gt=0, le=120, description="Per URL fetch")
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier LLM stages may use")
    llm_max_findings: int = Field(
        default=200, ge=0, description="0 turns the LLM stage off (the shared LLM setting)"
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        """`--param sources=a` alone arrives as a string; repeated, as a list."""
        return [value] if isinstance(value, str) else value

    @field_validator("sources")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        cleaned = [s.strip() for s in value]
        if any(not s for s in cleaned):
            raise ValueError("a source is empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a source is given twice")
        for source in cleaned:
            if source.startswith("repo:") and source not in REPO_SOURCES:
                raise ValueError(f"unknown source {source!r} (known: {', '.join(REPO_SOURCES)})")
        return cleaned


class ReadRequest(BaseModel):
    run_key: str
    target: str
    source: str
    index: int
    url_timeout_s: float


class ReadResult(BaseModel):
    source: str
    status: Literal["ok", "skipped"]
    reason: str = ""
    documents: ArtifactRef | None = Field(default=None, description="list[Document]")
    document_count: int = 0
    sentence_count: int = 0
    skipped: list[tuple[str, str]] = Field(
        default_factory=list, description="Files of the source that could not be read"
    )


class AnalyzeRequest(BaseModel):
    run_key: str
    question: str
    reads: list[ReadResult]
    summary_sentences: int
    top_relevant: int


class AnalyzeResult(BaseModel):
    analysis: ArtifactRef = Field(description="engine.Analysis")
    sentences: ArtifactRef = Field(description="list[Sentence]: every sentence, for citations")
    sentence_count: int
    claims: int
    contradictions: int
    complex_question: bool
    complexity: str = Field(description="Why the routing policy calls the question (not) complex")


class LLMPlanRequest(BaseModel):
    run_key: str
    question: str
    step: Literal["summaries", "analysis", "synthesis"]
    analysis: ArtifactRef
    reads: list[ReadResult]
    earlier: list[LLMOutcome] = Field(default_factory=list)


class CheckRequest(BaseModel):
    run_key: str
    sentences: ArtifactRef
    outcomes: list[LLMOutcome]


class CheckResult(BaseModel):
    checks: ArtifactRef = Field(description="list[AnswerCheck]")
    citations: int
    invalid_citations: int
    unsupported_claims: int
    final_task: str | None = Field(default=None, description="The task whose answer is final")


class ReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    question: str
    started_at: datetime
    out_dir: str | None
    reads: list[ReadResult]
    analyzed: AnalyzeResult | None
    llm: LLMSummary
    checked: CheckResult | None = None


class SourceStatus(BaseModel):
    source: str
    status: Literal["ok", "skipped"]
    reason: str = ""
    documents: int = 0
    sentences: int = 0


class ReportOutcome(BaseModel):
    artifacts: dict[str, str]
    warnings: list[str]
    duration_s: float


class ResearchSynthesisResult(BaseModel):
    """What the workflow returns: small; the synthesis itself is in the reports."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    question: str
    sources: list[SourceStatus]
    sentences: int
    claims: int
    contradictions: int
    complex_question: bool
    llm: LLMSummary
    citations: int = 0
    invalid_citations: int = 0
    unsupported_claims: int = 0
    warnings: list[str] = Field(default_factory=list)
    artifacts: dict[str, str]
    duration_s: float
    usage: UsageMemo | None = None
