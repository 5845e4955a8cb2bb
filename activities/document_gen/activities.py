"""document-gen's activities: thin typed wrappers around discovery, the style vote, the
measuring batches (interrogate, pydoclint, draft facts), the API reference, the summary
prompts, the drafts' patch, the git branch writer and the report."""

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
from activities.discovery import FILES, SKIPPED, store_discovery
from activities.document_gen.docstrings import DraftTarget, StyleVotes
from activities.document_gen.measure import (
    ChunkMeasures,
    FileCoverage,
    chunk_votes,
    interrogate_settings,
    measure_chunk,
)
from activities.document_gen.patch import DraftsOutcome, build_drafts
from activities.document_gen.reference import (
    ReferenceOutcome,
    html_reference,
    markdown_reference,
    packages,
)
from activities.document_gen.report import (
    coverage_summary,
    document_report,
    render_document_markdown,
    sarif_findings,
)
from activities.document_gen.summaries import (
    CHARS_PER_TOKEN,
    plan_tasks,
    prompt_for,
    texts_from,
)
from activities.heartbeats import heartbeating, in_pool
from activities.target import target_dir
from workflows.document_gen.models import (
    DocBatch,
    DocBatchResult,
    DocReportOutcome,
    DocReportRequest,
    DraftsRequest,
    DraftsResult,
    ReferenceRequest,
    ReferenceResult,
    StyleRequest,
    StyleResult,
    SummaryPlan,
    SummaryPlanRequest,
)
from workflows.schemas import (
    ApplyOutcome,
    ApplyRequest,
    DiscoverRequest,
    DiscoveryResult,
    Finding,
    LLMPrompt,
    ReportWarning,
)

FINDINGS = TypeAdapter(list[Finding])
COVERAGE = TypeAdapter(list[FileCoverage])
DRAFTS = TypeAdapter(list[DraftTarget])
WARNINGS = TypeAdapter(list[ReportWarning])
CHUNK = TypeAdapter(ChunkMeasures)
BATCH_RESULT = TypeAdapter(DocBatchResult)
OUTCOME = TypeAdapter(DraftsOutcome)
PROMPT = TypeAdapter(LLMPrompt)
TEXT = TypeAdapter(str)
PATCH_FILE = "docstrings.patch"
REFERENCE_DIR = "reference"
MAX_REFERENCE_WARNINGS = 20

ARTIFACTS = RunArtifacts("document-gen")


def detect_style(root: Path, files: list[str], requested: str) -> StyleResult:
    votes: StyleVotes = chunk_votes(str(root), files)
    settings = interrogate_settings(root)
    counts = {"google": votes.google, "numpy": votes.numpy, "rest": votes.rest}
    if requested != "auto":
        style, source = requested, "request"
    else:
        style = votes.style()
        source = "detected" if any(counts.values()) else "default"
    return StyleResult(
        style=style,
        typed=votes.typed_args(style),
        source=source,
        votes={**counts, "typed": votes.typed, "untyped": votes.untyped},
        interrogate=settings,
    )


class DocumentGenActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    def _out_dir(self, out_dir: str | None, workflow_id: str) -> Path:
        return Path(out_dir) if out_dir else self.store.run_dir(workflow_id)

    @activity.defn(name="document_gen_discover")
    async def discover(self, request: DiscoverRequest) -> DiscoveryResult:
        base = ARTIFACTS.run_base(request.run_key)
        return await asyncio.to_thread(store_discovery, self.store, request, base)

    @activity.defn(name="document_gen_style")
    async def style(self, request: StyleRequest) -> StyleResult:
        """The docstring style the drafts follow: the one most existing docstrings use."""
        files = self.store.get(request.files, FILES)
        root = target_dir(request.target)
        return await in_pool(self.pool, None, detect_style, root, files, request.style)

    @activity.defn(name="document_gen_measure_batch")
    async def measure_batch(self, batch: DocBatch) -> DocBatchResult:
        """Coverage, pydoclint and draft facts of a batch, chunk by chunk in the process
        pool; the cursor in the heartbeat lets a retry resume after the last chunk."""
        files = self.store.get(batch.files, FILES)[batch.start : batch.end]
        work = partial(
            measure_chunk,
            str(target_dir(batch.target)),
            style=batch.style,
            typed=batch.typed,
            drafts=batch.drafts,
            interrogate=batch.interrogate,
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, resumed_from = await run_chunks(
            self.store, self.pool, files, batch.chunk_size, base, work, CHUNK
        )
        coverage = [c for chunk in chunks for c in chunk.coverage]
        findings = [f for chunk in chunks for f in chunk.findings]
        drafts = [d for chunk in chunks for d in chunk.drafts]
        skipped = [s for chunk in chunks for s in chunk.skipped]
        warnings = [w for chunk in chunks for w in chunk.warnings]
        put = self.store.put
        result = DocBatchResult(
            index=batch.index,
            coverage=put(f"{base}/coverage.json", coverage, COVERAGE, len(coverage)),
            findings=put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            drafts=put(f"{base}/drafts.json", drafts, DRAFTS, len(drafts)),
            skipped=put(f"{base}/skipped.json", skipped, SKIPPED, len(skipped)),
            warnings=put(f"{base}/warnings.json", warnings, WARNINGS, len(warnings)),
            files_analyzed=len(files) - len(skipped),
            resumed_from=resumed_from,
        )
        self.store.put(ARTIFACTS.batch_result_key(batch.run_key, batch.index), result, BATCH_RESULT)
        return result

    @activity.defn(name="document_gen_reference")
    async def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """Markdown from griffe (static), then pdoc's HTML in a subprocess with a timeout,
        heartbeating throughout; what fails to load is a warning."""
        files = self.store.get(request.files, FILES)
        root = target_dir(request.target)
        out = self._out_dir(request.out_dir, request.workflow_id) / REFERENCE_DIR
        found = packages(root, files)
        markdown_dir, html_dir = out / "markdown", out / "html"
        md: ReferenceOutcome = await in_pool(
            self.pool, None, _markdown, found, request.style, str(markdown_dir)
        )
        html = ReferenceOutcome()
        if request.html:
            html = await heartbeating(lambda: html_reference(found, html_dir, request.timeout_s))
        warnings = md.warnings + html.warnings
        if len(warnings) > MAX_REFERENCE_WARNINGS:
            more = len(warnings) - MAX_REFERENCE_WARNINGS
            warnings = warnings[:MAX_REFERENCE_WARNINGS]
            warnings.append(ReportWarning(code="reference", message=f"{more} more warnings"))
        base = ARTIFACTS.run_base(request.run_key)
        return ReferenceResult(
            markdown_dir=str(markdown_dir.absolute()),
            html_dir=str(html_dir.absolute()) if html.html else None,
            markdown_files=len(md.markdown),
            html_files=len(html.html),
            modules=md.modules,
            warnings=self.store.put(
                f"{base}/reference-warnings.json", warnings, WARNINGS, len(warnings)
            ),
        )

    @activity.defn(name="document_gen_plan_summaries")
    async def plan_summaries(self, request: SummaryPlanRequest) -> list[SummaryPlan]:
        """The summary tasks: simple drafts for Haiku, complex ones for Sonnet."""
        return await asyncio.to_thread(self._plan_summaries, request)

    def _drafts(self, run_key: str, batch_count: int) -> list[DraftTarget]:
        batches = ARTIFACTS.batch_results(self.store, run_key, batch_count, BATCH_RESULT)
        return [d for b in batches for d in self.store.get(b.drafts, DRAFTS)]

    def _plan_summaries(self, request: SummaryPlanRequest) -> list[SummaryPlan]:
        drafts = self._drafts(request.run_key, request.batch_count)
        base = f"runs/{request.run_key}/llm"
        plans = []
        for task_id, tier, group in plan_tasks(
            drafts, request.max_functions, request.simple_complexity
        ):
            prompt = prompt_for(request.style, group)
            plans.append(
                SummaryPlan(
                    task_id=task_id,
                    tier=tier,
                    prompt=self.store.put(
                        f"{base}/document-gen-{task_id}-prompt.json", prompt, PROMPT
                    ),
                    drafts=len(group),
                    estimated_input_tokens=(len(prompt.system) + len(prompt.user))
                    // CHARS_PER_TOKEN,
                )
            )
        return plans

    @activity.defn(name="document_gen_drafts")
    async def drafts(self, request: DraftsRequest) -> DraftsResult:
        """Render every draft (with Claude's texts where it wrote them), insert them with
        libcst, diff, and check the patched files with pydoclint; the libcst work in the
        process pool, where it holds no GIL the worker's workflow tasks need."""
        drafts, texts = await heartbeating(
            lambda: (
                self._drafts(request.run_key, request.batch_count),
                texts_from(self.store, request.answers),
            )
        )
        root = target_dir(request.target)
        outcome: DraftsOutcome = await in_pool(
            self.pool,
            None,
            build_drafts,
            root,
            drafts,
            request.style,
            request.typed,
            texts,
        )
        return await heartbeating(lambda: self._stored_drafts(request, outcome))

    def _stored_drafts(self, request: DraftsRequest, outcome: DraftsOutcome) -> DraftsResult:
        base = ARTIFACTS.run_base(request.run_key)
        patch = (
            self.store.put(f"{base}/{PATCH_FILE}.json", outcome.patch, TEXT, len(outcome.files))
            if outcome.patch
            else None
        )
        return DraftsResult(
            patch=patch,
            files=len(outcome.files),
            drafted=outcome.drafted,
            written_by_llm=outcome.written_by_llm,
            violations=len(outcome.violations),
            outcome=self.store.put(f"{base}/drafts-outcome.json", outcome, OUTCOME),
        )

    @activity.defn(name="document_gen_apply")
    async def apply(self, request: ApplyRequest) -> ApplyOutcome:
        """Commit the drafts to a new branch; the working tree and the index stay as they are."""
        return await asyncio.to_thread(apply_stored_patch, self.store, request)

    @activity.defn(name="document_gen_report")
    async def report(self, request: DocReportRequest) -> DocReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: DocReportRequest) -> DocReportOutcome:
        batches: list[DocBatchResult] = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, BATCH_RESULT
        )
        get = self.store.get
        findings = [f for b in batches for f in get(b.findings, FINDINGS)]
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
        coverage = [c for b in batches for c in get(b.coverage, COVERAGE)]
        skipped = get(request.discovery.skipped, SKIPPED)
        for batch in batches:
            skipped.extend(get(batch.skipped, SKIPPED))
        skipped.sort(key=lambda s: s.path)
        warnings = [w for b in batches for w in get(b.warnings, WARNINGS)]
        if request.reference is not None and request.reference.warnings is not None:
            warnings += get(request.reference.warnings, WARNINGS)
        if request.reference_error:
            warnings.append(ReportWarning(code="reference", message=request.reference_error))
        drafts = get(request.drafts.outcome, OUTCOME) if request.drafts.outcome else None
        if drafts is not None:
            warnings += drafts.warnings
            warnings += [
                ReportWarning(code=f"draft-{v.code}", message=v.message, file=v.file, line=v.line)
                for v in drafts.violations
            ]
        summary = reports.summarize(findings, request.files_analyzed, len(skipped))
        base = ARTIFACTS.run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        out_dir = self._out_dir(request.out_dir, request.workflow_id)
        paths = reports.artifact_paths(out_dir)
        patch = drafts.patch if drafts is not None else ""
        if patch:
            paths["patch"] = str(out_dir.absolute() / PATCH_FILE)
        if request.reference is not None:
            paths["reference"] = str((out_dir / REFERENCE_DIR).absolute())
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = document_report(
            request=request,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            warnings=warnings,
            artifacts=paths,
            coverage=coverage,
            patch=patch,
        )
        version = metadata.version("attune")
        sarif = reports.render_sarif(sarif_findings(report), version)
        contents: dict[str, Any] = {
            "markdown": render_document_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(sarif, indent=2, ensure_ascii=False) + "\n",
        }
        if patch:
            contents["patch"] = patch
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return DocReportOutcome(
            summary=summary,
            coverage=coverage_summary(coverage),
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )


def _markdown(found: list, style: str, out_dir: str) -> ReferenceOutcome:
    """The Markdown reference, in the process pool (griffe is CPU-bound)."""
    return markdown_reference(found, style, Path(out_dir))
