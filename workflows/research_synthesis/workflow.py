"""research-synthesis: read every source (in parallel, one activity each: a URL that
cannot be fetched is a warning, never a failed run), run the offline engine over all of
them, then with a key let Claude write over the same evidence: Haiku per source, Sonnet
across sources, Opus when the routing policy calls the question complex. Every answer's
citations are checked against the sentences read, and the reports are written.

The workflow only routes: reading, analysis, prompts, checks and reports are activities,
and documents, sentences and answers move as artifact references.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

from workflows.llm_findings import llm_summary, llm_task, with_llm_usage
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.research_synthesis.activities import ResearchSynthesisActivities
    from workflows.errors import root_cause
    from workflows.research_synthesis.models import (
        AnalyzeRequest,
        AnalyzeResult,
        CheckRequest,
        CheckResult,
        LLMPlanRequest,
        ReadRequest,
        ReadResult,
        ReportRequest,
        ResearchSynthesisRequest,
        ResearchSynthesisResult,
        SourceStatus,
    )
    from workflows.schemas import LLMConfig, LLMSummary, UsageMemo
    from workflows.security_audit.models import LLMOutcome, PromptPlan

WORKFLOW_NAME = "research-synthesis"
STAGES = ("read", "analyze", "llm", "report")
HEARTBEAT_TIMEOUT = timedelta(seconds=60)
"""Reading and analysing heartbeat every few seconds: a dead worker's share moves on."""


@workflow.defn(name=WORKFLOW_NAME)
class ResearchSynthesisWorkflow(StagedWorkflow):
    @workflow.init
    def __init__(self, request: ResearchSynthesisRequest) -> None:
        super().__init__(STAGES)

    @workflow.run
    async def run(self, request: ResearchSynthesisRequest) -> ResearchSynthesisResult:
        return await self._tracked(self._synthesise(request))

    async def _synthesise(self, request: ResearchSynthesisRequest) -> ResearchSynthesisResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("read", f"0/{len(request.sources)} sources")
        reads = list(
            await asyncio.gather(
                *(self._read(request, run_key, i, s) for i, s in enumerate(request.sources))
            )
        )
        self._set_stage("analyze")
        analyzed = await workflow.execute_activity_method(
            ResearchSynthesisActivities.analyze,
            AnalyzeRequest(
                run_key=run_key,
                question=request.question,
                reads=reads,
                summary_sentences=request.summary_sentences,
                top_relevant=request.top_relevant,
            ),
            start_to_close_timeout=timedelta(minutes=20),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
            summary="Retrieve, summarise, find shared claims and contradictions",
        )
        self._set_stage("llm")
        llm, checked, usage = await self._llm(request, run_key, reads, analyzed)
        self._set_stage("report")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            ResearchSynthesisActivities.report,
            ReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                question=request.question,
                started_at=started_at,
                out_dir=request.out_dir,
                reads=reads,
                analyzed=analyzed,
                llm=llm,
                checked=checked,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write the synthesis as Markdown and JSON",
        )
        self._set_stage("done", f"{analyzed.claims} shared claims")
        return ResearchSynthesisResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            question=request.question,
            sources=[
                SourceStatus(
                    source=r.source,
                    status=r.status,
                    reason=r.reason,
                    documents=r.document_count,
                    sentences=r.sentence_count,
                )
                for r in reads
            ],
            sentences=analyzed.sentence_count,
            claims=analyzed.claims,
            contradictions=analyzed.contradictions,
            complex_question=analyzed.complex_question,
            llm=llm,
            citations=checked.citations if checked else 0,
            invalid_citations=checked.invalid_citations if checked else 0,
            unsupported_claims=checked.unsupported_claims if checked else 0,
            warnings=outcome.warnings,
            artifacts=outcome.artifacts,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _read(
        self, request: ResearchSynthesisRequest, run_key: str, index: int, source: str
    ) -> ReadResult:
        result = await workflow.execute_activity_method(
            ResearchSynthesisActivities.read,
            ReadRequest(
                run_key=run_key,
                target=request.target,
                source=source,
                index=index,
                url_timeout_s=request.url_timeout_s,
            ),
            activity_id=f"read-source-{index}",
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
            summary=f"Read {source}",
        )
        self._files_done += 1
        self._progress.detail = f"{self._files_done}/{len(request.sources)} sources"
        return result

    async def _llm(
        self,
        request: ResearchSynthesisRequest,
        run_key: str,
        reads: list[ReadResult],
        analyzed: AnalyzeResult,
    ) -> tuple[LLMSummary, CheckResult | None, UsageMemo]:
        """Summaries, analysis and (for a complex question) synthesis, one TierEscalation
        child per task, one at a time within the budget; then the citation check."""
        usage = UsageMemo()
        config: LLMConfig = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        reason = (
            config.reason
            if not config.available
            else "llm_max_findings is 0"
            if request.llm_max_findings == 0
            else "no sentence was read"
            if analyzed.sentence_count == 0
            else ""
        )
        if reason:
            return llm_summary(usage, "skipped", reason), None, usage
        steps = ["summaries", "analysis"] + (["synthesis"] if analyzed.complex_question else [])
        outcomes: list[LLMOutcome] = []
        status, why = "ok", ""
        try:
            for step in steps:
                plans: list[PromptPlan] = await workflow.execute_activity_method(
                    ResearchSynthesisActivities.plan_llm,
                    LLMPlanRequest(
                        run_key=run_key,
                        question=request.question,
                        step=step,
                        analysis=analyzed.analysis,
                        reads=reads,
                        earlier=outcomes,
                    ),
                    start_to_close_timeout=timedelta(minutes=5),
                    retry_policy=RETRY,
                    summary=f"Write the {step} prompts",
                )
                for number, plan in enumerate(plans, 1):
                    self._progress.detail = f"{step} {number}/{len(plans)}"
                    state = await workflow.execute_child_workflow(
                        TierEscalationWorkflow.run,
                        llm_task(plan, run_key, request, config, outcomes),
                        id=f"{workflow.info().workflow_id}-{plan.task_id}",
                        static_summary=f"{plan.kind} for {WORKFLOW_NAME}",
                    )
                    outcomes.append(LLMOutcome(kind=plan.kind, state=state))
                    usage = with_llm_usage(usage, outcomes)
        except (ActivityError, ChildWorkflowError) as err:
            status, why = "failed", root_cause(err)
        if status == "ok":
            why = "; ".join(o.state.message for o in outcomes if o.state.status == "budget_stopped")
        checked = None
        if outcomes:
            checked = await workflow.execute_activity_method(
                ResearchSynthesisActivities.check_citations,
                CheckRequest(run_key=run_key, sentences=analyzed.sentences, outcomes=outcomes),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RETRY,
                summary="Check every citation of the answers against the sources",
            )
        return llm_summary(usage, status, why), checked, usage
