"""bug-predict's activities: thin typed wrappers around discovery, the metrics and pattern
engines, git history, the risk model and the report writers."""

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
from activities.bug_predict.analysis import ChunkResult, analyze_chunk
from activities.bug_predict.patterns import CATEGORY
from activities.bug_predict.report import bug_report, render_bug_markdown, render_bug_sarif
from activities.bug_predict.risk import rank_hotspots
from activities.code_facts.history import HISTORY, stored_history
from activities.code_facts.typecheck import type_findings
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.heartbeats import heartbeating
from activities.llm.stage import apply_outcomes
from activities.target import target_dir
from workflows.bug_predict.models import (
    AnalyzeBatch,
    AnalyzeBatchResult,
    BugReportOutcome,
    BugReportRequest,
    Hotspot,
)
from workflows.code_facts import FileMetrics, HistoryRequest, HistoryResult
from workflows.schemas import DiscoverRequest, DiscoveryResult, Finding

FINDINGS = TypeAdapter(list[Finding])
METRICS = TypeAdapter(list[FileMetrics])
HOTSPOTS = TypeAdapter(list[Hotspot])
BATCH_RESULT = TypeAdapter(AnalyzeBatchResult)
TOP_IN_RESULT = 10


ARTIFACTS = RunArtifacts("bug-predict")


CHUNK = TypeAdapter(ChunkResult)


def _type_check(batches: list[AnalyzeBatchResult]) -> dict[str, Any]:
    """One line for the run: failed if any batch's check failed, ok if one ran."""
    for status in ("failed", "ok", "skipped"):
        if batch := next((b for b in batches if b.type_check == status), None):
            return {
                "status": status,
                "tool": batch.type_checker,
                "reason": batch.type_check_reason,
            }
    return {"status": "skipped", "tool": None, "reason": "no file was analysed"}


class BugPredictActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="bug_predict_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = ARTIFACTS.run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="bug_predict_analyze_batch")
    async def analyze_batch(self, batch: AnalyzeBatch) -> AnalyzeBatchResult:
        """Metrics and patterns of a batch, chunk by chunk in the process pool; the cursor
        in the heartbeat lets a retry on another worker resume after the last chunk."""
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        work = partial(
            analyze_chunk,
            str(target_dir(batch.target)),
            cache_file=str(self.store.local_path("cache/scan.sqlite")),
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, resumed_from = await run_chunks(
            self.store, self.pool, files, batch.chunk_size, base, work, CHUNK
        )
        findings = [f for c in chunks for f in c.findings]
        metrics = [m for c in chunks for m in c.metrics]
        skipped = [s for c in chunks for s in c.skipped]
        root, readable = target_dir(batch.target), [m.file for m in metrics]
        checked, typed = await heartbeating(lambda: type_findings(root, readable, CATEGORY))
        findings += typed
        result = AnalyzeBatchResult(
            index=batch.index,
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            metrics=self.store.put(f"{base}/metrics.json", metrics, METRICS, len(metrics)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            files_analyzed=len(metrics),
            cache_hits=sum(c.cache_hits for c in chunks),
            cache_misses=sum(c.cache_misses for c in chunks),
            resumed_from=resumed_from,
            type_check=checked.status,
            type_checker=checked.tool,
            type_check_reason=checked.reason,
        )
        self.store.put(ARTIFACTS.batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    @activity.defn(name="bug_predict_history")
    async def history(self, request: HistoryRequest) -> HistoryResult:
        key = f"{ARTIFACTS.run_base(request.run_key)}/history.json"
        return await asyncio.to_thread(stored_history, self.store, request, key)

    @activity.defn(name="bug_predict_report")
    async def report(self, request: BugReportRequest) -> BugReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: BugReportRequest) -> BugReportOutcome:
        batches: list[AnalyzeBatchResult] = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, BATCH_RESULT
        )
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        apply_outcomes(self.store, findings, request.llm_outcomes)
        metrics = [m for b in batches for m in self.store.get(b.metrics, METRICS)]
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        history = self.store.get(request.history.files, HISTORY) if request.history.files else None
        hotspots = rank_hotspots(metrics, history, findings)
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        base = ARTIFACTS.run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        self.store.put(f"{base}/hotspots.json", hotspots, HOTSPOTS, len(hotspots))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = bug_report(
            request=request,
            type_check=_type_check(batches),
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            metrics=metrics,
            hotspots=hotspots[: request.top_hotspots],
            artifacts=paths,
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_bug_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(render_bug_sarif(report, version), indent=2, ensure_ascii=False)
            + "\n",
        }
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return BugReportOutcome(
            summary=summary,
            hotspots=hotspots[:TOP_IN_RESULT],
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )
