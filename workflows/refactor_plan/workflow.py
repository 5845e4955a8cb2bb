"""refactor-plan: discover files, measure them in parallel batches while reading the git
history, finding duplicated blocks and dead code over the whole file set and making
ruff's mechanical patch; rank the plan and write the reports. With `apply`, the patch is
committed to a new branch first, so the report names it.

The workflow only routes: every file read, git call and report write is an activity, and
everything large moves as an artifact reference.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.llm_findings import findings_llm_stage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.refactor_plan.activities import RefactorPlanActivities
    from workflows.code_facts import HistoryRequest
    from workflows.refactor_plan.models import (
        CrossFileRequest,
        PatchRequest,
        PlanBatch,
        PlanBatchResult,
        PlanRankRequest,
        PlanReportRequest,
        RefactorPlanRequest,
        RefactorPlanResult,
    )
    from workflows.schemas import (
        ApplyOutcome,
        ApplyRequest,
        ArtifactRef,
        DiscoverRequest,
        UsageMemo,
    )

WORKFLOW_NAME = "refactor-plan"
STAGES = ("discover", "analyze", "cross-file", "patches", "apply", "rank", "llm", "report")


def stages(apply: bool) -> tuple[str, ...]:
    return STAGES if apply else tuple(s for s in STAGES if s != "apply")


def branch_name(run_id: str) -> str:
    """`attune/refactor-` and the run id's last 8 hex digits: its random part (a UUIDv7's
    first digits are a timestamp, the same for runs started within a minute)."""
    return f"attune/refactor-{run_id.replace('-', '')[-8:]}"


@workflow.defn(name=WORKFLOW_NAME)
class RefactorPlanWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: RefactorPlanRequest) -> None:
        super().__init__(stages(request.apply))

    @workflow.run
    async def run(self, request: RefactorPlanRequest) -> RefactorPlanResult:
        return await self._tracked(self._plan(request))

    async def _plan(self, request: RefactorPlanRequest) -> RefactorPlanResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            RefactorPlanActivities.discover,
            DiscoverRequest(
                run_key=run_key, target=request.target, max_file_bytes=request.max_file_bytes
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        batches = PlanBatch.split(
            run_key,
            request.target,
            discovery,
            request.batch_size,
            request.chunk_size,
        )
        self._set_stage("analyze", f"0/{discovery.file_count} files")
        self._files_total = discovery.file_count
        history_task = asyncio.ensure_future(
            workflow.execute_activity_method(
                RefactorPlanActivities.history,
                HistoryRequest(
                    run_key=run_key,
                    target=request.target,
                    until=started_at,
                    months=request.history_months,
                ),
                start_to_close_timeout=timedelta(minutes=15),
                retry_policy=RETRY,
                summary=f"Read {request.history_months} months of git history",
            )
        )
        cross_file_task = asyncio.ensure_future(
            workflow.execute_activity_method(
                RefactorPlanActivities.cross_file,
                CrossFileRequest(run_key=run_key, target=request.target, files=discovery.files),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                retry_policy=RETRY,
                summary="Find duplicated blocks and dead code across all files",
            )
        )
        patches_task = asyncio.ensure_future(
            workflow.execute_activity_method(
                RefactorPlanActivities.patches,
                PatchRequest(
                    run_key=run_key,
                    target=request.target,
                    files=discovery.files,
                    python_version=request.python_version,
                ),
                start_to_close_timeout=timedelta(minutes=15),
                retry_policy=RETRY,
                summary="Make ruff's patch: unused imports, syntax modernisation",
            )
        )
        results = await asyncio.gather(*(self._measure(batch, request) for batch in batches))
        history = await history_task
        self._set_stage("cross-file")
        cross_file = await cross_file_task
        self._set_stage("patches")
        patches = await patches_task
        applied = ApplyOutcome(status="not-requested")
        if request.apply:
            self._set_stage("apply")
            applied = await self._apply(request, patches.patch, info.run_id)
        self._set_stage("rank")
        ranked = await workflow.execute_activity_method(
            RefactorPlanActivities.rank,
            PlanRankRequest(
                run_key=run_key,
                discovery=discovery,
                batch_count=len(results),
                history=history,
                cross_file=cross_file,
                patches=patches,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Rank the plan items by benefit, churn and effort",
        )
        cache_hits = sum(r.cache_hits for r in results)
        cache_misses = sum(r.cache_misses for r in results)
        self._set_stage("llm")
        stage = await findings_llm_stage(
            flow=WORKFLOW_NAME,
            run_key=run_key,
            target=request.target,
            findings=[ranked.findings],
            request=request,
            usage=UsageMemo(scan_cache_hits=cache_hits, scan_cache_misses=cache_misses),
            progress=self._progress,
            keep_usage=marks,
        )
        usage = stage.usage
        self._set_stage("report")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            RefactorPlanActivities.report,
            PlanReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                discovery=discovery,
                batch_count=len(results),
                files_analyzed=sum(r.files_analyzed for r in results),
                cache_hits=cache_hits,
                cache_misses=cache_misses,
                history=history,
                cross_file=cross_file,
                patches=patches,
                applied=applied,
                top_items=request.top_items,
                llm=stage.summary,
                ranked=ranked,
                llm_outcomes=stage.outcomes,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Rank the plan; write Markdown, JSON, SARIF and the patch",
        )
        self._set_stage("done", f"{outcome.plan_total} plan items")
        return RefactorPlanResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            plan=outcome.plan,
            plan_total=outcome.plan_total,
            patches=patches.files,
            applied=applied,
            history=history.status,
            history_reason=history.reason,
            cache_hits=cache_hits,
            cache_misses=cache_misses,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _apply(
        self, request: RefactorPlanRequest, patch: ArtifactRef | None, run_id: str
    ) -> ApplyOutcome:
        if patch is None:
            return ApplyOutcome(status="failed", reason="no patch: ruff did not run")
        return await workflow.execute_activity_method(
            RefactorPlanActivities.apply,
            ApplyRequest(
                target=request.target,
                patch=patch,
                branch=branch_name(run_id),
                message=f"attune refactor-plan: ruff's safe fixes (F401, UP)\n\nRun {run_id}.\n",
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary="Commit the patch to a new branch",
        )

    async def _measure(self, batch: PlanBatch, request: RefactorPlanRequest) -> PlanBatchResult:
        result = await workflow.execute_activity_method(
            RefactorPlanActivities.measure_batch,
            batch,
            activity_id=f"measure-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Measure files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start)
        return result
