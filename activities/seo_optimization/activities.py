"""seo-optimization's activities: thin typed wrappers around preparing the site, the
per-page checks, Lighthouse, the site-level checks, the drafts, the patch, the branch
writer and the report."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Executor
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import reports
from activities.apply_branch import apply_stored_patch
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts, run_chunks
from activities.discovery import SKIPPED
from activities.heartbeats import heartbeating
from activities.llm.outputs import parse_answer, schema_instructions
from activities.seo_optimization import lighthouse as lh
from activities.seo_optimization.checks import (
    AuditOutcome,
    PageCheck,
    PageFacts,
    PageInput,
    check_page,
)
from activities.seo_optimization.fixes import (
    Draft,
    DraftNeed,
    build_patch,
    offline_drafts,
    prompt_text,
)
from activities.seo_optimization.merge import agreement, page_findings
from activities.seo_optimization.report import render_seo_markdown, render_seo_sarif, seo_report
from activities.seo_optimization.site import (
    SiteIndex,
    SitePage,
    error_page,
    placeholder,
    site_findings,
    url_path,
)
from activities.seo_optimization.targets import crawl_site, detect_kind, directory_site, docs_site
from activities.target import target_dir, target_path
from workflows.schemas import ApplyOutcome, ApplyRequest, Finding, LLMPrompt
from workflows.seo_optimization.models import (
    CheckBatch,
    CheckBatchResult,
    DraftPlanRequest,
    DraftTask,
    LighthouseOutcome,
    LighthouseRequest,
    PatchRequest,
    PatchResult,
    PreparedSite,
    PrepareRequest,
    ReportWarning,
    SeoReportOutcome,
    SeoReportRequest,
    SiteCheckRequest,
    SiteCheckResult,
)

ARTIFACTS = RunArtifacts("seo-optimization")
PAGES = TypeAdapter(list[SitePage])
HEADERS = TypeAdapter(dict[str, dict[str, list[str]]])
STATUSES = TypeAdapter(dict[str, int])
TEXT = TypeAdapter(str)
SITEMAP = TypeAdapter(tuple[str, str])
FINDINGS = TypeAdapter(list[Finding])
NEEDS = TypeAdapter(list[DraftNeed])
DRAFTS = TypeAdapter(list[Draft])
VERDICTS = TypeAdapter(dict[str, dict[str, str]])
PROMPT = TypeAdapter(LLMPrompt)
PAGES_PER_DRAFT_TASK = 10
PATCH_FILE = "seo.patch"


class StoredCheck(BaseModel):
    page: SitePage
    audits: list[AuditOutcome]
    facts: PageFacts


class ChunkChecks(BaseModel):
    checks: list[StoredCheck]


CHUNK = TypeAdapter(ChunkChecks)
CHECKS = TypeAdapter(list[StoredCheck])


def check_chunk(
    root: str,
    pages: dict[str, SitePage],
    headers: dict[str, dict[str, list[str]]],
    robots: tuple[int | None, str | None],
    paths: list[str],
) -> ChunkChecks:
    """The audits of a chunk of pages, read from `root` (runs in the process pool)."""
    checks = []
    for path in paths:
        page = pages[path]
        try:
            html = (Path(root) / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        result: PageCheck = check_page(
            PageInput(
                url=page.url,
                html=html,
                status=page.status,
                headers=headers.get(path, {}),
                robots_txt=robots[1],
                robots_status=robots[0],
            )
        )
        checks.append(StoredCheck(page=page, audits=result.audits, facts=result.facts))
    return ChunkChecks(checks=checks)


class SeoOptimizationActivities:
    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="seo_optimization_prepare")
    async def prepare(self, request: PrepareRequest) -> PreparedSite:
        """Build the docs, list the site's pages or crawl it, heartbeating meanwhile."""
        return await heartbeating(partial(self._prepare, request))

    def _prepare(self, request: PrepareRequest) -> PreparedSite:
        base = ARTIFACTS.run_base(request.run_key)
        target = target_path(request.target)
        if request.url:
            site = crawl_site(
                request.url, self.store.local_path(f"{base}/crawl"), request.max_pages
            )
        else:
            if not target.is_dir():
                raise ApplicationError(f"target {target} is not a directory", non_retryable=True)
            kind = detect_kind(target) if request.kind == "auto" else request.kind
            if kind == "site":
                site = directory_site("site", target, request.max_pages)
            else:
                out = self.store.local_path(f"{base}/build/html")
                site = docs_site(kind, target, out, request.max_pages, request.build_timeout_s)
        pages = [SitePage(path=p.path, url=p.url, file=p.file, status=p.status) for p in site.pages]
        if not pages:
            where = request.url or f"{site.root} has no .html files"
            site.warnings.append(
                ReportWarning(code="no-pages", message=f"no pages to check: {where}")
            )
        headers = {p.path: p.headers for p in site.pages if p.headers}
        return PreparedSite(
            kind=site.kind,  # type: ignore[arg-type]
            root=str(site.root),
            origin=site.origin,
            pages=self.store.put(f"{base}/pages.json", pages, PAGES, len(pages)),
            page_count=len(pages),
            complete=site.complete,
            built_with=site.built_with,
            robots_status=site.robots_status,
            robots=self.store.put(f"{base}/robots.json", site.robots, TEXT)
            if site.robots
            else None,
            sitemap=self.store.put(f"{base}/sitemap.json", site.sitemap, SITEMAP)
            if site.sitemap
            else None,
            warnings=site.warnings,
            skipped=self.store.put(
                f"{base}/skipped.json", site.skipped, SKIPPED, len(site.skipped)
            ),
            headers=self.store.put(f"{base}/headers.json", headers, HEADERS) if headers else None,
            resources=self.store.put(f"{base}/resources.json", site.resources, STATUSES)
            if site.resources
            else None,
        )

    def _robots(self, site: PreparedSite) -> tuple[int | None, str | None]:
        return site.robots_status, self.store.get(site.robots, TEXT) if site.robots else None

    @activity.defn(name="seo_optimization_check_batch")
    async def check_batch(self, batch: CheckBatch) -> CheckBatchResult:
        """The per-page audits of a batch, chunk by chunk in the process pool; the cursor in
        the heartbeat lets a retry on another worker resume after the last chunk."""
        site = batch.site
        pages = self.store.get(site.pages, PAGES)[batch.start : batch.end]
        headers = self.store.get(site.headers, HEADERS) if site.headers else {}
        work = partial(
            check_chunk,
            site.root,
            {p.path: p for p in pages},
            {p.path: headers[p.path] for p in pages if p.path in headers},
            self._robots(site),
        )
        base = ARTIFACTS.batch_base(batch.run_key, batch.index)
        chunks, _ = await run_chunks(
            self.store, self.pool, [p.path for p in pages], batch.chunk_size, base, work, CHUNK
        )
        checks = [c for chunk in chunks for c in chunk.checks]
        result = CheckBatchResult(
            index=batch.index,
            checks=self.store.put(f"{base}/checks.json", checks, CHECKS, len(checks)),
            pages=len(checks),
        )
        self.store.put(
            ARTIFACTS.batch_result_key(batch.run_key, batch.index),
            result,
            TypeAdapter(CheckBatchResult),
        )
        return result

    @activity.defn(name="seo_optimization_lighthouse")
    async def lighthouse(self, request: LighthouseRequest) -> LighthouseOutcome:
        """Lighthouse on every page when it is installed; what is missing otherwise."""
        if request.mode == "off":
            return LighthouseOutcome(status="skipped", reason="lighthouse=off")
        if request.site.page_count == 0:
            return LighthouseOutcome(status="skipped", reason="the site has no pages")
        tools, missing = lh.find_tools()
        if tools is None:
            return LighthouseOutcome(status="skipped", reason=missing)
        site = request.site
        pages = self.store.get(site.pages, PAGES)
        root = None if site.kind == "url" else Path(site.root)
        done = 0

        def progress(number: int) -> None:
            nonlocal done
            done = number

        def work() -> tuple[str, dict, dict]:
            version = lh.lighthouse_version(tools)
            results, errors = lh.lighthouse_pages(
                tools, root, [(p.path, p.url) for p in pages], request.timeout_s, progress
            )
            return version, results, errors

        version, results, errors = await heartbeating(work)
        base = ARTIFACTS.run_base(request.run_key)
        status = "ok" if results or not pages else "failed"
        reason = ""
        if errors:
            first = next(iter(errors.items()))
            reason = (
                f"Lighthouse failed on {len(errors)} of {len(pages)} pages ({first[0]}: {first[1]})"
            )
        return LighthouseOutcome(
            status=status,
            reason=reason,
            version=version,
            results=self.store.put(f"{base}/lighthouse.json", results, VERDICTS, len(results)),
            pages=len(results),
            failed_pages=len(errors),
        )

    @activity.defn(name="seo_optimization_site")
    async def site_check(self, request: SiteCheckRequest) -> SiteCheckResult:
        return await asyncio.to_thread(self._site_check, request)

    def _site_check(self, request: SiteCheckRequest) -> SiteCheckResult:
        batches = ARTIFACTS.batch_results(
            self.store, request.run_key, request.batch_count, TypeAdapter(CheckBatchResult)
        )
        checks = [c for b in batches for c in self.store.get(b.checks, CHECKS)]
        outcome = request.lighthouse
        verdicts = self.store.get(outcome.results, VERDICTS) if outcome.results else {}
        findings: list[Finding] = []
        robots_reported: set[str] = set()
        for check in checks:
            findings += page_findings(
                check.page, check.audits, verdicts.get(check.page.path), robots_reported
            )
        site = request.site
        pages = self.store.get(site.pages, PAGES)
        statuses: dict[str, int] = {}
        for page in pages:
            statuses[url_path(page.url)] = page.status
        if site.resources:
            statuses.update(self.store.get(site.resources, STATUSES))
        if site.kind != "url":
            root = Path(site.root)
            for path in root.rglob("*"):
                if path.is_file():
                    statuses.setdefault("/" + path.relative_to(root).as_posix(), 200)
        sitemap = self.store.get(site.sitemap, SITEMAP) if site.sitemap else None
        findings += site_findings(
            [(c.page, c.facts) for c in checks],
            SiteIndex(origin=site.origin, statuses=statuses, complete=site.complete),
            sitemap,
            request.min_reading_ease,
        )
        findings.sort(key=lambda f: (f.file, f.line, f.rule_id, f.message))
        static = {c.page.path: {a.audit: a.result for a in c.audits} for c in checks}
        needs = [
            DraftNeed(
                page=c.page.path,
                url=url_path(c.page.url),
                file=c.page.file,
                html_path=c.page.path,
                needs_title=static[c.page.path].get("document-title") == "fail",
                needs_description=static[c.page.path].get("meta-description") == "fail"
                or placeholder(c.facts.description),
                title=c.facts.title,
                heading=next((h.text for h in c.facts.headings if h.level == 1), "")
                or next((h.text for h in c.facts.headings), ""),
                first_paragraph=c.facts.first_paragraph,
            )
            for c in checks
            if not error_page(c.page) and not c.facts.noindex
        ]
        needs = [n for n in needs if n.needs_title or n.needs_description]
        base = ARTIFACTS.run_base(request.run_key)
        return SiteCheckResult(
            findings=self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings)),
            needs_drafts=self.store.put(f"{base}/needs.json", needs, NEEDS, len(needs)),
            drafts_needed=len(needs),
            agreement=agreement(static, verdicts),
        )

    @activity.defn(name="seo_optimization_plan_drafts")
    async def plan_drafts(self, request: DraftPlanRequest) -> list[DraftTask]:
        """Haiku's drafting tasks, ten pages each, their prompts in the artifact store."""
        needs = self.store.get(request.needs, NEEDS)[: request.max_pages]
        base = ARTIFACTS.run_base(request.run_key)
        tasks = []
        for number, start in enumerate(range(0, len(needs), PAGES_PER_DRAFT_TASK)):
            group = needs[start : start + PAGES_PER_DRAFT_TASK]
            system, user = prompt_text(group)
            prompt = LLMPrompt(system=f"{system}\n{schema_instructions('seo_meta')}", user=user)
            ref = self.store.put(f"{base}/drafts/prompt-{number:03d}.json", prompt, PROMPT)
            tasks.append(
                DraftTask(
                    task_id=f"seo-drafts-{number:03d}",
                    prompt=ref,
                    pages=len(group),
                    estimated_input_tokens=(len(prompt.system) + len(prompt.user)) // 4,
                )
            )
        return tasks

    @activity.defn(name="seo_optimization_patch")
    async def patch(self, request: PatchRequest) -> PatchResult:
        return await asyncio.to_thread(self._patch, request)

    def _patch(self, request: PatchRequest) -> PatchResult:
        needs = self.store.get(request.needs, NEEDS)
        by_page = {n.page: n for n in needs}
        drafted: dict[tuple[str, str], Draft] = {}
        for state in request.answers:
            if state.answer is None:
                continue
            raw = self.store.read_json(state.answer)
            parsed = parse_answer(raw["text"], "seo_meta")
            for item in (parsed.answer or {}).get("pages", []):
                need = by_page.get(item.get("page", ""))
                if need is None:
                    continue
                for field, wanted in (
                    ("title", need.needs_title),
                    ("description", need.needs_description),
                ):
                    text = " ".join((item.get(field) or "").split())
                    if wanted and text:
                        drafted[(need.page, field)] = Draft(
                            page=need.page, file=need.file, field=field, text=text, source="haiku"
                        )
        for need in needs:
            for draft in offline_drafts(need):
                drafted.setdefault((draft.page, draft.field), draft)
        drafts = sorted(drafted.values(), key=lambda d: (d.file, d.field))
        site = request.site
        target = target_dir(request.target)
        kind = "site" if site.kind == "url" else site.kind
        patch_text, files = build_patch(kind, target, Path(site.root), drafts, by_page)
        base = ARTIFACTS.run_base(request.run_key)
        sources: dict[str, int] = {}
        for draft in drafts:
            sources[draft.source] = sources.get(draft.source, 0) + 1
        return PatchResult(
            patch=self.store.put(f"{base}/{PATCH_FILE}.json", patch_text, TEXT, files)
            if patch_text
            else None,
            drafts=self.store.put(f"{base}/drafts.json", drafts, DRAFTS, len(drafts)),
            drafted=len(drafts),
            patched_files=files,
            by_source=sources,
        )

    @activity.defn(name="seo_optimization_apply")
    async def apply(self, request: ApplyRequest) -> ApplyOutcome:
        """Commit the patch to a new branch; the working tree and the index stay as they are."""
        return await asyncio.to_thread(apply_stored_patch, self.store, request)

    @activity.defn(name="seo_optimization_report")
    async def report(self, request: SeoReportRequest) -> SeoReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: SeoReportRequest) -> SeoReportOutcome:
        findings = self.store.get(request.site_check.findings, FINDINGS)
        skipped = self.store.get(request.site.skipped, SKIPPED)
        drafts = self.store.get(request.patch.drafts, DRAFTS) if request.patch else []
        patch_text = (
            self.store.get(request.patch.patch, TEXT)
            if request.patch and request.patch.patch
            else ""
        )
        summary = reports.summarize(findings, request.site.page_count, len(skipped))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        if patch_text:
            paths["patch"] = str(out_dir.absolute() / PATCH_FILE)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = seo_report(
            request=request,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            drafts=drafts,
            patch=patch_text,
            artifacts=paths,
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_seo_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(render_seo_sarif(report, version), indent=2, ensure_ascii=False)
            + "\n",
        }
        if patch_text:
            contents["patch"] = patch_text
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        base = ARTIFACTS.run_base(request.run_key)
        return SeoReportOutcome(
            summary=summary,
            by_audit=report["by_audit"],
            artifacts=self.store.publish(paths),
            findings=self.store.put(
                f"{base}/findings-reported.json", findings, FINDINGS, len(findings)
            ),
            duration_s=duration,
        )
