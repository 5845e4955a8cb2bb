"""dependency-check: read the project's dependency files, check every entry against the
local OSV database and, beside it, the hygiene checks, then write the reports and the SBOM.

The workflow only routes: every file read, database query, deptry call and index lookup
is an activity, and the inventory and findings move as artifact references.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.dependency_check.activities import DependencyCheckActivities
    from workflows.dependency_check.models import (
        DatabaseInfo,
        DependencyCheckRequest,
        DependencyCheckResult,
        DependencyReportRequest,
        InventoryRequest,
        StageOutcome,
        StageRequest,
    )
    from workflows.schemas import UsageMemo

WORKFLOW_NAME = "dependency-check"
STAGES = ("inventory", "advisories", "hygiene", "report")


@workflow.defn(name=WORKFLOW_NAME)
class DependencyCheckWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: DependencyCheckRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: DependencyCheckRequest) -> DependencyCheckResult:
        return await self._tracked(self._check(request))

    async def _check(self, request: DependencyCheckRequest) -> DependencyCheckResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("inventory")
        inventory = await workflow.execute_activity_method(
            DependencyCheckActivities.inventory,
            InventoryRequest(run_key=run_key, target=request.target),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Read the dependency files of {request.target}",
        )
        stage = StageRequest(
            run_key=run_key, target=request.target, inventory=inventory, request=request
        )
        self._set_stage("advisories", f"{inventory.count} dependencies")
        advisories = asyncio.ensure_future(
            workflow.execute_activity_method(
                DependencyCheckActivities.advisories,
                stage,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RETRY,
                summary=f"Check {inventory.count} dependencies against the OSV database",
            )
        )
        hygiene = self._hygiene(stage) if request.hygiene else None
        checked = await advisories
        self._set_stage("hygiene", f"{checked.findings.count} advisory findings")
        cleaned = await hygiene if hygiene is not None else None
        self._set_stage("report")
        if marks:
            save_usage(UsageMemo())
        outcome = await workflow.execute_activity_method(
            DependencyCheckActivities.report,
            DependencyReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                inventory=inventory,
                advisories=checked,
                hygiene=cleaned,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write Markdown, JSON, SARIF and the CycloneDX SBOM",
        )
        self._set_stage("done", f"{outcome.summary.findings_total} findings")
        return DependencyCheckResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            dependencies=inventory.count,
            vulnerable=outcome.vulnerable,
            database=checked.database or DatabaseInfo(status="missing"),
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
        )

    def _hygiene(self, stage: StageRequest) -> asyncio.Future[StageOutcome]:
        """Hygiene runs beside the advisory check: neither needs the other."""
        return asyncio.ensure_future(
            workflow.execute_activity_method(
                DependencyCheckActivities.hygiene,
                stage,
                start_to_close_timeout=timedelta(minutes=15),
                retry_policy=RETRY,
                summary="deptry, licences and the dependency-confusion check",
            )
        )
