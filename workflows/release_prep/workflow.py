"""release-prep: a team of agents checks a release, recommends go or no-go by
documented rules, then waits (days if need be) for a person to decide.

The wait is a durable timer: a dead worker loses nothing, and the run sits in
visibility with `AttuneAwaiting=approval` until `approve` or `reject` arrives or
the approval timeout ends it as not approved. Approving over blockers requires an
explicit override, and the log records who decided what, when.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.runs import advance, mark_run, save_usage
from workflows.team import TeamWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.release_prep.decision import recommend
    from activities.release_prep.recommendation import recommend_release
    from activities.release_prep.report import ReleaseReportActivities
    from activities.teams import TeamActivities
    from workflows.release_prep.models import (
        DecisionEvent,
        ReleasePrepRequest,
        ReleasePrepResult,
        ReleaseReportRequest,
    )
    from workflows.schemas import (
        AgentSpec,
        ApprovalDecision,
        PendingApproval,
        Progress,
        TeamPlanRequest,
        TeamRequest,
    )
    from workflows.wire import (
        AGENT,
        APPROVE_SIGNAL,
        ATTUNE_AWAITING,
        ATTUNE_STAGE,
        PENDING_APPROVALS_QUERY,
        PROGRESS_QUERY,
        REJECT_SIGNAL,
        SECURITY_AGENT,
    )

WORKFLOW_NAME = "release-prep"
DECISIONS_IN_ACTIVITIES = "release-team-and-rules-in-activities"
"""Patch: the team's registry members and the go/no-go rules come from activities."""
RELEASE_DEPENDENCIES = "release-security-dependency-check"
"""Patch: the security agent runs dependency-check beside its audit."""
RETRY = RetryPolicy(maximum_attempts=5)


def release_team(request: ReleasePrepRequest, run_key: str) -> list[AgentSpec]:
    """The team of runs started before DECISIONS_IN_ACTIVITIES: kept for replay."""
    return [
        AgentSpec(
            role="security",
            workflow=SECURITY_AGENT,
            params={"max_cost_usd": request.max_cost_usd},
        ),
        *own_agents(request, run_key),
    ]


def own_agents(request: ReleasePrepRequest, run_key: str) -> list[AgentSpec]:
    """The agents only release-prep runs; flows that serve the team join from the registry."""
    common = {"run_key": run_key}
    return [
        AgentSpec(
            role="testing",
            workflow=AGENT,
            params={
                **common,
                "activity": "run_tests",
                "timeout_s": request.test_timeout_s + request.env_timeout_s,
                "test_timeout_s": request.test_timeout_s,
                "test_cmd": request.test_cmd,
            },
        ),
        AgentSpec(role="version", workflow=AGENT, params={**common, "activity": "check_version"}),
        AgentSpec(
            role="docs",
            workflow=AGENT,
            params={**common, "activity": "check_docs"},
            depends_on=["version"],
        ),
        AgentSpec(role="health", workflow=AGENT, params={**common, "activity": "check_health"}),
    ]


@workflow.defn(name=WORKFLOW_NAME)
class ReleasePrepWorkflow:
    @workflow.init
    def __init__(self, request: ReleasePrepRequest) -> None:
        self._progress = Progress.of("team", "awaiting-approval", "report")
        self._pending: PendingApproval | None = None
        self._decisions: list[DecisionEvent] = []
        self._outcome: str | None = None

    @workflow.signal(name=APPROVE_SIGNAL)
    def approve(self, decision: ApprovalDecision) -> None:
        if self._pending is None or self._outcome is not None:
            return
        if self._pending.blockers and not decision.override_blockers:
            self._log(
                "refused",
                decision,
                "approval needs --override-blockers: " + "; ".join(self._pending.blockers),
            )
            return
        self._log("approved", decision, decision.comment)
        self._outcome = "approved"

    @workflow.signal(name=REJECT_SIGNAL)
    def reject(self, decision: ApprovalDecision) -> None:
        if self._pending is None or self._outcome is not None:
            return
        self._log("rejected", decision, decision.reason or decision.comment)
        self._outcome = "rejected"

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress

    @workflow.query(name=PENDING_APPROVALS_QUERY)
    def pending_approvals(self) -> list[PendingApproval]:
        return [self._pending] if self._pending and self._outcome is None else []

    @workflow.run
    async def run(self, request: ReleasePrepRequest) -> ReleasePrepResult:
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        marks = mark_run()
        in_activities = workflow.patched(DECISIONS_IN_ACTIVITIES)
        self._stage("team")
        if in_activities:
            params: dict[str, Any] = {"max_cost_usd": request.max_cost_usd}
            if workflow.patched(RELEASE_DEPENDENCIES):
                params["dependency_check"] = True  # the security agent checks dependencies
            plan = await workflow.execute_activity_method(
                TeamActivities.plan_team,
                TeamPlanRequest(team=WORKFLOW_NAME, params=params),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
                summary="Choose the release team's agents",
            )
            agents = [*plan.agents, *own_agents(request, run_key)]
        else:
            agents = release_team(request, run_key)
        team = await workflow.execute_child_workflow(
            TeamWorkflow.run,
            TeamRequest(
                name=WORKFLOW_NAME, target=request.target, agents=agents, out_dir=request.out_dir
            ),
            id=f"{info.workflow_id}-team",
            static_summary=f"release team for {request.target}",
        )
        if in_activities:
            recommendation = await workflow.execute_activity(
                recommend_release,
                team.agents,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
                summary="Apply the go/no-go rules",
            )
        else:
            recommendation = recommend(team.agents)
        timeout = timedelta(seconds=request.approval_timeout_s)
        self._pending = PendingApproval(
            workflow_id=info.workflow_id,
            what=f"release of {request.target}",
            recommendation=recommendation.verdict,
            blockers=recommendation.blockers,
            warnings=recommendation.warnings,
            blocker_details=recommendation.blocker_details,
            since=workflow.now(),
            timeout_at=workflow.now() + timeout,
        )
        self._stage("awaiting-approval", awaiting="approval")
        try:
            await workflow.wait_condition(lambda: self._outcome is not None, timeout=timeout)
        except TimeoutError:
            self._outcome = "timed_out"
            self._log(
                "timed_out",
                ApprovalDecision(reviewer="attune"),
                f"no decision within {timeout}; not approved",
            )
        self._stage("report", awaiting="")
        artifacts = await workflow.execute_activity_method(
            ReleaseReportActivities.write_release_report,
            ReleaseReportRequest(
                run_key=run_key,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                team=team,
                recommendation=recommendation,
                decisions=self._decisions,
                status=self._outcome,
            ),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary="Write the release report",
        )
        self._stage("done")
        if marks and team.usage is not None:
            save_usage(team.usage)
        return ReleasePrepResult(
            workflow_id=info.workflow_id,
            status=self._outcome,
            recommendation=recommendation,
            decisions=self._decisions,
            agents=team.agents,
            artifacts=artifacts,
            usage=team.usage,
        )

    def _log(self, action: str, decision: ApprovalDecision, text: str) -> None:
        self._decisions.append(
            DecisionEvent(
                action=action,
                reviewer=decision.reviewer,
                text=text,
                override_blockers=decision.override_blockers,
                at=workflow.now(),
            )
        )

    def _stage(self, stage: str, awaiting: str | None = None) -> None:
        advance(self._progress, stage, "waiting for approve or reject" if awaiting else "")
        updates = [ATTUNE_STAGE.value_set(stage)]
        if awaiting:
            updates.append(ATTUNE_AWAITING.value_set(awaiting))
        elif awaiting is not None:
            updates.append(ATTUNE_AWAITING.value_unset())
        workflow.upsert_search_attributes(updates)
