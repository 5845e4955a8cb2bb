"""Security-audit activities: thin typed wrappers around discovery, scanning, reports."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio import activity
from temporalio.client import Client

from activities import reports
from activities.artifacts import ArtifactStore
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.heartbeats import heartbeat_interval, in_pool
from activities.llm.stage import apply_outcomes
from activities.memory import retrieve
from activities.metrics import record_scan_cache
from activities.security_audit.baseline import suppress_in_activity
from activities.security_audit.scanners import evidence
from activities.security_audit.scanners.merge import merge_flow_findings
from activities.security_audit.scanning import (
    BATCH_RESULT,
    FACTS_JSON,
    FINDINGS,
    ChunkResult,
    batch_dir,
    batch_facts_key,
    batch_result_key,
    scan_chunk,
    stored_batch_results,
)
from activities.security_audit.taint_trace import stored_facts, taint_findings_key, trace_facts
from activities.target import target_dir
from workflows.schemas import ArtifactRef, DiscoverRequest, DiscoveryResult
from workflows.security_audit.models import (
    AuditSummary,
    ReportRequest,
    ScanBatch,
    ScanBatchResult,
    TaintRequest,
    TaintResult,
)
from workflows.wire import ACCEPTED_RISK_PREFIX

CHUNK_REFS = TypeAdapter(list[ArtifactRef])
CHUNK_STOP_GRACE_S = 30.0


def _retrieve(future: asyncio.Future) -> None:
    """Consume an abandoned chunk's outcome (a `ScanCancelled`), so nothing logs it."""
    if not future.cancelled():
        future.exception()


class BatchCursor(BaseModel):
    """Heartbeat details: how far a batch got, and where its finished chunks are."""

    next_index: int
    chunks: list[ArtifactRef]
    skipped: list[ArtifactRef]
    facts: list[ArtifactRef] = []
    cache_hits: int = 0
    cache_misses: int = 0
    files_scanned: int = 0


class ReportOutcome(BaseModel):
    summary: AuditSummary
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


async def accepted_risks(client: Client, target: str) -> dict[str, str]:
    """Fingerprints the project accepted as risks, with the reasons, from its memory."""
    entries = await retrieve(client, target, f"{ACCEPTED_RISK_PREFIX}*")
    return {e.key.removeprefix(ACCEPTED_RISK_PREFIX): str(e.value) for e in entries}


class SecurityActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="discover_files")
    async def discover_files(self, request: DiscoverRequest) -> DiscoveryResult:
        base = f"runs/{request.run_key}/artifacts"
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="scan_batch")
    async def scan_batch(self, batch: ScanBatch) -> ScanBatchResult:
        """Scan a batch chunk by chunk in the process pool, heartbeating its cursor while
        each chunk runs; store the result where the report and LLM stages read it."""
        info = activity.info()
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        details = info.heartbeat_details
        cursor = (
            BatchCursor.model_validate(details[0])
            if details
            else BatchCursor(next_index=0, chunks=[], skipped=[])
        )
        resumed_from = cursor.next_index
        root = target_dir(batch.target)
        base = batch_dir(batch.run_key, batch.index)
        cancel_file = self.store.local_path(f"{base}/cancel-{info.attempt}")
        interval = heartbeat_interval(info.heartbeat_timeout)
        cache_file = str(self.store.local_path("cache/scan.sqlite"))
        while cursor.next_index < len(files):
            chunk_no = len(cursor.chunks)
            chunk = files[cursor.next_index : cursor.next_index + batch.chunk_size]
            result = await self._scan_chunk(
                cursor, interval, cancel_file, str(root), chunk, cache_file, batch.bandit
            )
            findings_ref = self.store.put(
                f"{base}/chunk-{chunk_no:04d}.json", result.findings, FINDINGS, len(result.findings)
            )
            skipped_ref = self.store.put(
                f"{base}/chunk-{chunk_no:04d}-skipped.json",
                result.skipped,
                SKIPPED,
                len(result.skipped),
            )
            facts_ref = self.store.put(
                f"{base}/chunk-{chunk_no:04d}-facts.json",
                result.facts,
                FACTS_JSON,
                len(result.facts),
            )
            cursor = BatchCursor(
                next_index=cursor.next_index + len(chunk),
                chunks=[*cursor.chunks, findings_ref],
                skipped=[*cursor.skipped, skipped_ref],
                facts=[*cursor.facts, facts_ref],
                cache_hits=cursor.cache_hits + result.cache_hits,
                cache_misses=cursor.cache_misses + result.cache_misses,
                files_scanned=cursor.files_scanned + result.files_scanned,
            )
            activity.heartbeat(cursor.model_dump(mode="json"))
        record_scan_cache(cursor.cache_hits, cursor.cache_misses)
        findings = [f for ref in cursor.chunks for f in self.store.get(ref, FINDINGS)]
        skipped = [s for ref in cursor.skipped for s in self.store.get(ref, SKIPPED)]
        facts = [m for ref in cursor.facts for m in self.store.get(ref, FACTS_JSON)]
        result = ScanBatchResult(
            index=batch.index,
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            files_scanned=cursor.files_scanned,
            cache_hits=cursor.cache_hits,
            cache_misses=cursor.cache_misses,
            resumed_from=resumed_from,
            facts=self.store.put(
                batch_facts_key(batch.run_key, batch.index), facts, FACTS_JSON, len(facts)
            ),
        )
        self.store.put(batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    async def _scan_chunk(
        self, cursor: BatchCursor, interval: float, cancel_file: Path, *args: Any
    ) -> ChunkResult:
        """`scan_chunk(*args)` in the pool. While it runs, re-send the last cursor every
        `interval` seconds, so a long chunk never looks like a dead worker. If the attempt
        is cancelled (the SDK delivers heartbeat timeouts and cancellation as
        CancelledError), create the chunk's cancel marker and wait for the pool work to
        stop before giving up, so no orphaned scan keeps running."""
        future = asyncio.get_running_loop().run_in_executor(
            self.pool, scan_chunk, *args, str(cancel_file)
        )
        try:
            while True:
                done, _ = await asyncio.wait({future}, timeout=interval)
                if done:
                    return future.result()
                activity.heartbeat(cursor.model_dump(mode="json"))
        except asyncio.CancelledError:
            cancel_file.parent.mkdir(parents=True, exist_ok=True)
            cancel_file.touch()
            future.add_done_callback(_retrieve)
            await asyncio.wait({future}, timeout=CHUNK_STOP_GRACE_S)
            raise

    @activity.defn(name="trace_taint")
    async def trace_taint(self, request: TaintRequest) -> TaintResult:
        """Join every batch's taint facts and trace flows across functions and modules,
        in the process pool (CPU-bound), storing the flow findings for the report."""
        modules = await asyncio.to_thread(
            stored_facts, self.store, request.run_key, request.batch_count
        )
        findings, stats = await in_pool(
            self.pool,
            None,
            trace_facts,
            modules,
        )
        ref = await asyncio.to_thread(
            self.store.put,
            taint_findings_key(request.run_key),
            findings,
            FINDINGS,
            len(findings),
        )
        return TaintResult(findings=ref, stats=stats)

    @activity.defn(name="build_audit_report")
    async def build_audit_report(self, request: ReportRequest) -> ReportOutcome:
        accepted = await accepted_risks(activity.client(), request.target)
        return await asyncio.to_thread(self._build_report, request, accepted)

    def _build_report(self, request: ReportRequest, accepted: dict[str, str]) -> ReportOutcome:
        batches = (
            request.batches
            if request.batch_count is None
            else stored_batch_results(self.store, request.run_key, request.batch_count)
        )
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        if request.taint_findings is not None:
            flows = self.store.get(request.taint_findings, FINDINGS)
            flows = evidence.flows_with_policy(flows, target_dir(request.target))
            findings = evidence.weigh_untraced(merge_flow_findings(findings, flows))
        findings = apply_outcomes(self.store, findings, request.llm_outcomes)
        for finding in findings:
            finding.accepted_risk = accepted.get(finding.fingerprint)
        if request.baseline is not None:
            suppress_in_activity(findings, request.baseline)
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        files_scanned = (
            request.files_scanned
            if request.files_scanned is not None
            else sum(b.files_scanned for b in batches)
        )
        summary = reports.summarize(findings, files_scanned, len(skipped))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        findings_ref = self.store.put(
            f"runs/{request.run_key}/artifacts/findings.json", findings, FINDINGS, len(findings)
        )
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        paths = reports.artifact_paths(out_dir)
        report = reports.build_report(
            workflow=request.workflow,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            status="completed",
            target=request.target,
            started_at=request.started_at,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            llm=request.llm,
            artifacts=paths,
            warnings=request.discovery.warnings + evidence.trace_warnings(request.taint_stats),
        )
        written = reports.write_reports(report, out_dir, metadata.version("attune"))
        return ReportOutcome(
            summary=summary,
            artifacts=self.store.publish(written),
            findings=findings_ref,
            duration_s=duration,
        )
