"""refactor-plan's activities: thin typed wrappers around discovery, the metrics, history,
duplication and dead-code facts, ruff's patch, the git branch writer and the report."""

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
from activities.apply_branch import apply_stored_patch
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts, run_chunks
from activities.code_facts.deadcode import dead_code
from activities.code_facts.duplication import CloneClass, clone_classes, clones_in
from activities.code_facts.history import HISTORY, stored_history
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.heartbeats import in_pool
from activities.llm.stage import apply_outcomes
from activities.refactor_plan.analysis import ChunkFacts, FileFacts, measure_chunk
from activities.refactor_plan.patches import RuffFailed, ruff_patch
from activities.refactor_plan.plan import build_plan, plan_findings
from activities.refactor_plan.report import plan_report, render_plan_markdown, render_plan_sarif
from activities.target import target_dir
from workflows.code_facts import DeadCode, HistoryRequest, HistoryResult
from workflows.refactor_plan.models import (
    CrossFileRequest,
    CrossFileResult,
    PatchRequest,
    PatchResult,
    PlanBatch,
    PlanBatchResult,
    PlanItem,
    PlanRankRequest,
    PlanReportOutcome,
    PlanReportRequest,
    RankedPlan,
)
from workflows.schemas import ApplyOutcome, ApplyRequest, DiscoverRequest, DiscoveryResult, Finding

FINDINGS = TypeAdapter(list[Finding])
FACTS = TypeAdapter(list[FileFacts])
CLONES = TypeAdapter(list[CloneClass])
DEAD = TypeAdapter(list[DeadCode])
PLAN = TypeAdapter(list[PlanItem])
TEXT = TypeAdapter(str)
CHUNK = TypeAdapter(ChunkFacts)
BATCH_RESULT = TypeAdapter(PlanBatchResult)
TOP_IN_RESULT = 10
PATCH_FILE = "refactor.patch"


ARTIFACTS = RunArtifacts("refactor-plan")


def _cross_file_facts(root: str, files: list[str]) -> tuple[list[CloneClass], list[DeadCode]]:
    """Duplication and dead code of the whole file set (both need every file at once)."""
    return clone_classes(clones_in(Path(root), files)), dead_code(Path(root), files)


class RefactorPlanActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="refactor_plan_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = ARTIFACTS.run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="refactor_plan_measure_batch")
    async def measure_batch(self, batch: PlanBatch) -> PlanBatchResult:
        """Per-function metrics of a batch, chunk by chunk in the process pool; the cursor
        in the heartbeat lets a retry on another worker resume after the last chunk."""
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        work = partial(
            measure_chunk,
            str(target_dir(batch.target)),
            cache_file=str(self.store.local_path("cache/scan.sqlite")),
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, resumed_from = await run_chunks(
            self.store, self.pool, files, batch.chunk_size, base, work, CHUNK
        )
        facts = [f for c in chunks for f in c.facts]
        skipped = [s for c in chunks for s in c.skipped]
        result = PlanBatchResult(
            index=batch.index,
            facts=self.store.put(f"{base}/facts.json", facts, FACTS, len(facts)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            files_analyzed=len(facts),
            cache_hits=sum(c.cache_hits for c in chunks),
            cache_misses=sum(c.cache_misses for c in chunks),
            resumed_from=resumed_from,
        )
        self.store.put(ARTIFACTS.batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    @activity.defn(name="refactor_plan_history")
    async def history(self, request: HistoryRequest) -> HistoryResult:
        key = f"{ARTIFACTS.run_base(request.run_key)}/history.json"
        return await asyncio.to_thread(stored_history, self.store, request, key)

    @activity.defn(name="refactor_plan_cross_file")
    async def cross_file(self, request: CrossFileRequest) -> CrossFileResult:
        """Duplicated blocks and dead code over the whole file list, in the process pool,
        heartbeating while it runs."""
        files = self.store.get(request.files, FILES)
        root = str(target_dir(request.target))
        clones, dead = await in_pool(
            self.pool, {"files": len(files)}, _cross_file_facts, root, files
        )
        base = ARTIFACTS.run_base(request.run_key)
        return CrossFileResult(
            clones=self.store.put(f"{base}/clones.json", clones, CLONES, len(clones)),
            dead_code=self.store.put(f"{base}/dead-code.json", dead, DEAD, len(dead)),
        )

    @activity.defn(name="refactor_plan_patches")
    async def patches(self, request: PatchRequest) -> PatchResult:
        files = self.store.get(request.files, FILES)
        root = target_dir(request.target)
        try:
            patch = await asyncio.to_thread(ruff_patch, root, files, request.python_version)
        except RuffFailed as err:
            return PatchResult(status="failed", reason=f"ruff failed: {err}")
        base = ARTIFACTS.run_base(request.run_key)
        return PatchResult(
            status="ok",
            patch=self.store.put(f"{base}/{PATCH_FILE}.json", patch.text, TEXT, len(patch.files)),
            python_version=patch.python_version,
            python_source=patch.python_source,
            files=patch.files,
            findings=self.store.put(
                f"{base}/ruff-findings.json", patch.findings, FINDINGS, len(patch.findings)
            ),
        )

    @activity.defn(name="refactor_plan_apply")
    async def apply(self, request: ApplyRequest) -> ApplyOutcome:
        """Commit the patch to a new branch; the working tree and the index stay as they are."""
        return await asyncio.to_thread(apply_stored_patch, self.store, request)

    @activity.defn(name="refactor_plan_rank")
    async def rank(self, request: PlanRankRequest) -> RankedPlan:
        return await asyncio.to_thread(self._rank, request)

    def _rank(self, request: PlanRankRequest) -> RankedPlan:
        batches: list[PlanBatchResult] = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, BATCH_RESULT
        )
        facts = [f for b in batches for f in self.store.get(b.facts, FACTS)]
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        history = self.store.get(request.history.files, HISTORY) if request.history.files else None
        clones = self.store.get(request.cross_file.clones, CLONES)
        dead = self.store.get(request.cross_file.dead_code, DEAD)
        plan = build_plan(facts, history, clones, dead)
        findings = plan_findings(plan)
        patches = request.patches
        if patches.findings is not None:
            findings += self.store.get(patches.findings, FINDINGS)
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        base = ARTIFACTS.run_base(request.run_key)
        return RankedPlan(
            plan=self.store.put(f"{base}/plan.json", plan, PLAN, len(plan)),
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            clones=len(clones),
            dead_code=len(dead),
        )

    @activity.defn(name="refactor_plan_report")
    async def report(self, request: PlanReportRequest) -> PlanReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: PlanReportRequest) -> PlanReportOutcome:
        ranked = request.ranked
        plan = self.store.get(ranked.plan, PLAN)
        findings = self.store.get(ranked.findings, FINDINGS)
        skipped = self.store.get(ranked.skipped, SKIPPED)
        apply_outcomes(self.store, findings, request.llm_outcomes)
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        findings_ref = self.store.put(
            f"{ARTIFACTS.run_base(request.run_key)}/findings-reported.json",
            findings,
            FINDINGS,
            len(findings),
        )
        patches = request.patches
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        patch_text = self.store.get(patches.patch, TEXT) if patches.patch else ""
        if patch_text:
            paths["patch"] = str(out_dir.absolute() / PATCH_FILE)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = plan_report(
            request=request,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            plan=plan,
            clones=ranked.clones,
            dead_code=ranked.dead_code,
            artifacts=paths,
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_plan_markdown(report, request.top_items),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(render_plan_sarif(report, version), indent=2, ensure_ascii=False)
            + "\n",
        }
        if patch_text:
            contents["patch"] = patch_text
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return PlanReportOutcome(
            summary=summary,
            plan=plan[:TOP_IN_RESULT],
            plan_total=len(plan),
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )
