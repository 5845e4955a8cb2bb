"""performance-audit's activities: thin typed wrappers around discovery, the analysis of a
chunk (ruff and attune's AST rules) and the report writers."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Executor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio import activity

from activities import reports
from activities.artifacts import ArtifactStore
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.llm.stage import apply_outcomes
from activities.performance_audit.analysis import ChunkResult, ReportWarning, analyze_chunk
from activities.performance_audit.report import (
    impact_counts,
    performance_report,
    render_performance_markdown,
    render_performance_sarif,
)
from activities.security_audit.activities import heartbeat_interval
from activities.target import target_dir
from workflows.performance_audit.models import (
    PerfBatch,
    PerfBatchResult,
    PerfReportOutcome,
    PerfReportRequest,
)
from workflows.schemas import ArtifactRef, DiscoverRequest, DiscoveryResult, Finding

FINDINGS = TypeAdapter(list[Finding])
CHUNK = TypeAdapter(ChunkResult)
BATCH_RESULT = TypeAdapter(PerfBatchResult)
WARNINGS = TypeAdapter(list[ReportWarning])


class AnalyzeCursor(BaseModel):
    """Heartbeat details: how far a batch got, and where its finished chunks are."""

    next_index: int = 0
    chunks: list[ArtifactRef] = []


def run_base(run_key: str) -> str:
    return f"runs/{run_key}/artifacts/performance-audit"


def batch_result_key(run_key: str, index: int) -> str:
    return f"{run_base(run_key)}/batch-{index:05d}/result.json"


class PerformanceAuditActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="performance_audit_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="performance_audit_analyze_batch")
    async def analyze_batch(self, batch: PerfBatch) -> PerfBatchResult:
        """ruff and the AST rules on a batch, chunk by chunk in the process pool; the cursor
        in the heartbeat lets a retry on another worker resume after the last chunk."""
        info = activity.info()
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        details = info.heartbeat_details
        cursor = AnalyzeCursor.model_validate(details[0]) if details else AnalyzeCursor()
        resumed_from = cursor.next_index
        root = str(target_dir(batch.target))
        base = f"{run_base(batch.run_key)}/batch-{batch.index:05d}"
        interval = heartbeat_interval(info.heartbeat_timeout)
        while cursor.next_index < len(files):
            chunk = files[cursor.next_index : cursor.next_index + batch.chunk_size]
            future = asyncio.get_running_loop().run_in_executor(
                self.pool, analyze_chunk, root, chunk, batch.profile
            )
            while True:
                done, _ = await asyncio.wait({future}, timeout=interval)
                if done:
                    break
                activity.heartbeat(cursor.model_dump(mode="json"))
            ref = self.store.put(
                f"{base}/chunk-{len(cursor.chunks):04d}.json", future.result(), CHUNK
            )
            cursor = AnalyzeCursor(
                next_index=cursor.next_index + len(chunk), chunks=[*cursor.chunks, ref]
            )
            activity.heartbeat(cursor.model_dump(mode="json"))
        chunks = [self.store.get(ref, CHUNK) for ref in cursor.chunks]
        findings = [f for c in chunks for f in c.findings]
        skipped = [s for c in chunks for s in c.skipped]
        warnings = [w for c in chunks for w in c.warnings]
        result = PerfBatchResult(
            index=batch.index,
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            warnings=self.store.put(f"{base}/warnings.json", warnings, WARNINGS, len(warnings)),
            files_analyzed=sum(c.files_analyzed for c in chunks),
            resumed_from=resumed_from,
        )
        self.store.put(batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    @activity.defn(name="performance_audit_report")
    async def report(self, request: PerfReportRequest) -> PerfReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: PerfReportRequest) -> PerfReportOutcome:
        batches: list[PerfBatchResult] = []
        for index in range(request.batch_count):
            stored = self.store.find(batch_result_key(request.run_key, index), BATCH_RESULT)
            if stored is None:
                raise FileNotFoundError(f"batch {index} of {request.run_key} left no result")
            batches.append(stored[0])
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        apply_outcomes(self.store, findings, request.llm_outcomes)
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        warnings = [w for b in batches if b.warnings for w in self.store.get(b.warnings, WARNINGS)]
        warnings.sort(key=lambda w: (w.file or "", w.line or 0, w.code))
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        base = run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = performance_report(
            request=request,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            warnings=[w.model_dump(mode="json", exclude_none=True) for w in warnings],
            artifacts=paths,
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_performance_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(
                render_performance_sarif(report, version), indent=2, ensure_ascii=False
            )
            + "\n",
        }
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return PerfReportOutcome(
            summary=summary,
            impacts=impact_counts(findings),
            artifacts=paths,
            findings=findings_ref,
            duration_s=duration,
        )
