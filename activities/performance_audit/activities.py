"""performance-audit's activities: thin typed wrappers around discovery, the analysis of a
chunk (ruff and attune's AST rules) and the report writers."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Executor
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio import activity

from activities import reports
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts, run_chunks
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.heartbeats import heartbeat_interval
from activities.llm.stage import apply_outcomes
from activities.performance_audit.analysis import ChunkResult, analyze_chunk
from activities.performance_audit.profiling import PROFILE, apply_profile, profile_command
from activities.performance_audit.report import (
    impact_counts,
    performance_report,
    render_performance_markdown,
    render_performance_sarif,
)
from activities.target import target_dir
from workflows.performance_audit.models import (
    PerfBatch,
    PerfBatchResult,
    PerfProfileRequest,
    PerfReportOutcome,
    PerfReportRequest,
)
from workflows.schemas import ArtifactRef, DiscoverRequest, DiscoveryResult, Finding, ReportWarning

FINDINGS = TypeAdapter(list[Finding])
CHUNK = TypeAdapter(ChunkResult)
BATCH_RESULT = TypeAdapter(PerfBatchResult)
WARNINGS = TypeAdapter(list[ReportWarning])


ARTIFACTS = RunArtifacts("performance-audit")


class PerformanceAuditActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="performance_audit_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = ARTIFACTS.run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="performance_audit_analyze_batch")
    async def analyze_batch(self, batch: PerfBatch) -> PerfBatchResult:
        """ruff and the AST rules on a batch, chunk by chunk in the process pool; the cursor
        in the heartbeat lets a retry on another worker resume after the last chunk."""
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        work = partial(
            analyze_chunk,
            str(target_dir(batch.target)),
            profile=batch.profile,
            cache_file=str(self.store.local_path("cache/scan.sqlite")),
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, resumed_from = await run_chunks(
            self.store, self.pool, files, batch.chunk_size, base, work, CHUNK
        )
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
            cache_hits=sum(c.cache_hits for c in chunks),
            cache_misses=sum(c.cache_misses for c in chunks),
        )
        self.store.put(ARTIFACTS.batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    @activity.defn(name="performance_audit_report")
    async def report(self, request: PerfReportRequest) -> PerfReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: PerfReportRequest) -> PerfReportOutcome:
        batches: list[PerfBatchResult] = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, BATCH_RESULT
        )
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        apply_outcomes(self.store, findings, request.llm_outcomes)
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        warnings = [w for b in batches if b.warnings for w in self.store.get(b.warnings, WARNINGS)]
        warnings.sort(key=lambda w: (w.file or "", w.line or 0, w.code))
        outcome = self.store.get(request.profiling, PROFILE) if request.profiling else None
        findings, profiling, profile_warnings = apply_profile(
            findings, outcome, request.profiling_error
        )
        warnings.extend(profile_warnings)
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        base = ARTIFACTS.run_base(request.run_key)
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
            warnings=warnings,
            artifacts=paths,
            profiling=profiling,
        )
        report["cache"] = {
            "hits": sum(b.cache_hits for b in batches),
            "misses": sum(b.cache_misses for b in batches),
        }
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
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )

    @activity.defn(name="performance_audit_profile")
    async def profile(self, request: PerfProfileRequest) -> ArtifactRef:
        """Run `profile_cmd` under cProfile in the target directory, heartbeating while it
        runs; its failure or timeout is part of the outcome, not an activity error."""
        info = activity.info()
        base = ARTIFACTS.run_base(request.run_key)
        outcome = await profile_command(
            request.command,
            target_dir(request.target),
            self.store.root / base / "profile",
            request.timeout_s,
            activity.heartbeat,
            heartbeat_interval(info.heartbeat_timeout),
        )
        return self.store.put(f"{base}/profile.json", outcome, PROFILE, len(outcome.functions))
