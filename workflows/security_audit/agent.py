"""security-audit as a team member: the full audit as a child, summed up for the team."""

from __future__ import annotations

from temporalio import workflow

from workflows.runs import mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.schemas import AgentInput, AgentResult, UsageMemo
    from workflows.security_audit.models import AuditRequest, AuditResult
    from workflows.wire import SECURITY_AGENT


@workflow.defn(name=SECURITY_AGENT)
class SecurityAgentWorkflow:
    """The security agent: a full security-audit as a child workflow."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        marks = mark_run()
        request = AuditRequest(
            target=agent.target,
            out_dir=f"{agent.out_dir}/security" if agent.out_dir else None,
            max_cost_usd=agent.params.get("max_cost_usd"),
            paths=agent.params.get("paths"),
        )
        audit = await workflow.execute_child_workflow(
            "security-audit",
            request,
            id=f"{workflow.info().workflow_id}-audit",
            result_type=AuditResult,
            static_summary=f"security-audit of {agent.target}",
        )
        usage = audit.usage or UsageMemo() if marks else None
        if usage is not None:
            save_usage(usage)
        counts = audit.summary.counts
        critical, high = counts.get("critical", 0), counts.get("high", 0)
        return AgentResult(
            role=agent.role,
            status="ok",
            summary=(
                f"{audit.summary.findings_total} findings (critical {critical}, high {high}), "
                f"risk {audit.summary.risk_score}/100"
            ),
            data={
                "counts": counts,
                "risk_score": audit.summary.risk_score,
                "workflow_id": audit.workflow_id,
                "report": audit.artifacts.get("json"),
            },
            report=audit.findings,
            usage=usage,
        )
