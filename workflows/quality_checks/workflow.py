"""quality-checks: "run all quality checks" as one team, one merged report.

Its members are the flows whose team role names quality-checks (security-audit,
code-review, bug-predict), run in parallel; planned ones are listed as not
available rather than faked.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.runs import advance, mark_run, save_usage
from workflows.team import TeamWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.quality_checks import QualityReportActivities
    from activities.teams import TeamActivities
    from workflows.quality_checks.models import (
        QualityChecksRequest,
        QualityChecksResult,
        QualityReportRequest,
    )
    from workflows.schemas import AgentSpec, Progress, TeamPlanRequest, TeamRequest
    from workflows.wire import ATTUNE_STAGE, PROGRESS_QUERY, SECURITY_AGENT

WORKFLOW_NAME = "quality-checks"
TEAM_FROM_REGISTRY = "team-from-registry"
"""Patch: members come from the flow registry (an activity), not the lists below."""
LEGACY_MEMBERS = {"security-audit": SECURITY_AGENT}
LEGACY_PLANNED = ("code-review", "bug-predict")
RETRY = RetryPolicy(maximum_attempts=5)


@workflow.defn(name=WORKFLOW_NAME)
class QualityChecksWorkflow:
    @workflow.init
    def __init__(self, request: QualityChecksRequest) -> None:
        self._progress = Progress.of("team", "report")

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress

    @workflow.run
    async def run(self, request: QualityChecksRequest) -> QualityChecksResult:
        info = workflow.info()
        marks = mark_run()
        advance(self._progress, "team")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("team")])
        params = {"max_cost_usd": request.max_cost_usd}
        if workflow.patched(TEAM_FROM_REGISTRY):
            plan = await workflow.execute_activity_method(
                TeamActivities.plan_team,
                TeamPlanRequest(team=WORKFLOW_NAME, params=params, roles_by_flow=True),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
                summary="Choose the quality checks from the flow registry",
            )
            agents, missing = plan.agents, plan.not_available
        else:
            agents = [
                AgentSpec(role=name, workflow=agent, params=params)
                for name, agent in LEGACY_MEMBERS.items()
            ]
            missing = [name for name in LEGACY_PLANNED if name not in LEGACY_MEMBERS]
        team = await workflow.execute_child_workflow(
            TeamWorkflow.run,
            TeamRequest(
                name=WORKFLOW_NAME, target=request.target, agents=agents, out_dir=request.out_dir
            ),
            id=f"{info.workflow_id}-team",
            static_summary=f"quality checks of {request.target}",
        )
        advance(self._progress, "report")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("report")])
        artifacts = await workflow.execute_activity_method(
            QualityReportActivities.write_quality_report,
            QualityReportRequest(
                workflow_id=info.workflow_id,
                target=request.target,
                out_dir=request.out_dir,
                team=team,
                not_available=missing,
            ),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary="Write the merged quality report",
        )
        advance(self._progress, "done")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("done")])
        if marks and team.usage is not None:
            save_usage(team.usage)
        return QualityChecksResult(
            workflow_id=info.workflow_id,
            agents=team.agents,
            not_available=missing,
            artifacts=artifacts,
            usage=team.usage,
        )
