"""performance-audit: discover files, run ruff's performance families and attune's AST
rules over them in parallel batches, and write the reports.

The workflow only routes: every file read, ruff call and report write is an activity, and
everything large moves as an artifact reference, so the history stays small and a
replacement worker resumes a batch after its last heartbeated chunk.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.llm_findings import CODE_LLM_PATCH, findings_llm_stage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.performance_audit.activities import PerformanceAuditActivities
    from workflows.performance_audit.models import (
        PerfBatch,
        PerfBatchResult,
        PerformanceAuditRequest,
        PerformanceAuditResult,
        PerfProfileRequest,
        PerfReportRequest,
    )
    from workflows.schemas import ArtifactRef, DiscoverRequest, LLMSummary, UsageMemo

WORKFLOW_NAME = "performance-audit"
# The command runs again only if its worker died (a failure of its own is an outcome).
PROFILE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2)
# What runs recorded before the LLM stage (CODE_LLM_PATCH) report, as they did.
LLM_NOT_YET = LLMSummary(status="skipped", reason="LLM advice is not part of this release")
STAGES = ("discover", "analyze", "llm", "report")


@workflow.defn(name=WORKFLOW_NAME)
class PerformanceAuditWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: PerformanceAuditRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: PerformanceAuditRequest) -> PerformanceAuditResult:
        return await self._tracked(self._audit(request))

    async def _audit(self, request: PerformanceAuditRequest) -> PerformanceAuditResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            PerformanceAuditActivities.discover,
            DiscoverRequest(
                run_key=run_key, target=request.target, max_file_bytes=request.max_file_bytes
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        batches = PerfBatch.split(
            run_key,
            request.target,
            discovery,
            request.batch_size,
            request.chunk_size,
            profile=request.profile,
        )
        self._files_total = discovery.file_count
        self._set_stage("analyze", f"0/{discovery.file_count} files")
        profiling = None
        if request.profile_cmd and workflow.patched("perf-profiling"):
            profiling = asyncio.ensure_future(self._profile(request, run_key))
        results = await asyncio.gather(*(self._analyze(batch, request) for batch in batches))
        usage = UsageMemo(
            scan_cache_hits=sum(r.cache_hits for r in results),
            scan_cache_misses=sum(r.cache_misses for r in results),
        )
        llm, outcomes = LLM_NOT_YET, []
        if workflow.patched(CODE_LLM_PATCH):
            self._set_stage("llm")
            stage = await findings_llm_stage(
                flow=WORKFLOW_NAME,
                run_key=run_key,
                target=request.target,
                findings=[r.findings for r in results],
                request=request,
                usage=usage,
                progress=self._progress,
                keep_usage=marks,
            )
            llm, outcomes, usage = stage.summary, stage.outcomes, stage.usage
        profile_ref, profile_error = await profiling if profiling else (None, None)
        self._set_stage("report", f"{self._findings} findings")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            PerformanceAuditActivities.report,
            PerfReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                profile=request.profile,
                discovery=discovery,
                batch_count=len(results),
                files_analyzed=sum(r.files_analyzed for r in results),
                llm=llm,
                llm_outcomes=outcomes,
                profiling=profile_ref,
                profiling_error=profile_error,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write Markdown, JSON and SARIF",
        )
        self._set_stage("done", f"{outcome.summary.findings_total} findings")
        return PerformanceAuditResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            profile=request.profile,
            summary=outcome.summary,
            impacts=outcome.impacts,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _analyze(self, batch: PerfBatch, request: PerformanceAuditRequest) -> PerfBatchResult:
        result = await workflow.execute_activity_method(
            PerformanceAuditActivities.analyze_batch,
            batch,
            activity_id=f"analyze-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Check files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start, result.findings.count)
        return result

    async def _profile(
        self, request: PerformanceAuditRequest, run_key: str
    ) -> tuple[ArtifactRef | None, str | None]:
        """The profile of `profile_cmd`, run beside the analysis; if the activity itself
        fails, the reason, so the report carries a warning instead of the run failing."""
        try:
            ref = await workflow.execute_activity_method(
                PerformanceAuditActivities.profile,
                PerfProfileRequest(
                    run_key=run_key,
                    target=request.target,
                    command=request.profile_cmd or "",
                    timeout_s=request.profile_timeout_s,
                ),
                activity_id="profile",
                start_to_close_timeout=timedelta(seconds=request.profile_timeout_s + 120),
                heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                retry_policy=PROFILE_RETRY,
                summary=f"Profile {request.profile_cmd}",
            )
        except ActivityError as err:
            return None, str(err.cause or err)
        return ref, None
