"""document-gen: discover files, find the project's docstring style, measure coverage and
consistency in parallel batches (which also collect what each missing docstring must
say) while the API reference is built; with a key, Claude writes the summaries of the
drafts (Haiku for simple code, Sonnet for complex); then the drafts become one patch,
committed to a new branch only with `apply`, and the reports are written.

The workflow only routes: every file read, engine run, git call and report write is an
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
    from activities.document_gen.activities import DocumentGenActivities
    from activities.llm.claude import ClaudeActivities
    from workflows.document_gen.models import (
        DocBatch,
        DocBatchResult,
        DocReportRequest,
        DocumentGenRequest,
        DocumentGenResult,
        DraftsRequest,
        ReferenceRequest,
        ReferenceResult,
        StyleRequest,
        SummaryPlan,
        SummaryPlanRequest,
    )
    from workflows.errors import root_cause
    from workflows.schemas import (
        ApplyOutcome,
        ApplyRequest,
        ArtifactRef,
        DiscoverRequest,
        EscalationState,
        LLMConfig,
        LLMSummary,
        LLMTask,
        UsageMemo,
    )
    from workflows.security_audit.models import LLMOutcome

WORKFLOW_NAME = "document-gen"
STAGES = ("discover", "style", "analyze", "llm", "drafts", "apply", "report")


def stages(apply: bool) -> tuple[str, ...]:
    return STAGES if apply else tuple(s for s in STAGES if s != "apply")


def branch_name(run_id: str) -> str:
    """`attune/docstrings-` and the run id's last 8 hex digits (its random part)."""
    return f"attune/docstrings-{run_id.replace('-', '')[-8:]}"


@workflow.defn(name=WORKFLOW_NAME)
class DocumentGenWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: DocumentGenRequest) -> None:
        super().__init__(stages(request.apply))

    @workflow.run
    async def run(self, request: DocumentGenRequest) -> DocumentGenResult:
        return await self._tracked(self._document(request))

    async def _document(self, request: DocumentGenRequest) -> DocumentGenResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            DocumentGenActivities.discover,
            DiscoverRequest(
                run_key=run_key, target=request.target, max_file_bytes=request.max_file_bytes
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        self._set_stage("style")
        style = await workflow.execute_activity_method(
            DocumentGenActivities.style,
            StyleRequest(
                run_key=run_key, target=request.target, files=discovery.files, style=request.style
            ),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary="Find the project's docstring style",
        )
        batches = DocBatch.split(
            run_key,
            request.target,
            discovery,
            request.batch_size,
            request.chunk_size,
            style=style.style,
            typed=style.typed,
            drafts=request.drafts,
            interrogate=style.interrogate,
        )
        self._files_total = discovery.file_count
        self._set_stage("analyze", f"0/{discovery.file_count} files")
        reference = asyncio.ensure_future(
            self._reference(request, run_key, discovery.files, style.style)
        )
        results = await asyncio.gather(*(self._measure(batch, request) for batch in batches))
        self._set_stage("llm")
        usage = UsageMemo()
        llm, answers, usage = await self._summaries(
            request, run_key, len(results), style.style, usage, marks
        )
        self._set_stage("drafts")
        drafts = await workflow.execute_activity_method(
            DocumentGenActivities.drafts,
            DraftsRequest(
                run_key=run_key,
                target=request.target,
                batch_count=len(results),
                style=style.style,
                typed=style.typed,
                answers=answers,
            ),
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary="Write the drafts as a patch and check them with pydoclint",
        )
        applied = ApplyOutcome(status="not-requested")
        if request.apply:
            self._set_stage("apply")
            applied = await self._apply(request, drafts.patch, info.run_id)
        reference_result, reference_error = await reference
        self._set_stage("report")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            DocumentGenActivities.report,
            DocReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                discovery=discovery,
                batch_count=len(results),
                files_analyzed=sum(r.files_analyzed for r in results),
                style=style,
                reference=reference_result,
                reference_error=reference_error,
                drafts=drafts,
                applied=applied,
                llm=llm,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write Markdown, JSON, SARIF and the patch",
        )
        self._set_stage("done", f"{outcome.coverage.percent}% documented, {drafts.drafted} drafts")
        return DocumentGenResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            coverage=outcome.coverage,
            style=style.style,
            style_source=style.source,
            drafted=drafts.drafted,
            drafted_by_llm=drafts.written_by_llm,
            draft_violations=drafts.violations,
            reference_modules=reference_result.modules if reference_result else 0,
            applied=applied,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _measure(self, batch: DocBatch, request: DocumentGenRequest) -> DocBatchResult:
        result = await workflow.execute_activity_method(
            DocumentGenActivities.measure_batch,
            batch,
            activity_id=f"measure-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Measure files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._batch_done(batch.end - batch.start, result.findings.count)
        return result

    async def _reference(
        self, request: DocumentGenRequest, run_key: str, files: ArtifactRef, style: str
    ) -> tuple[ReferenceResult | None, str | None]:
        """The API reference, beside the analysis; if the activity itself fails, the
        reason, so the report carries a warning instead of the run failing."""
        try:
            result = await workflow.execute_activity_method(
                DocumentGenActivities.reference,
                ReferenceRequest(
                    run_key=run_key,
                    workflow_id=workflow.info().workflow_id,
                    target=request.target,
                    files=files,
                    style=style,
                    out_dir=request.out_dir,
                    html=request.html_reference,
                    timeout_s=request.reference_timeout_s,
                ),
                start_to_close_timeout=timedelta(seconds=2 * request.reference_timeout_s + 300),
                heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                retry_policy=RETRY,
                summary="Build the API reference (griffe Markdown, pdoc HTML)",
            )
        except ActivityError as err:
            return None, root_cause(err)
        return result, None

    async def _summaries(
        self,
        request: DocumentGenRequest,
        run_key: str,
        batch_count: int,
        style: str,
        usage: UsageMemo,
        marks: bool,
    ) -> tuple[LLMSummary, list[EscalationState], UsageMemo]:
        """Claude's summaries of the drafts, one TierEscalation child per task, one at a
        time so each sees the budget the previous ones left; `skipped` with the reason
        without a key, with nothing to draft or with `llm_max_functions=0`."""
        config: LLMConfig = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        if not config.available:
            return llm_summary(usage, "skipped", config.reason), [], usage
        if request.drafts == "none" or request.llm_max_functions == 0:
            reason = "no drafts requested" if request.drafts == "none" else "llm_max_functions is 0"
            return llm_summary(usage, "skipped", reason), [], usage
        plans: list[SummaryPlan] = await workflow.execute_activity_method(
            DocumentGenActivities.plan_summaries,
            SummaryPlanRequest(
                run_key=run_key,
                target=request.target,
                batch_count=batch_count,
                style=style,
                max_functions=request.llm_max_functions,
                simple_complexity=request.simple_complexity,
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary="Write the summary prompts",
        )
        if not plans:
            return llm_summary(usage, "skipped", "nothing to draft"), [], usage
        outcomes: list[LLMOutcome] = []
        try:
            for number, plan in enumerate(plans, 1):
                self._progress.detail = f"summaries {number}/{len(plans)}"
                spent = sum(o.state.spent_usd for o in outcomes)
                budget = (
                    None if request.max_cost_usd is None else max(request.max_cost_usd - spent, 0)
                )
                state = await workflow.execute_child_workflow(
                    TierEscalationWorkflow.run,
                    LLMTask(
                        run_key=run_key,
                        task_id=plan.task_id,
                        kind="docstrings",
                        prompt=plan.prompt,
                        output_schema="docstrings",
                        start_tier=plan.tier,
                        ceiling=request.llm_ceiling,
                        budget_usd=budget,
                        estimated_input_tokens=plan.estimated_input_tokens,
                        prices=config.prices,
                    ),
                    id=f"{workflow.info().workflow_id}-{plan.task_id}",
                    static_summary=f"summaries of {plan.drafts} drafts on {plan.tier}",
                )
                outcomes.append(LLMOutcome(kind="docstrings", state=state))
                usage = with_llm_usage(usage, outcomes)
                if marks:
                    save_usage(usage)
        except (ActivityError, ChildWorkflowError) as err:
            states = [o.state for o in outcomes]
            return llm_summary(usage, "failed", root_cause(err)), states, usage
        stopped = [o.state.message for o in outcomes if o.state.status == "budget_stopped"]
        states = [o.state for o in outcomes]
        return llm_summary(usage, "ok", "; ".join(stopped)), states, usage

    async def _apply(
        self, request: DocumentGenRequest, patch: ArtifactRef | None, run_id: str
    ) -> ApplyOutcome:
        if patch is None:
            return ApplyOutcome(status="nothing-to-apply", reason="no docstring to draft")
        return await workflow.execute_activity_method(
            DocumentGenActivities.apply,
            ApplyRequest(
                target=request.target,
                patch=patch,
                branch=branch_name(run_id),
                message=f"attune document-gen: drafted docstrings (marked TODO(attune draft))"
                f"\n\nRun {run_id}.\n",
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary="Commit the drafts to a new branch",
        )
