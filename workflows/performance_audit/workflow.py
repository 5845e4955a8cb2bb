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

from workflows.llm_findings import CODE_LLM_PATCH, findings_llm_stage
from workflows.runs import advance, mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from activities.performance_audit.activities import PerformanceAuditActivities
    from workflows.performance_audit.models import (
        PerfBatch,
        PerfBatchResult,
        PerformanceAuditRequest,
        PerformanceAuditResult,
        PerfReportRequest,
    )
    from workflows.schemas import DiscoverRequest, LLMSummary, Progress, UsageMemo
    from workflows.wire import ATTUNE_STAGE, PROGRESS_QUERY

WORKFLOW_NAME = "performance-audit"
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
# What runs recorded before the LLM stage (CODE_LLM_PATCH) report, as they did.
LLM_NOT_YET = LLMSummary(status="skipped", reason="LLM advice is not part of this release")
STAGES = ("discover", "analyze", "llm", "report")


@workflow.defn(name=WORKFLOW_NAME)
class PerformanceAuditWorkflow:
    @workflow.init
    def __init__(self, request: PerformanceAuditRequest) -> None:
        self._progress = Progress.of(*STAGES)
        self._files_done = self._files_total = self._findings = 0

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress

    @workflow.run
    async def run(self, request: PerformanceAuditRequest) -> PerformanceAuditResult:
        try:
            return await self._audit(request)
        except asyncio.CancelledError:
            self._set_stage("cancelled")
            raise
        except Exception:
            self._set_stage("failed")
            raise

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
        size = request.batch_size
        batches = [
            PerfBatch(
                run_key=run_key,
                target=request.target,
                files=discovery.files,
                index=index,
                start=start,
                end=min(start + size, discovery.file_count),
                chunk_size=request.chunk_size,
                profile=request.profile,
            )
            for index, start in enumerate(range(0, discovery.file_count, size))
        ]
        self._files_total = discovery.file_count
        self._set_stage("analyze", f"0/{discovery.file_count} files")
        results = await asyncio.gather(*(self._analyze(batch, request) for batch in batches))
        usage = UsageMemo()
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
        self._files_done += batch.end - batch.start
        self._findings += result.findings.count
        if self._progress.stage == "analyze":
            self._progress.detail = f"{self._files_done}/{self._files_total} files"
        return result

    def _set_stage(self, stage: str, detail: str = "") -> None:
        advance(self._progress, stage, detail)
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set(stage)])
