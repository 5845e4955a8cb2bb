"""code-review's activities: thin typed wrappers around the change set, discovery, the
review of a chunk, dead code and type checks over the whole file set, and the reports."""

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
from temporalio.exceptions import ApplicationError

from activities import reports
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts, run_chunks
from activities.code_facts.diff import branch_change
from activities.code_facts.history import NoHistory
from activities.code_facts.typecheck import type_findings
from activities.code_review.analysis import (
    ChunkResult,
    dead_code_findings,
    duplication_findings,
    on_changed_lines,
    review_chunk,
)
from activities.code_review.report import (
    category_counts,
    render_review_markdown,
    render_review_sarif,
    review_report,
)
from activities.code_review.rules import CORRECTNESS
from activities.discovery import FILES, SKIPPED, discover_files, store_discovery
from activities.heartbeats import heartbeating, in_pool
from activities.llm.stage import apply_outcomes
from activities.target import target_dir
from workflows.code_facts import ChangeSet
from workflows.code_review.models import (
    ChangesRequest,
    ChangesResult,
    FileDelta,
    Profile,
    ReviewBatch,
    ReviewBatchResult,
    ReviewReportOutcome,
    ReviewReportRequest,
    WholeTreeRequest,
    WholeTreeResult,
)
from workflows.schemas import DiscoverRequest, DiscoveryResult, Finding

FINDINGS = TypeAdapter(list[Finding])
DELTAS = TypeAdapter(list[FileDelta])
CHANGES = TypeAdapter(ChangeSet)
CHUNK = TypeAdapter(ChunkResult)
BATCH_RESULT = TypeAdapter(ReviewBatchResult)


ARTIFACTS = RunArtifacts("code-review")


def whole_tree_dead_code(root: Path, profile: Profile) -> list[Finding]:
    """vulture and the clone detector over every Python file under `root` (run in the
    process pool: a module-level function, so it pickles)."""
    files = discover_files(root, 1_000_000).files
    return dead_code_findings(root, files, profile) + duplication_findings(root, files, profile)


class CodeReviewActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="code_review_changes")
    async def changes(self, request: ChangesRequest) -> ChangesResult:
        """The change under review. A base or head git does not know is the caller's
        mistake (not retried). A parent that names the files (pr-review, which may hand
        over a copy of head's files outside git) gets them reviewed whole instead."""
        directory = target_dir(request.target)
        try:
            found = await asyncio.to_thread(
                branch_change, directory, request.base, request.head or "HEAD"
            )
        except NoHistory as reason:
            if request.paths is None:
                raise ApplicationError(
                    f"no change to review: {reason}", non_retryable=True
                ) from None
            return ChangesResult(
                status="skipped",
                reason=f"changed lines unknown, the given files are reviewed whole: {reason}",
            )
        if request.paths is not None:
            wanted = set(request.paths)
            found.files = [c for c in found.files if c.file in wanted]
        ref = self.store.put(f"{ARTIFACTS.run_base(request.run_key)}/changes.json", found, CHANGES)
        return ChangesResult(
            status="ok",
            base=found.base,
            head=found.head,
            base_ref=found.base_ref,
            head_ref=found.head_ref,
            files=[c.file for c in found.files if c.status != "D"],
            changes=ref,
        )

    @activity.defn(name="code_review_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = ARTIFACTS.run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="code_review_analyze_batch")
    async def analyze_batch(self, batch: ReviewBatch) -> ReviewBatchResult:
        """Review a batch chunk by chunk in the process pool; the cursor in the heartbeat
        lets a retry on another worker resume after the last chunk."""
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        work = partial(
            review_chunk,
            str(target_dir(batch.target)),
            profile=batch.profile,
            changes=self.store.get(batch.changes, CHANGES) if batch.changes else None,
            cache_file=str(self.store.local_path("cache/scan.sqlite")),
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, resumed_from = await run_chunks(
            self.store, self.pool, files, batch.chunk_size, base, work, CHUNK
        )
        findings = [f for c in chunks for f in c.findings]
        deltas = [d for c in chunks for d in c.deltas]
        skipped = [s for c in chunks for s in c.skipped]
        hits, misses = sum(c.cache_hits for c in chunks), sum(c.cache_misses for c in chunks)
        result = ReviewBatchResult(
            index=batch.index,
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            deltas=self.store.put(f"{base}/deltas.json", deltas, DELTAS, len(deltas)),
            skipped=self.store.put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            files_analyzed=sum(c.files_analyzed for c in chunks),
            cache_hits=hits,
            cache_misses=misses,
            resumed_from=resumed_from,
        )
        self.store.put(ARTIFACTS.batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    def _whole_tree(self, request: WholeTreeRequest, name: str, findings: list[Finding]) -> Any:
        if request.changes is not None:
            findings = on_changed_lines(findings, self.store.get(request.changes, CHANGES))
        key = f"{ARTIFACTS.run_base(request.run_key)}/{name}.json"
        return self.store.put(key, findings, FINDINGS, len(findings))

    @activity.defn(name="code_review_dead_code")
    async def dead_code(self, request: WholeTreeRequest) -> WholeTreeResult:
        """vulture and the clone detector over every Python file of the target, since a
        name used anywhere keeps a definition alive and a copy may sit in any file; on a
        diff, only what lands on changed lines is kept."""
        root = target_dir(request.target)
        found = await in_pool(self.pool, None, whole_tree_dead_code, root, request.profile)
        return WholeTreeResult(
            status="ok", tool="vulture", findings=self._whole_tree(request, "dead-code", found)
        )

    @activity.defn(name="code_review_types")
    async def types(self, request: WholeTreeRequest) -> WholeTreeResult:
        root = target_dir(request.target)
        files = self.store.get(request.files, FILES)
        checked, found = await heartbeating(
            lambda: type_findings(root, files, CORRECTNESS, request.profile)
        )
        return WholeTreeResult(
            status=checked.status,
            tool=checked.tool,
            reason=checked.reason,
            findings=self._whole_tree(request, "types", found),
        )

    @activity.defn(name="code_review_report")
    async def report(self, request: ReviewReportRequest) -> ReviewReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: ReviewReportRequest) -> ReviewReportOutcome:
        batches: list[ReviewBatchResult] = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, BATCH_RESULT
        )
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        for extra in (request.dead_code, request.types):
            findings += self.store.get(extra.findings, FINDINGS)
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        apply_outcomes(self.store, findings, request.llm_outcomes)
        deltas = [d for b in batches for d in self.store.get(b.deltas, DELTAS)]
        deltas.sort(key=lambda d: d.file)
        skipped = self.store.get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(self.store.get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        base = ARTIFACTS.run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = review_report(
            request=request,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            deltas=deltas,
            artifacts=paths,
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_review_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(render_review_sarif(report, version), indent=2, ensure_ascii=False)
            + "\n",
        }
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return ReviewReportOutcome(
            summary=summary,
            categories=category_counts(findings),
            complexity_change=report["complexity"]["change"] if request.mode == "diff" else None,
            fixes=sum(1 for f in findings if f.fix_diff),
            high_correctness=sum(
                1
                for f in findings
                if f.category == CORRECTNESS and f.severity in ("high", "critical") and f.is_open
            ),
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )
