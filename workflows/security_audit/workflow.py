"""security-audit: discover files, scan them in parallel batches, write the reports.

The workflow only routes: every file read, scan and report write is an activity,
and everything large moves as an artifact reference, so the history stays small
and a replacement worker resumes exactly where a dead one stopped.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from workflows.llm_findings import llm_summary, llm_task, with_llm_usage
from workflows.runs import mark_run
from workflows.staged import RETRY
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.llm.stage import LLMStageActivities
    from activities.security_audit.activities import SecurityActivities
    from workflows.errors import root_cause
    from workflows.schemas import DiscoverRequest, LLMConfig, LLMSummary, UsageMemo
    from workflows.security_audit.models import (
        AuditProgress,
        AuditRequest,
        AuditResult,
        LLMOutcome,
        LLMStageRequest,
        PromptPlan,
        ReportRequest,
        ScanBatch,
        ScanBatchResult,
        TaintRequest,
    )
    from workflows.tiers import highest
    from workflows.wire import (
        ATTUNE_COST_USD,
        ATTUNE_STAGE,
        ATTUNE_TIER,
        PROGRESS_QUERY,
        USAGE_MEMO,
    )

WORKFLOW_NAME = "security-audit"
LLM_NOT_YET = LLMSummary(
    status="skipped",
    reason="LLM triage is not part of this attune release; deterministic engines only",
)
LLM_STAGES_PATCH = "llm-stages"
# Report and LLM-stage requests carry a batch count instead of every batch's result
# (each scan_batch stores its own), so they stay small however many batches there are.
BATCH_MANIFEST_PATCH = "batch-manifest"
# After the scans, trace data flows across functions and modules (trace_taint) and merge
# the flow findings into the report; runs started before it replay without that step.
TAINT_PATCH = "interprocedural-taint"


@workflow.defn(name=WORKFLOW_NAME)
class SecurityAuditWorkflow:
    @workflow.init
    def __init__(self, request: AuditRequest) -> None:
        self._progress = AuditProgress(stage="starting")
        self._manifest = False

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> AuditProgress:
        return self._progress.model_copy().refresh()

    @workflow.run
    async def run(self, request: AuditRequest) -> AuditResult:
        try:
            return await self._audit(request)
        except asyncio.CancelledError:
            self._set_stage("cancelled")
            raise
        except Exception:
            self._set_stage("failed")
            raise

    async def _audit(self, request: AuditRequest) -> AuditResult:
        info = workflow.info()
        marks = mark_run()
        started_at = workflow.now()
        run_key = self._run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovery = await workflow.execute_activity_method(
            SecurityActivities.discover_files,
            DiscoverRequest(
                run_key=run_key,
                target=request.target,
                max_file_bytes=request.max_file_bytes,
                paths=request.paths,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Discover Python files in {request.target}",
        )
        size = request.batch_size
        batches = [
            ScanBatch(
                run_key=run_key,
                target=request.target,
                files=discovery.files,
                index=index,
                start=start,
                end=min(start + size, discovery.file_count),
                chunk_size=request.chunk_size,
                bandit=request.bandit,
            )
            for index, start in enumerate(range(0, discovery.file_count, size))
        ]
        self._progress.files_total = discovery.file_count
        self._progress.batches_total = len(batches)
        self._set_stage("scan")
        # Decided before any batch is scheduled, so a new-shape run's batches are
        # scanned by code that stores its result; runs past this point keep the old shape.
        self._manifest = workflow.patched(BATCH_MANIFEST_PATCH)
        results = await asyncio.gather(*(self._scan(batch, request) for batch in batches))
        self._usage = UsageMemo(
            scan_cache_hits=sum(r.cache_hits for r in results),
            scan_cache_misses=sum(r.cache_misses for r in results),
        )
        self._save_usage()
        taint, taint_stats = None, None
        if self._manifest and workflow.patched(TAINT_PATCH):
            self._set_stage("trace")
            traced = await workflow.execute_activity_method(
                SecurityActivities.trace_taint,
                TaintRequest(run_key=run_key, batch_count=len(results)),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
                retry_policy=RETRY,
                summary="Trace untrusted data across functions and modules",
            )
            taint, taint_stats = traced.findings, traced.stats
        llm, outcomes = LLM_NOT_YET, []
        if workflow.patched(LLM_STAGES_PATCH):
            llm, outcomes = await self._llm_stages(request, run_key, list(results))
        self._set_stage("report")
        outcome = await workflow.execute_activity_method(
            SecurityActivities.build_audit_report,
            ReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                discovery=discovery,
                batches=[] if self._manifest else list(results),
                batch_count=len(results) if self._manifest else None,
                files_scanned=sum(r.files_scanned for r in results) if self._manifest else None,
                llm=llm,
                llm_outcomes=outcomes,
                taint_findings=taint,
                taint_stats=taint_stats,
                baseline=request.baseline,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Merge {self._progress.findings} findings; write Markdown, JSON and SARIF",
        )
        self._set_stage("done")
        return AuditResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=self._usage if marks else None,
        )

    async def _scan(self, batch: ScanBatch, request: AuditRequest) -> ScanBatchResult:
        result = await workflow.execute_activity_method(
            SecurityActivities.scan_batch,
            batch,
            activity_id=f"scan-batch-{batch.index}",
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Scan files {batch.start + 1}-{batch.end} (batch {batch.index + 1})",
        )
        self._progress.batches_done += 1
        self._progress.files_scanned += batch.end - batch.start
        self._progress.findings += result.findings.count
        self._progress.cache_hits += result.cache_hits
        return result

    async def _llm_stages(
        self, request: AuditRequest, run_key: str, batches: list[ScanBatchResult]
    ) -> tuple[LLMSummary, list[LLMOutcome]]:
        """Haiku triage of the findings, then fixes for the serious ones. Without a key,
        or on an API failure, the deterministic results still make the report."""
        config = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        if not config.available:
            return LLMSummary(status="skipped", reason=config.reason), []
        if request.llm_max_findings == 0:
            return LLMSummary(status="skipped", reason="llm_max_findings is 0"), []
        stage = LLMStageRequest(
            run_key=run_key,
            target=request.target,
            batches=[] if self._manifest else batches,
            batch_count=len(batches) if self._manifest else None,
            max_findings=request.llm_max_findings,
            baseline=request.baseline,
        )
        outcomes: list[LLMOutcome] = []
        try:
            self._set_stage("triage")
            for plan in await self._plan(LLMStageActivities.plan_triage, stage, "triage"):
                outcomes.append(await self._escalation(plan, request, config, outcomes))
            self._set_stage("remediation")
            stage.triage = [o.state for o in outcomes]
            for plan in await self._plan(LLMStageActivities.plan_remediation, stage, "fixes"):
                outcomes.append(await self._escalation(plan, request, config, outcomes))
        except ChildWorkflowError as err:
            return llm_summary(self._usage, "failed", root_cause(err)), outcomes
        stopped = [o.state.message for o in outcomes if o.state.status == "budget_stopped"]
        return llm_summary(self._usage, "ok", "; ".join(stopped)), outcomes

    async def _plan(self, method, stage: LLMStageRequest, what: str) -> list[PromptPlan]:
        return await workflow.execute_activity_method(
            method,
            stage,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary=f"Write the {what} prompts",
        )

    async def _escalation(
        self,
        plan: PromptPlan,
        request: AuditRequest,
        config: LLMConfig,
        done: list[LLMOutcome],
    ) -> LLMOutcome:
        state = await workflow.execute_child_workflow(
            TierEscalationWorkflow.run,
            llm_task(plan, self._run_key, request, config, done),
            id=f"{workflow.info().workflow_id}-{plan.task_id}",
            static_summary=f"{plan.kind} of {plan.findings} findings",
        )
        outcome = LLMOutcome(kind=plan.kind, state=state)
        self._account([*done, outcome])
        return outcome

    def _account(self, outcomes: list[LLMOutcome]) -> None:
        """Usage memo, AttuneTier and AttuneCostUSD from every attempt so far."""
        self._usage = with_llm_usage(self._usage, outcomes)
        self._save_usage()
        updates = [ATTUNE_COST_USD.value_set(self._usage.cost_usd)]
        if (tier := highest(list(self._usage.by_tier))) is not None:
            updates.append(ATTUNE_TIER.value_set(tier))
        workflow.upsert_search_attributes(updates)

    def _save_usage(self) -> None:
        workflow.upsert_memo({USAGE_MEMO: self._usage.model_dump(mode="json")})

    def _set_stage(self, stage: str) -> None:
        self._progress.stage = stage
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set(stage)])
