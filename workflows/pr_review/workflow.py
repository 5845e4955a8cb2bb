"""pr-review: a change reviewed by the pr-review team, findings kept to its lines.

It reads the change (and lays out head's files when they are not the working tree),
runs every member of the pr-review team as parallel child workflows on the changed
files (the registry says who: security-audit, bug-predict, code-review; dependency-check
too when the change touches a dependency file), then keeps the
findings on changed lines and writes the verdict, the reports and a GitHub review.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePosixPath

from temporalio import workflow

from workflows.llm_findings import findings_llm_stage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow
from workflows.team import TeamWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.pr_review.activities import PrReviewActivities
    from activities.teams import TeamActivities
    from workflows.dependency_check.files import is_dependency_file
    from workflows.pr_review.models import (
        ChangeRequest,
        PrReviewRequest,
        PrReviewResult,
        ReviewReportRequest,
        SelectRequest,
    )
    from workflows.schemas import AgentSpec, TeamPlanRequest, TeamRequest, UsageMemo
    from workflows.wire import DEPENDENCY_CHECK_AGENT

WORKFLOW_NAME = "pr-review"
STAGES = ("change", "team", "select", "llm", "report")
DEPENDENCY_CHANGE = "pr-review-dependency-check"
"""Patch: a change to a dependency file adds dependency-check to the reviewers."""


@workflow.defn(name=WORKFLOW_NAME)
class PrReviewWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: PrReviewRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: PrReviewRequest) -> PrReviewResult:
        return await self._tracked(self._review(request))

    async def _review(self, request: PrReviewRequest) -> PrReviewResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("change")
        change = await workflow.execute_activity_method(
            PrReviewActivities.prepare,
            ChangeRequest(
                run_key=run_key, target=request.target, base=request.base, head=request.head
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Read the change {request.base or 'merge-base'}..{request.head}",
        )
        self._set_stage("team", f"{len(change.paths)} files changed")
        params = {
            "paths": change.paths,
            "base": change.base,
            "head": change.head,
            "llm_max_findings": 0,  # the review triages the changed lines' findings once
        }
        plan = await workflow.execute_activity_method(
            TeamActivities.plan_team,
            TeamPlanRequest(team=WORKFLOW_NAME, params=params, roles_by_flow=True),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Choose the reviewers from the flow registry",
        )
        agents = plan.agents
        if any(is_dependency_file(PurePosixPath(p)) for p in change.paths) and workflow.patched(
            DEPENDENCY_CHANGE
        ):
            agents = [
                *agents,
                AgentSpec(role="dependency-check", workflow=DEPENDENCY_CHECK_AGENT, params=params),
            ]
        team = await workflow.execute_child_workflow(
            TeamWorkflow.run,
            TeamRequest(
                name=WORKFLOW_NAME,
                target=change.tree,
                agents=agents,
                out_dir=request.out_dir,
            ),
            id=f"{info.workflow_id}-team",
            static_summary=f"reviewers of {change.head[:12]} in {request.target}",
        )
        self._set_stage("select")
        selected = await workflow.execute_activity_method(
            PrReviewActivities.select,
            SelectRequest(run_key=run_key, change=change, team=team),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Keep the reviewers' findings on changed lines",
        )
        self._set_stage("llm", f"{selected.findings.count} findings on changed lines")
        usage = team.usage or UsageMemo()
        stage = await findings_llm_stage(
            flow=WORKFLOW_NAME,
            run_key=run_key,
            target=change.tree,
            findings=[selected.findings],
            request=request,
            usage=usage,
            progress=self._progress,
            keep_usage=marks,
        )
        usage = stage.usage
        self._set_stage("report")
        outcome = await workflow.execute_activity_method(
            PrReviewActivities.report,
            ReviewReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                change=change,
                team=team,
                not_available=plan.not_available,
                selected=selected,
                llm=stage.summary,
                llm_outcomes=stage.outcomes,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Keep findings on changed lines; verdict; Markdown, JSON, SARIF, review",
        )
        self._set_stage("done", outcome.verdict)
        if marks:
            save_usage(usage)
        return PrReviewResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            base=change.base,
            head=change.head,
            base_ref=change.base_ref,
            head_ref=change.head_ref,
            files_changed=len(change.paths),
            lines_changed=change.lines_changed,
            verdict=outcome.verdict,
            verdict_reasons=outcome.reasons,
            summary=outcome.summary,
            top=outcome.top,
            findings=outcome.findings,
            agents=team.agents,
            not_available=plan.not_available,
            artifacts=outcome.artifacts,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )
