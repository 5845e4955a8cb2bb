"""The catalog: which workflows exist, what they do, how the CLI and MCP name them.

Only workflows that really exist are listed; nothing is advertised ahead of its code.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.composed.models import ComposedRequest, ComposedResult
from workflows.quality_checks.models import QualityChecksRequest, QualityChecksResult
from workflows.release_prep.models import ReleasePrepRequest, ReleasePrepResult
from workflows.security_audit.models import AuditRequest, AuditResult


class CatalogEntry(BaseModel):
    name: str
    mcp_tool: str
    summary: str
    request_type: type[BaseModel]
    result_type: type[BaseModel]
    workflow_type: str | None = Field(
        default=None, description="When it differs from the name (user specs run as composed)"
    )


CATALOG: dict[str, CatalogEntry] = {
    entry.name: entry
    for entry in (
        CatalogEntry(
            name="security-audit",
            mcp_tool="security_audit",
            summary="ruff S rules + attune AST/taint rules + secret detection; CWE per finding",
            request_type=AuditRequest,
            result_type=AuditResult,
        ),
        CatalogEntry(
            name="release-prep",
            mcp_tool="release_prep",
            summary="team of security, testing, docs, version and health agents; go/no-go; "
            "waits for a human approval",
            request_type=ReleasePrepRequest,
            result_type=ReleasePrepResult,
        ),
        CatalogEntry(
            name="quality-checks",
            mcp_tool="quality_checks",
            summary="all quality checks as one team (security-audit today; code-review and "
            "bug-predict when they exist), one merged report",
            request_type=QualityChecksRequest,
            result_type=QualityChecksResult,
        ),
    )
}

COMPOSED = CatalogEntry(
    name="composed",
    mcp_tool="workflow_run",
    summary="a user-composed workflow spec",
    request_type=ComposedRequest,
    result_type=ComposedResult,
)
