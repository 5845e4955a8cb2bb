"""security-audit as a team member: the full audit as a child, summed up for the team.

When the team asks for it (`params["dependency_check"]`, which release-prep sets), a
dependency-check runs beside the audit as a second child; its findings count with the
audit's, so vulnerable pins weigh on the release decision like any security finding.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

from workflows.dependency_check.agent import database_warnings, dependency_child, summary_of
from workflows.runs import mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.dependency_check.models import DependencyCheckResult
    from workflows.schemas import AgentInput, AgentResult, UsageMemo
    from workflows.security_audit.models import AuditRequest, AuditResult
    from workflows.wire import SECURITY_AGENT

SECURITY_DEPENDENCIES = "security-agent-dependency-check"
"""Patch: the agent runs dependency-check beside the audit when the team asks."""


@workflow.defn(name=SECURITY_AGENT)
class SecurityAgentWorkflow:
    """The security agent: a full security-audit as a child workflow."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        marks = mark_run()
        request = AuditRequest(
            **agent.request_params(AuditRequest),
            target=agent.target,
            out_dir=f"{agent.out_dir}/security" if agent.out_dir else None,
        )
        started = workflow.execute_child_workflow(
            "security-audit",
            request,
            id=f"{workflow.info().workflow_id}-audit",
            result_type=AuditResult,
            static_summary=f"security-audit of {agent.target}",
        )
        dependencies: DependencyCheckResult | None = None
        if agent.params.get("dependency_check") and workflow.patched(SECURITY_DEPENDENCIES):
            audit, dependencies = await asyncio.gather(
                started, dependency_child(agent, "dependencies")
            )
        else:
            audit = await started
        usage = audit.usage or UsageMemo() if marks else None
        if usage is not None:
            save_usage(usage)
        counts = dict(audit.summary.counts)
        data: dict[str, Any] = {
            "risk_score": audit.summary.risk_score,
            "workflow_id": audit.workflow_id,
            "report": audit.artifacts.get("json"),
        }
        summary = f"{audit.summary.findings_total} audit findings"
        warnings: list[str] = []
        if dependencies is not None:
            for severity, n in dependencies.summary.counts.items():
                counts[severity] = counts.get(severity, 0) + n
            data["dependencies"] = {
                "counts": dependencies.summary.counts,
                "vulnerable": dependencies.vulnerable,
                "database": dependencies.database.model_dump(mode="json"),
                "workflow_id": dependencies.workflow_id,
                "report": dependencies.artifacts.get("json"),
                "findings": dependencies.findings.model_dump(mode="json"),
            }
            summary += f"; {summary_of(dependencies)}"
            warnings = database_warnings(dependencies)
        else:
            summary = f"{audit.summary.findings_total} findings"
        critical, high = counts.get("critical", 0), counts.get("high", 0)
        return AgentResult(
            role=agent.role,
            status="ok",
            summary=f"{summary} (critical {critical}, high {high}), "
            f"risk {audit.summary.risk_score}/100",
            warnings=warnings,
            data={"counts": counts, **data},
            report=audit.findings,
            usage=usage,
        )
