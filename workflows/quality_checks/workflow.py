"""quality-checks: "run all quality checks" as one team, one merged report.

Its members are security-audit, code-review and bug-predict, run in parallel; the
ones not in the catalog yet are listed as not available rather than faked.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.team import TeamWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.team_report import TeamReportActivities
    from workflows.quality_checks.models import (
        QualityChecksRequest,
        QualityChecksResult,
        QualityReportRequest,
    )
    from workflows.schemas import AgentSpec, TeamRequest
    from workflows.wire import ATTUNE_STAGE, SECURITY_AGENT

WORKFLOW_NAME = "quality-checks"
MEMBERS = {"security-audit": SECURITY_AGENT}
PLANNED = ("code-review", "bug-predict")


@workflow.defn(name=WORKFLOW_NAME)
class QualityChecksWorkflow:
    @workflow.run
    async def run(self, request: QualityChecksRequest) -> QualityChecksResult:
        info = workflow.info()
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("team")])
        agents = [
            AgentSpec(role=name, workflow=agent, params={"max_cost_usd": request.max_cost_usd})
            for name, agent in MEMBERS.items()
        ]
        team = await workflow.execute_child_workflow(
            TeamWorkflow.run,
            TeamRequest(
                name=WORKFLOW_NAME, target=request.target, agents=agents, out_dir=request.out_dir
            ),
            id=f"{info.workflow_id}-team",
            static_summary=f"quality checks of {request.target}",
        )
        missing = [name for name in PLANNED if name not in MEMBERS]
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("report")])
        artifacts = await workflow.execute_activity_method(
            TeamReportActivities.write_quality_report,
            QualityReportRequest(
                workflow_id=info.workflow_id,
                target=request.target,
                out_dir=request.out_dir,
                team=team,
                not_available=missing,
            ),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_attempts=5),
            summary="Write the merged quality report",
        )
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("done")])
        return QualityChecksResult(
            workflow_id=info.workflow_id,
            agents=team.agents,
            not_available=missing,
            artifacts=artifacts,
        )
