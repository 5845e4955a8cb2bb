"""bug-predict as a team member: the full bug-predict run as a child, summed up."""

from __future__ import annotations

from temporalio import workflow

from workflows.runs import mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.bug_predict.models import BugPredictRequest, BugPredictResult
    from workflows.schemas import AgentInput, AgentResult, UsageMemo
    from workflows.wire import BUG_PREDICT_AGENT


@workflow.defn(name=BUG_PREDICT_AGENT)
class BugPredictAgentWorkflow:
    """The bugs agent: a full bug-predict as a child workflow."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        marks = mark_run()
        run = await workflow.execute_child_workflow(
            "bug-predict",
            BugPredictRequest(
                target=agent.target,
                out_dir=f"{agent.out_dir}/bug-predict" if agent.out_dir else None,
                paths=agent.params.get("paths"),
            ),
            id=f"{workflow.info().workflow_id}-bug-predict",
            result_type=BugPredictResult,
            static_summary=f"bug-predict of {agent.target}",
        )
        usage = run.usage or UsageMemo() if marks else None
        if usage is not None:
            save_usage(usage)
        top = run.hotspots[0].file if run.hotspots else None
        summary = f"{run.summary.findings_total} bug patterns, {len(run.hotspots)} hotspots"
        if top:
            summary += f" (riskiest: {top})"
        if run.history == "skipped":
            summary += "; git history skipped"
        return AgentResult(
            role=agent.role,
            status="ok",
            summary=summary,
            warnings=[run.history_reason] if run.history == "skipped" else [],
            data={
                "counts": run.summary.counts,
                "hotspots": [h.model_dump(mode="json") for h in run.hotspots],
                "workflow_id": run.workflow_id,
                "report": run.artifacts.get("json"),
            },
            report=run.findings,
            usage=usage,
        )
