"""bug-predict: discover files, measure them and look for bug patterns in parallel
batches, read the git history, rank hotspots and write the reports.

The workflow only routes: every file read, git call and report write is an activity, and
everything large moves as an artifact reference, so the history stays small and a
replacement worker resumes a batch after its last heartbeated chunk.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.llm_findings import CODE_LLM_PATCH, findings_llm_stage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.bug_predict.activities import BugPredictActivities
    from workflows.bug_predict.models import (
        AnalyzeBatch,
        AnalyzeBatchResult,
        BugPredictRequest,
        BugPredictResult,
        BugReportRequest,
    )
    from workflows.code_facts import HistoryRequest
    from workflows.schemas import DiscoverRequest, LLMSummary, UsageMemo

WORKFLOW_NAME = "bug-predict"
# What runs recorded before the LLM stage (CODE_LLM_PATCH) report, as they did.
LLM_NOT_YET = LLMSummary(status="skipped", reason="LLM explanation is not part of this release")
STAGES = ("discover", "analyze", "history", "llm", "report")


@workflow.defn(name=WORKFLOW_NAME)
class BugPredictWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: BugPredictRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: BugPredictRequest) -> BugPredictResult:
        return await self._tracked(self._predict(request))

    async def _predict(self, request: BugPredictRequest) -> BugPredictResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            BugPredictActivities.discover,
            DiscoverRequest(
                run_key=run_key,
                target=request.target,
                max_file_bytes=request.max_file_bytes,
                paths=request.paths,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        batches = AnalyzeBatch.split(
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
                BugPredictActivities.history,
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
        results = await asyncio.gather(*(self._analyze(batch, request) for batch in batches))
        self._set_stage("history")
        history = await history_task
        cache_hits = sum(r.cache_hits for r in results)
        cache_misses = sum(r.cache_misses for r in results)
        usage = UsageMemo(scan_cache_hits=cache_hits, scan_cache_misses=cache_misses)
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
            BugPredictActivities.report,
            BugReportRequest(
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
                top_hotspots=request.top_hotspots,
                llm=llm,
                llm_outcomes=outcomes,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Rank hotspots; write Markdown, JSON and SARIF",
        )
        self._set_stage("done", f"{outcome.summary.findings_total} findings")
        return BugPredictResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            hotspots=outcome.hotspots,
            history=history.status,
            history_reason=history.reason,
            cache_hits=cache_hits,
            cache_misses=cache_misses,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _analyze(self, batch: AnalyzeBatch, request: BugPredictRequest) -> AnalyzeBatchResult:
        result = await workflow.execute_activity_method(
            BugPredictActivities.analyze_batch,
            batch,
            activity_id=f"analyze-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Measure and check files {batch.start + 1}-{batch.end} "
            f"(batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start, result.findings.count)
        return result
