"""seo-optimization: prepare the site (build the docs, list the pages or crawl the
localhost site), run the per-page audits in parallel batches beside Lighthouse, then the
site-level checks; in fix mode draft the missing titles and descriptions (Haiku with a
key, the pages' own text without) into a patch, committed to a new branch only with
`apply`; write the reports.

The workflow only routes: every file read, build, browser run and report write is an
activity, and everything large moves as an artifact reference.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

from workflows.llm_findings import llm_summary, with_llm_usage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.seo_optimization.activities import SeoOptimizationActivities
    from workflows.errors import root_cause
    from workflows.schemas import (
        ApplyOutcome,
        ApplyRequest,
        LLMConfig,
        LLMSummary,
        LLMTask,
        UsageMemo,
    )
    from workflows.security_audit.models import LLMOutcome
    from workflows.seo_optimization.models import (
        CheckBatch,
        CheckBatchResult,
        DraftPlanRequest,
        LighthouseRequest,
        PatchRequest,
        PatchResult,
        PreparedSite,
        PrepareRequest,
        SeoOptimizationRequest,
        SeoOptimizationResult,
        SeoReportRequest,
        SiteCheckRequest,
    )

WORKFLOW_NAME = "seo-optimization"
STAGES = ("prepare", "check", "site", "drafts", "patch", "apply", "report")
NO_FIX = LLMSummary(status="skipped", reason="drafts are written in fix mode only (fix=true)")


def stages(request: SeoOptimizationRequest) -> tuple[str, ...]:
    dropped = set()
    if not request.fix:
        dropped |= {"drafts", "patch"}
    if not request.apply:
        dropped.add("apply")
    return tuple(s for s in STAGES if s not in dropped)


def branch_name(run_id: str) -> str:
    """`attune/seo-` and the run id's last 8 hex digits (its random part)."""
    return f"attune/seo-{run_id.replace('-', '')[-8:]}"


@workflow.defn(name=WORKFLOW_NAME)
class SeoOptimizationWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: SeoOptimizationRequest) -> None:
        super().__init__(stages(request))

    @workflow.run
    async def run(self, request: SeoOptimizationRequest) -> SeoOptimizationResult:
        return await self._tracked(self._optimize(request))

    async def _optimize(self, request: SeoOptimizationRequest) -> SeoOptimizationResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("prepare")
        site: PreparedSite = await workflow.execute_activity_method(
            SeoOptimizationActivities.prepare,
            PrepareRequest(
                run_key=run_key,
                target=request.target,
                url=request.url,
                kind=request.kind,
                max_pages=request.max_pages,
                build_timeout_s=request.build_timeout_s,
            ),
            start_to_close_timeout=timedelta(seconds=request.build_timeout_s + 600),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Prepare the site: {request.url or request.target}",
        )
        self._files_total = site.page_count
        self._set_stage("check", f"0/{site.page_count} pages")
        lighthouse_task = asyncio.ensure_future(
            workflow.execute_activity_method(
                SeoOptimizationActivities.lighthouse,
                LighthouseRequest(
                    run_key=run_key,
                    site=site,
                    mode=request.lighthouse,
                    timeout_s=request.lighthouse_timeout_s,
                ),
                start_to_close_timeout=timedelta(
                    seconds=request.lighthouse_timeout_s * max(1, site.page_count) + 300
                ),
                heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                retry_policy=RETRY,
                summary=f"Lighthouse on {site.page_count} pages (when installed)",
            )
        )
        batches = [
            CheckBatch(
                run_key=run_key,
                site=site,
                index=index,
                start=start,
                end=min(start + request.batch_size, site.page_count),
                chunk_size=request.chunk_size,
            )
            for index, start in enumerate(range(0, site.page_count, request.batch_size))
        ]
        results = await asyncio.gather(*(self._check(batch, request) for batch in batches))
        if not lighthouse_task.done():
            self._progress.detail = f"{site.page_count} pages checked; Lighthouse is running"
        lighthouse = await lighthouse_task
        self._set_stage("site")
        site_check = await workflow.execute_activity_method(
            SeoOptimizationActivities.site_check,
            SiteCheckRequest(
                run_key=run_key,
                site=site,
                batch_count=len(results),
                lighthouse=lighthouse,
                min_reading_ease=request.min_reading_ease,
            ),
            start_to_close_timeout=timedelta(minutes=15),
            retry_policy=RETRY,
            summary="Merge Lighthouse; sitemap, links, duplicates, headings, readability",
        )
        usage = UsageMemo()
        llm = NO_FIX
        patch: PatchResult | None = None
        applied = ApplyOutcome(status="not-requested")
        if request.fix:
            self._set_stage("drafts", f"{site_check.drafts_needed} pages")
            llm, outcomes, usage = await self._drafts(
                request, run_key, site_check.needs_drafts, marks
            )
            self._set_stage("patch")
            patch = await workflow.execute_activity_method(
                SeoOptimizationActivities.patch,
                PatchRequest(
                    run_key=run_key,
                    target=request.target,
                    site=site,
                    needs=site_check.needs_drafts,
                    answers=[o.state for o in outcomes],
                ),
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RETRY,
                summary="Write the drafts into a patch",
            )
            if request.apply:
                self._set_stage("apply")
                applied = await self._apply(request, patch, info.run_id)
        self._set_stage("report")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            SeoOptimizationActivities.report,
            SeoReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                url=request.url,
                started_at=started_at,
                out_dir=request.out_dir,
                site=site,
                site_check=site_check,
                lighthouse=lighthouse,
                patch=patch,
                applied=applied,
                llm=llm,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write Markdown, JSON, SARIF and the patch",
        )
        self._set_stage("done", f"{outcome.summary.findings_total} findings")
        return SeoOptimizationResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            url=request.url,
            kind=site.kind,
            pages=site.page_count,
            summary=outcome.summary,
            by_audit=outcome.by_audit,
            lighthouse=lighthouse.status,
            lighthouse_reason=lighthouse.reason,
            drafts=patch.drafted if patch else 0,
            applied=applied,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _check(self, batch: CheckBatch, request: SeoOptimizationRequest) -> CheckBatchResult:
        result = await workflow.execute_activity_method(
            SeoOptimizationActivities.check_batch,
            batch,
            activity_id=f"check-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Check pages {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start)
        if self._progress.stage == "check":
            self._progress.detail = f"{self._files_done}/{self._files_total} pages"
        return result

    async def _drafts(
        self, request: SeoOptimizationRequest, run_key: str, needs, marks: bool
    ) -> tuple[LLMSummary, list[LLMOutcome], UsageMemo]:
        """Haiku's drafts, one TierEscalation child per ten pages, each within what the
        budget has left; skipped (with the reason) without a key."""
        usage = UsageMemo()
        config: LLMConfig = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        if not config.available:
            reason = f"{config.reason}; drafts come from each page's own text"
            return llm_summary(usage, "skipped", reason), [], usage
        if request.llm_max_pages == 0:
            return llm_summary(usage, "skipped", "llm_max_pages is 0"), [], usage
        outcomes: list[LLMOutcome] = []
        try:
            tasks = await workflow.execute_activity_method(
                SeoOptimizationActivities.plan_drafts,
                DraftPlanRequest(run_key=run_key, needs=needs, max_pages=request.llm_max_pages),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RETRY,
                summary="Write the drafting prompts",
            )
            for number, task in enumerate(tasks, 1):
                self._progress.detail = f"drafts {number}/{len(tasks)}"
                spent = sum(o.state.spent_usd for o in outcomes)
                budget = None
                if request.max_cost_usd is not None:
                    budget = max(request.max_cost_usd - spent, 0)
                state = await workflow.execute_child_workflow(
                    TierEscalationWorkflow.run,
                    LLMTask(
                        run_key=run_key,
                        task_id=task.task_id,
                        kind="seo-drafts",
                        prompt=task.prompt,
                        output_schema="seo_meta",
                        start_tier="haiku",
                        ceiling=request.llm_ceiling,
                        budget_usd=budget,
                        estimated_input_tokens=task.estimated_input_tokens,
                        prices=config.prices,
                    ),
                    id=f"{workflow.info().workflow_id}-{task.task_id}",
                    static_summary=f"Draft titles and descriptions of {task.pages} pages",
                )
                outcomes.append(LLMOutcome(kind="seo-drafts", state=state))
                usage = with_llm_usage(usage, outcomes)
                if marks:
                    save_usage(usage)
        except (ActivityError, ChildWorkflowError) as err:
            return llm_summary(usage, "failed", root_cause(err)), outcomes, usage
        stopped = [o.state.message for o in outcomes if o.state.status == "budget_stopped"]
        return llm_summary(usage, "ok", "; ".join(stopped)), outcomes, usage

    async def _apply(
        self, request: SeoOptimizationRequest, patch: PatchResult, run_id: str
    ) -> ApplyOutcome:
        if patch.patch is None:
            return ApplyOutcome(status="nothing-to-apply", reason="no draft could be placed")
        return await workflow.execute_activity_method(
            SeoOptimizationActivities.apply,
            ApplyRequest(
                target=request.target,
                patch=patch.patch,
                branch=branch_name(run_id),
                message=(
                    "attune seo-optimization: drafted titles and meta descriptions\n\n"
                    f"Drafts to review before publishing. Run {run_id}.\n"
                ),
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary="Commit the patch to a new branch",
        )
