"""security-audit: discover files, scan them in parallel batches, write the reports.

The workflow only routes: every file read, scan and report write is an activity,
and everything large moves as an artifact reference, so the history stays small
and a replacement worker resumes exactly where a dead one stopped.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.security import SecurityActivities
    from workflows.schemas import (
        AuditProgress,
        AuditRequest,
        AuditResult,
        DiscoverRequest,
        LLMSummary,
        ReportRequest,
        ScanBatch,
        ScanBatchResult,
        UsageMemo,
    )
    from workflows.wire import ATTUNE_STAGE, PROGRESS_QUERY, USAGE_MEMO

WORKFLOW_NAME = "security-audit"
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
LLM_NOT_YET = LLMSummary(
    status="skipped",
    reason="LLM triage is not part of this attune release; deterministic engines only",
)


@workflow.defn(name=WORKFLOW_NAME)
class SecurityAuditWorkflow:
    @workflow.init
    def __init__(self, request: AuditRequest) -> None:
        self._progress = AuditProgress(stage="starting")

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> AuditProgress:
        return self._progress

    @workflow.run
    async def run(self, request: AuditRequest) -> AuditResult:
        try:
            return await self._audit(request)
        except asyncio.CancelledError:
            self._set_stage("cancelled")
            raise
        except Exception:
            self._set_stage("failed")
            raise

    async def _audit(self, request: AuditRequest) -> AuditResult:
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            SecurityActivities.discover_files,
            DiscoverRequest(
                run_key=run_key, target=request.target, max_file_bytes=request.max_file_bytes
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        size = request.batch_size
        batches = [
            ScanBatch(
                run_key=run_key,
                target=request.target,
                files=discovery.files,
                index=index,
                start=start,
                end=min(start + size, discovery.file_count),
                chunk_size=request.chunk_size,
                bandit=request.bandit,
            )
            for index, start in enumerate(range(0, discovery.file_count, size))
        ]
        self._progress.files_total = discovery.file_count
        self._progress.batches_total = len(batches)
        self._set_stage("scan")
        results = await asyncio.gather(*(self._scan(batch, request) for batch in batches))
        usage = UsageMemo(
            scan_cache_hits=sum(r.cache_hits for r in results),
            scan_cache_misses=sum(r.cache_misses for r in results),
        )
        workflow.upsert_memo({USAGE_MEMO: usage.model_dump(mode="json")})
        self._set_stage("report")
        outcome = await workflow.execute_activity_method(
            SecurityActivities.build_audit_report,
            ReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                discovery=discovery,
                batches=list(results),
                llm=LLM_NOT_YET,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Merge {self._progress.findings} findings; write Markdown, JSON and SARIF",
        )
        self._set_stage("done")
        return AuditResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
        )

    async def _scan(self, batch: ScanBatch, request: AuditRequest) -> ScanBatchResult:
        result = await workflow.execute_activity_method(
            SecurityActivities.scan_batch,
            batch,
            activity_id=f"scan-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Scan files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._progress.batches_done += 1
        self._progress.files_scanned += batch.end - batch.start
        self._progress.findings += result.findings.count
        self._progress.cache_hits += result.cache_hits
        return result

    def _set_stage(self, stage: str) -> None:
        self._progress.stage = stage
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set(stage)])
