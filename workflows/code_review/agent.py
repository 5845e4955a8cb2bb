"""code-review as a team member: the full code-review run as a child, summed up.

A parent that reviews a change (pr-review) puts `paths`, `base` and `head` in the
agent's params; like every param that names a request field, they pass through to the
review, so it reads only the change. Its
findings never block by themselves: `data["high_correctness"]` lets a team's rules
(release-prep's go/no-go) decide what does.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.runs import mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.code_review.models import CodeReviewRequest, CodeReviewResult
    from workflows.schemas import AgentInput, AgentResult, UsageMemo
    from workflows.wire import CODE_REVIEW_AGENT


@workflow.defn(name=CODE_REVIEW_AGENT)
class CodeReviewAgentWorkflow:
    """The review agent: a full code-review as a child workflow."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        marks = mark_run()
        run = await workflow.execute_child_workflow(
            "code-review",
            CodeReviewRequest(
                **agent.request_params(CodeReviewRequest),
                target=agent.target,
                out_dir=f"{agent.out_dir}/code-review" if agent.out_dir else None,
            ),
            id=f"{workflow.info().workflow_id}-code-review",
            result_type=CodeReviewResult,
            static_summary=f"code-review of {agent.target}",
        )
        usage = run.usage or UsageMemo() if marks else None
        if usage is not None:
            save_usage(usage)
        report = run.artifacts.get("json")
        summary = (
            f"{run.summary.findings_total} review findings ("
            + ", ".join(f"{n} {category}" for category, n in run.categories.items())
            + f"); {run.fixes} with a fix"
        )
        if run.complexity_change is not None:
            summary += f"; complexity {run.complexity_change:+d}"
        return AgentResult(
            role=agent.role,
            status="ok",
            summary=summary,
            data={
                "counts": run.summary.counts,
                "categories": run.categories,
                "high_correctness": run.high_correctness,
                "fixes": run.fixes,
                "mode": run.mode,
                "complexity_change": run.complexity_change,
                "type_check": run.type_check,
                "workflow_id": run.workflow_id,
                "report": report,
            },
            report=run.findings,
            usage=usage,
        )
