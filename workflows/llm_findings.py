"""The LLM stage of the code-intelligence flows, on the workflow side: Haiku triages the
findings, Sonnet explains the ones it keeps, Opus only where one rule's findings span
several modules (the routing policy, workflows.tiers). Each task is a TierEscalation
child workflow; without a key, or with `llm_max_findings=0`, the stage says `skipped` and
why; a failed child makes it `failed` with the root cause, and the flow's deterministic
report is written either way.

Wiring it into a flow (bug-predict and performance-audit do exactly this):

1. Request: add the shared fields, named as in AuditRequest::

       llm_max_findings: int = Field(default=200, ge=0)
       llm_ceiling: Tier = "opus"
       max_cost_usd: float | None = Field(default=None, ge=0)

   and to the report request ``llm_outcomes: list[LLMOutcome] = Field(default_factory=list)``.

2. Workflow, after the analysis and before the report, with "llm" in its progress
   stages. A flow with shipped histories guards it (``if workflow.patched(CODE_LLM_PATCH):``
   around these lines, the old LLM summary otherwise) so they keep replaying; a flow
   not yet shipped needs no patch::

       self._set_stage("llm")
       stage = await findings_llm_stage(
           flow=WORKFLOW_NAME,                       # picks the prompts
           run_key=run_key,
           target=request.target,
           findings=[r.findings for r in results],   # list[Finding] refs, any number
           request=request,                          # the three fields of step 1
           usage=usage,                              # the run's UsageMemo so far
           progress=self._progress,                  # optional: detail "triage 1/2"
           keep_usage=marks,                         # mark_run(): save the usage memo
       )
       llm, outcomes, usage = stage.summary, stage.outcomes, stage.usage

   then pass ``llm=llm, llm_outcomes=outcomes`` to the report and ``usage`` to the result.

3. Report activity, before summarising and storing the findings::

       apply_outcomes(self.store, findings, request.llm_outcomes)   # activities.llm.stage

   The shared report writers (activities.reports) then show each finding's verdict,
   rationale and explanation in Markdown, JSON and SARIF, and `llm` in the report.

The planning activities (activities.llm.findings) are registered by the worker's core,
so a flow registers nothing; `flow` picks the prompts from FLOW_PROMPTS there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

from workflows.runs import save_usage, usage_of_attempts
from workflows.staged import RETRY
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.llm.findings import FindingsLLMActivities
    from workflows.errors import root_cause
    from workflows.llm_findings_models import FindingsLLMRequest, FindingsLLMResult
    from workflows.schemas import (
        ArtifactRef,
        LLMConfig,
        LLMSummary,
        LLMTask,
        Progress,
        Tier,
        UsageMemo,
    )
    from workflows.security_audit.models import LLMOutcome, PromptPlan
    from workflows.tiers import start_tier

CODE_LLM_PATCH = "code-llm-stages"
"""Patch id of the stage in flows that shipped without it."""


class LLMSettings(Protocol):
    """The request fields the stage reads (see step 1 of the module docstring)."""

    llm_max_findings: int
    llm_ceiling: Tier
    max_cost_usd: float | None


def llm_summary(usage: UsageMemo, status: str, reason: str) -> LLMSummary:
    """The report's `llm` block from the run's usage memo."""
    tiers = usage.by_tier.values()
    return LLMSummary(
        status=status,
        reason=reason,
        calls_by_tier={tier: u.calls for tier, u in usage.by_tier.items()},
        tokens={
            "input": sum(u.input_tokens for u in tiers),
            "output": sum(u.output_tokens for u in tiers),
            "cache_read": sum(u.cache_read_tokens for u in tiers),
            "cache_write": sum(u.cache_write_tokens for u in tiers),
        },
        cost_usd=usage.cost_usd,
        baseline_cost_usd=usage.baseline_cost_usd,
        savings_usd=round(usage.baseline_cost_usd - usage.cost_usd, 10),
    )


def with_llm_usage(usage: UsageMemo, outcomes: list[LLMOutcome]) -> UsageMemo:
    """`usage` (scan counts and all) with the LLM usage of every attempt so far."""
    llm = usage_of_attempts(a for o in outcomes for a in o.state.attempts)
    return usage.model_copy(
        update={
            "by_tier": llm.by_tier,
            "llm_tasks": len(outcomes),
            "escalations": llm.escalations,
            "cost_usd": llm.cost_usd,
            "baseline_cost_usd": llm.baseline_cost_usd,
        }
    )


def llm_task(
    plan: PromptPlan,
    run_key: str,
    request: LLMSettings,
    config: LLMConfig,
    done: list[LLMOutcome],
) -> LLMTask:
    """The TierEscalation input of a planned task: its start tier by the routing policy,
    the request's ceiling, and what the tasks `done` so far left of the budget."""
    spent = sum(o.state.spent_usd for o in done)
    budget = None if request.max_cost_usd is None else max(request.max_cost_usd - spent, 0)
    return LLMTask(
        run_key=run_key,
        task_id=plan.task_id,
        kind=plan.kind,
        prompt=plan.prompt,
        output_schema=plan.output_schema,
        start_tier=start_tier(plan.kind, plan.files_spanned),
        ceiling=request.llm_ceiling,
        budget_usd=budget,
        estimated_input_tokens=plan.estimated_input_tokens,
        prices=config.prices,
    )


async def findings_llm_stage(
    *,
    flow: str,
    run_key: str,
    target: str,
    findings: list[ArtifactRef],
    request: LLMSettings,
    usage: UsageMemo,
    progress: Progress | None = None,
    keep_usage: bool = True,
) -> FindingsLLMResult:
    """Triage, then explanations, one TierEscalation child per task, one at a time so
    each sees the budget the previous ones left. `usage` is the run's memo so far; the
    memo (and AttuneTier, AttuneCostUSD) is saved after every task when `keep_usage`."""
    config: LLMConfig = await workflow.execute_activity_method(
        ClaudeActivities.llm_config,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RETRY,
        summary="Check the Claude configuration",
    )
    if not config.available:
        return FindingsLLMResult(summary=llm_summary(usage, "skipped", config.reason), usage=usage)
    if request.llm_max_findings == 0:
        reason = "llm_max_findings is 0"
        return FindingsLLMResult(summary=llm_summary(usage, "skipped", reason), usage=usage)
    stage = FindingsLLMRequest(
        run_key=run_key,
        target=target,
        flow=flow,
        findings=findings,
        max_findings=request.llm_max_findings,
    )
    outcomes: list[LLMOutcome] = []

    try:
        for step, method in (
            ("triage", FindingsLLMActivities.plan_findings_triage),
            ("explanation", FindingsLLMActivities.plan_findings_explanation),
        ):
            stage.triage = [o.state for o in outcomes]
            plans: list[PromptPlan] = await workflow.execute_activity_method(
                method,
                stage,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RETRY,
                summary=f"Write the {step} prompts for {flow}",
            )
            for number, plan in enumerate(plans, 1):
                if progress is not None:
                    progress.detail = f"{step} {number}/{len(plans)}"
                state = await workflow.execute_child_workflow(
                    TierEscalationWorkflow.run,
                    llm_task(plan, run_key, request, config, outcomes),
                    id=f"{workflow.info().workflow_id}-{plan.task_id}",
                    static_summary=f"{plan.kind} of {plan.findings} {flow} findings",
                )
                outcomes.append(LLMOutcome(kind=plan.kind, state=state))
                usage = with_llm_usage(usage, outcomes)
                if keep_usage:
                    save_usage(usage)
    except (ActivityError, ChildWorkflowError) as err:
        return FindingsLLMResult(
            summary=llm_summary(usage, "failed", root_cause(err)), outcomes=outcomes, usage=usage
        )
    stopped = [o.state.message for o in outcomes if o.state.status == "budget_stopped"]
    return FindingsLLMResult(
        summary=llm_summary(usage, "ok", "; ".join(stopped)), outcomes=outcomes, usage=usage
    )
