"""Models of the dependency-check flow: its request, result and the payloads between steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.schemas import ArtifactRef, RunStatus
from workflows.security_audit.models import AuditSummary

DEFAULT_PUBLIC_INDEX = "https://pypi.org/simple/"
DependencyKind = Literal["requirement", "constraint", "lock"]


class DependencyCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(
        description="Absolute path of a project directory or of one dependency file "
        "(requirements.txt, pyproject.toml, setup.cfg, a lock file)"
    )
    out_dir: str | None = None
    hygiene: bool = Field(
        default=True, description="Unused, missing and transitive-only dependencies (deptry)"
    )
    public_index_url: str = Field(
        default=DEFAULT_PUBLIC_INDEX,
        description="The public Simple API the dependency-confusion check asks; an "
        "unreachable index skips the check with the reason",
    )
    confusion_check: bool = Field(
        default=True, description="Ask the public index about names that look private"
    )
    max_database_age_days: int = Field(
        default=30, ge=1, description="An advisory database older than this is a warning"
    )
    environment: str | None = Field(
        default=None,
        description="The target's virtualenv or site-packages, for licences and import "
        "names (default: .venv, venv or env in the target)",
        json_schema_extra={"mcp": False},
    )


class Dependency(BaseModel):
    """One declared dependency at one place: a requirement line, a table entry, a lock pin."""

    name: str = Field(description="PEP 503-normalised name")
    declared_name: str
    specifier: str = Field(default="", description="PEP 440 specifier set; empty: any version")
    marker: str | None = None
    extras: list[str] = Field(default_factory=list)
    version: str | None = Field(default=None, description="The pinned version (== or a lock)")
    url: str | None = Field(default=None, description="A direct reference (name @ url, -e)")
    file: str = Field(description="POSIX path relative to the target directory")
    line: int
    kind: DependencyKind = "requirement"
    source: str = Field(description="requirements, pep621, poetry, pdm, uv, setup.cfg, lock...")
    group: str = Field(default="main", description="main, an extra, or a dependency group")
    constrained_by: str | None = Field(
        default=None, description="file:line of a constraint that narrows this requirement"
    )

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


class InventoryRequest(BaseModel):
    run_key: str
    target: str


class InventoryOutcome(BaseModel):
    dependencies: ArtifactRef = Field(description="list[Dependency]")
    warnings: ArtifactRef = Field(description="list[ReportWarning]")
    skipped: ArtifactRef = Field(description="list[SkippedFile]")
    files: list[str] = Field(description="The dependency files read, relative to the target")
    count: int
    project_names: list[str] = Field(default_factory=list)
    indexes: list[str] = Field(
        default_factory=list, description="Package indexes the project names"
    )


class StageRequest(BaseModel):
    """What the advisories and hygiene stages need: the inventory and the request."""

    run_key: str
    target: str
    inventory: InventoryOutcome
    request: DependencyCheckRequest


class DatabaseInfo(BaseModel):
    """The advisory database a run used: where it came from and how old its data is."""

    status: Literal["ok", "missing"]
    source: str = ""
    imported_at: datetime | None = None
    newest_advisory: datetime | None = Field(
        default=None, description="The latest `modified` time of any advisory in it"
    )
    age_days: float | None = Field(
        default=None, description="Days since newest_advisory: how stale the data is"
    )
    advisories: int = 0
    path: str = ""


class StageOutcome(BaseModel):
    """A stage's findings and report sections, all as artifacts; `skipped` explains a
    stage or check that could not run."""

    findings: ArtifactRef = Field(description="list[Finding]")
    details: ArtifactRef = Field(description="The stage's own report section (JSON)")
    warnings: ArtifactRef = Field(description="list[ReportWarning]")
    skipped: list[dict[str, str]] = Field(default_factory=list)
    database: DatabaseInfo | None = None


class DependencyReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    inventory: InventoryOutcome
    advisories: StageOutcome
    hygiene: StageOutcome | None = None


class DependencyReportOutcome(BaseModel):
    summary: AuditSummary
    artifacts: dict[str, str]
    findings: ArtifactRef
    vulnerable: int
    duration_s: float


class DependencyCheckResult(BaseModel):
    """What the workflow returns: small, the full report lives on disk."""

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    dependencies: int = Field(description="Dependency entries found (every file:line)")
    vulnerable: int = Field(description="Entries that are or can resolve to an affected version")
    database: DatabaseInfo
    artifacts: dict[str, str] = Field(description="Report paths: markdown, json, sarif, sbom")
    findings: ArtifactRef
    duration_s: float
