"""Models of the seo-optimization flow: its request, result and the payloads between steps."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflows.schemas import (
    ApplyOutcome,
    ArtifactRef,
    EscalationState,
    LLMSummary,
    RunStatus,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary

SiteKind = Literal["auto", "site", "mkdocs", "sphinx"]
LighthouseMode = Literal["auto", "off"]


def loopback_url(value: str) -> str:
    """An http(s) URL on this machine (127.0.0.0/8, ::1 or localhost): the only sites the
    flow crawls, so a run never sends traffic elsewhere."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url {value!r} is not an http(s) URL")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"url {value!r}: only sites on localhost (127.0.0.1, ::1) are crawled")
    try:
        _ = parts.port
    except ValueError as err:
        raise ValueError(f"url {value!r}: {err}") from None
    return value if parts.path else value + "/"


class SeoOptimizationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(
        description="A built site (a directory of HTML), a MkDocs or Sphinx project, or with "
        "`url` the directory the site is served from"
    )
    out_dir: str | None = None
    url: str | None = Field(
        default=None,
        description="Crawl this site on localhost (http://127.0.0.1:PORT/) instead of reading "
        "files: same-origin pages, up to max_pages",
    )
    kind: SiteKind = Field(
        default="auto",
        description="site: HTML files as they are; mkdocs/sphinx: build the docs first; "
        "auto: mkdocs.yml or a Sphinx conf.py picks the builder",
    )
    max_pages: int = Field(default=500, ge=1, le=20_000, description="Page cap")
    fix: bool = Field(
        default=False,
        description="Draft missing titles and meta descriptions and write them as a patch",
    )
    apply: bool = Field(
        default=False,
        description="Commit the patch to a new git branch (implies fix; the working tree "
        "and the index stay untouched)",
    )
    lighthouse: LighthouseMode = Field(
        default="auto", description="auto: run Lighthouse on each page when it is installed"
    )
    lighthouse_timeout_s: int = Field(default=120, ge=10, le=3600, description="Per page")
    build_timeout_s: int = Field(default=600, ge=10, le=7200, description="Docs build limit")
    min_reading_ease: float = Field(
        default=30.0, ge=-100, le=120, description="Flesch reading ease below which a page is hard"
    )
    batch_size: int = Field(default=200, ge=1, le=5000, description="Pages per check activity")
    chunk_size: int = Field(default=25, ge=1, le=1000, description="Pages per heartbeat")
    heartbeat_timeout_s: int = Field(default=60, ge=1)
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier the drafts may use")
    llm_max_pages: int = Field(
        default=100, ge=0, description="Pages whose title/description Haiku drafts"
    )

    @field_validator("url")
    @classmethod
    def _loopback(cls, value: str | None) -> str | None:
        return None if value is None else loopback_url(value)

    @model_validator(mode="after")
    def _apply_fixes(self) -> Self:
        if self.apply:
            self.fix = True
        return self


class ReportWarning(BaseModel):
    """An entry of the report's `warnings` (DESIGN section 10)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None


class PrepareRequest(BaseModel):
    run_key: str
    target: str
    url: str | None
    kind: SiteKind
    max_pages: int
    build_timeout_s: int


class PreparedSite(BaseModel):
    """The site to check: where its HTML is and how it is served."""

    kind: Literal["site", "mkdocs", "sphinx", "url"]
    root: str = Field(description="Directory holding the pages' HTML")
    origin: str = Field(description="scheme://host[:port] the page URLs use")
    pages: ArtifactRef = Field(description="list[SitePage]")
    page_count: int
    complete: bool = Field(
        default=True, description="False when the page cap stopped a crawl before its end"
    )
    built_with: str = Field(default="", description="The docs build command, when one ran")
    robots_status: int | None = None
    robots: ArtifactRef | None = Field(default=None, description="robots.txt text (str)")
    sitemap: ArtifactRef | None = Field(default=None, description="(file, XML)")
    warnings: list[ReportWarning] = Field(default_factory=list)
    skipped: ArtifactRef = Field(description="list[SkippedFile]")
    headers: ArtifactRef | None = Field(
        default=None, description="Response headers by page path, for a crawled site"
    )
    resources: ArtifactRef | None = Field(
        default=None, description="Statuses of crawled URLs that are not pages, by path"
    )


class CheckBatch(BaseModel):
    run_key: str
    site: PreparedSite
    index: int
    start: int
    end: int
    chunk_size: int


class CheckBatchResult(BaseModel):
    index: int
    checks: ArtifactRef = Field(description="list[StoredCheck]")
    pages: int


class LighthouseRequest(BaseModel):
    run_key: str
    site: PreparedSite
    mode: LighthouseMode
    timeout_s: int


class LighthouseOutcome(BaseModel):
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    version: str = ""
    results: ArtifactRef | None = Field(
        default=None, description="dict[page path, dict[audit, pass|fail|na]]"
    )
    pages: int = 0
    failed_pages: int = 0


class SiteCheckRequest(BaseModel):
    run_key: str
    site: PreparedSite
    batch_count: int
    lighthouse: LighthouseOutcome
    min_reading_ease: float


class SiteCheckResult(BaseModel):
    findings: ArtifactRef = Field(description="list[Finding]")
    needs_drafts: ArtifactRef = Field(description="list[DraftNeed]")
    drafts_needed: int
    agreement: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per audit: pages where both agree, and checked"
    )


class DraftPlanRequest(BaseModel):
    run_key: str
    needs: ArtifactRef
    max_pages: int


class DraftTask(BaseModel):
    task_id: str
    prompt: ArtifactRef
    pages: int
    estimated_input_tokens: int


class PatchRequest(BaseModel):
    run_key: str
    target: str
    site: PreparedSite
    needs: ArtifactRef
    answers: list[EscalationState] = Field(default_factory=list)


class PatchResult(BaseModel):
    patch: ArtifactRef | None = Field(default=None, description="The unified diff (str)")
    drafts: ArtifactRef = Field(description="list[Draft]")
    drafted: int
    patched_files: int
    by_source: dict[str, int] = Field(default_factory=dict)


class SeoReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    url: str | None
    started_at: datetime
    out_dir: str | None
    site: PreparedSite
    site_check: SiteCheckResult
    lighthouse: LighthouseOutcome
    patch: PatchResult | None
    applied: ApplyOutcome
    llm: LLMSummary


class SeoReportOutcome(BaseModel):
    summary: AuditSummary
    by_audit: dict[str, int]
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class SeoOptimizationResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    url: str | None = None
    kind: str
    pages: int
    summary: AuditSummary
    by_audit: dict[str, int] = Field(description="Findings per audit or site check")
    lighthouse: Literal["ok", "skipped", "failed"]
    lighthouse_reason: str = ""
    drafts: int = 0
    applied: ApplyOutcome
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif, patch")
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None
