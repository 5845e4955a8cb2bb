"""code-review: find the change (on a diff), discover its files, review them in parallel
batches while dead code, duplication and type checks run over the whole file set, and write the
reports.

The workflow only routes: every git call, file read, engine run and report write is an
activity, and everything large moves as an artifact reference, so the history stays
small and a replacement worker resumes a batch after its last heartbeated chunk.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.llm_findings import findings_llm_stage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.code_review.activities import CodeReviewActivities
    from workflows.code_review.models import (
        ChangesRequest,
        ChangesResult,
        CodeReviewRequest,
        CodeReviewResult,
        ReviewBatch,
        ReviewBatchResult,
        ReviewReportRequest,
        WholeTreeRequest,
    )
    from workflows.schemas import DiscoverRequest, UsageMemo

WORKFLOW_NAME = "code-review"
STAGES = ("changes", "discover", "analyze", "llm", "report")


@workflow.defn(name=WORKFLOW_NAME)
class CodeReviewWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: CodeReviewRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: CodeReviewRequest) -> CodeReviewResult:
        return await self._tracked(self._review(request))

    async def _review(self, request: CodeReviewRequest) -> CodeReviewResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("changes")
        changes = await self._changes(request, run_key)
        diff = changes is not None and changes.status == "ok"
        paths = request.paths
        if diff:
            assert changes is not None
            paths = changes.files
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            CodeReviewActivities.discover,
            DiscoverRequest(
                run_key=run_key,
                target=request.target,
                max_file_bytes=request.max_file_bytes,
                paths=paths,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        changes_ref = changes.changes if diff and changes is not None else None
        batches = ReviewBatch.split(
            run_key,
            request.target,
            discovery,
            request.batch_size,
            request.chunk_size,
            profile=request.profile,
            changes=changes_ref,
        )
        self._files_total = discovery.file_count
        self._set_stage("analyze", f"0/{discovery.file_count} files")
        whole = WholeTreeRequest(
            run_key=run_key,
            target=request.target,
            files=discovery.files,
            profile=request.profile,
            changes=changes_ref,
        )
        checks = [
            asyncio.ensure_future(
                workflow.execute_activity_method(
                    method,
                    whole,
                    start_to_close_timeout=timedelta(minutes=30),
                    heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                    retry_policy=RETRY,
                    summary=summary,
                )
            )
            for method, summary in (
                (CodeReviewActivities.dead_code, "Find dead code (vulture) and duplicated blocks"),
                (CodeReviewActivities.types, "Type check (pyright or mypy, if installed)"),
            )
        ]
        results = await asyncio.gather(*(self._analyze(batch, request) for batch in batches))
        dead_code, types = await asyncio.gather(*checks)
        cache_hits = sum(r.cache_hits for r in results)
        cache_misses = sum(r.cache_misses for r in results)
        self._set_stage("llm")
        stage = await findings_llm_stage(
            flow=WORKFLOW_NAME,
            run_key=run_key,
            target=request.target,
            findings=[*(r.findings for r in results), dead_code.findings, types.findings],
            request=request,
            usage=UsageMemo(scan_cache_hits=cache_hits, scan_cache_misses=cache_misses),
            progress=self._progress,
            keep_usage=marks,
        )
        llm, outcomes, usage = stage.summary, stage.outcomes, stage.usage
        self._set_stage("report", f"{self._findings} findings")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            CodeReviewActivities.report,
            ReviewReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                profile=request.profile,
                mode="diff" if diff else "files",
                changes=changes,
                discovery=discovery,
                batch_count=len(results),
                files_analyzed=sum(r.files_analyzed for r in results),
                cache_hits=cache_hits,
                cache_misses=cache_misses,
                dead_code=dead_code,
                types=types,
                llm=llm,
                llm_outcomes=outcomes,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write Markdown, JSON and SARIF",
        )
        self._set_stage("done", f"{outcome.summary.findings_total} findings")
        type_check = types.status if types.status == "ok" else f"{types.status} ({types.reason})"
        return CodeReviewResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            mode="diff" if diff else "files",
            profile=request.profile,
            base=changes.base if diff and changes is not None else None,
            head=changes.head if diff and changes is not None else None,
            summary=outcome.summary,
            categories=outcome.categories,
            complexity_change=outcome.complexity_change,
            fixes=outcome.fixes,
            high_correctness=outcome.high_correctness,
            type_check=type_check,
            cache_hits=cache_hits,
            cache_misses=cache_misses,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _changes(self, request: CodeReviewRequest, run_key: str) -> ChangesResult | None:
        """The change under review; None in files mode (no base, head or paths)."""
        if not request.diff_mode:
            return None
        return await workflow.execute_activity_method(
            CodeReviewActivities.changes,
            ChangesRequest(
                run_key=run_key,
                target=request.target,
                base=request.base,
                head=request.head,
                paths=request.paths,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Changed lines {request.base or 'merge-base'}..{request.head or 'HEAD'}",
        )

    async def _analyze(self, batch: ReviewBatch, request: CodeReviewRequest) -> ReviewBatchResult:
        result = await workflow.execute_activity_method(
            CodeReviewActivities.analyze_batch,
            batch,
            activity_id=f"analyze-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Review files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start, result.findings.count)
        return result
