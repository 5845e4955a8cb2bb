"""TierEscalation: one LLM task, started on the cheapest suitable tier and escalated
Haiku -> Sonnet -> Opus only when a quality gate fails or someone asks.

Every attempt is an activity (so it shows in history with its retries) and is
recorded in the `state` query with its model, tokens, cost, gate verdict and the
reason it escalated. A cost budget stops it before an attempt that could exceed
the budget, keeping the best answer so far.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.runs import mark_run, save_usage, usage_of_attempts

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import NON_RETRYABLE_ERROR_TYPES, ClaudeActivities
    from workflows.schemas import (
        Attempt,
        EscalateSignal,
        EscalationState,
        LLMCallRequest,
        LLMCallResult,
        LLMTask,
        Tier,
        Verdict,
    )
    from workflows.tiers import highest, next_tier, rank
    from workflows.wire import (
        ATTUNE_COST_USD,
        ATTUNE_TIER,
        ESCALATE_SIGNAL,
        LLM_TASK_QUEUE,
        SET_BUDGET_SIGNAL,
        SET_CEILING_SIGNAL,
        STATE_QUERY,
        TIER_ESCALATION,
    )

LLM_QUEUE_PATCH = "claude-calls-on-llm-queue"
"""Runs started before Claude calls had their own queue scheduled them on the run's
queue; their histories keep doing so on replay."""

LLM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=6,
    non_retryable_error_types=sorted(NON_RETRYABLE_ERROR_TYPES),
)


@workflow.defn(name=TIER_ESCALATION)
class TierEscalationWorkflow:
    @workflow.init
    def __init__(self, task: LLMTask) -> None:
        ceiling = task.ceiling
        self._state = EscalationState(
            task_id=task.task_id,
            status="running",
            tier=task.start_tier if rank(task.start_tier) <= rank(ceiling) else ceiling,
            ceiling=ceiling,
            budget_usd=task.budget_usd,
        )
        self._requested: EscalateSignal | None = None

    @workflow.signal(name=ESCALATE_SIGNAL)
    def escalate(self, request: EscalateSignal) -> None:
        self._requested = request

    @workflow.signal(name=SET_CEILING_SIGNAL)
    def set_ceiling(self, tier: Tier) -> None:
        self._state.ceiling = tier

    @workflow.signal(name=SET_BUDGET_SIGNAL)
    def set_budget(self, usd: float) -> None:
        self._state.budget_usd = usd

    @workflow.query(name=STATE_QUERY)
    def state(self) -> EscalationState:
        return self._state

    @workflow.run
    async def run(self, task: LLMTask) -> EscalationState:
        marks = mark_run()
        state = self._state
        best_confidence = -1.0
        while True:
            if (stop := self._budget_stop(task)) is not None:
                state.status, state.message = "budget_stopped", stop
                break
            self._show_tier()
            result = await self._call(task, len(state.attempts) + 1)
            verdict, reason = self._gate(task, result)
            attempt = Attempt(
                tier=state.tier,
                model=result.model,
                usage=result.usage,
                cost_usd=result.cost_usd,
                baseline_cost_usd=result.baseline_cost_usd,
                latency_s=result.latency_s,
                verdict=verdict,
                reason=reason,
            )
            state.attempts.append(attempt)
            state.spent_usd = round(state.spent_usd + result.cost_usd, 10)
            workflow.upsert_search_attributes([ATTUNE_COST_USD.value_set(state.spent_usd)])
            if result.valid and (result.confidence or 0.0) >= best_confidence:
                best_confidence = result.confidence or 0.0
                state.answer, state.answer_tier = result.raw, state.tier
            requested, self._requested = self._requested, None
            if verdict == "pass" and requested is None:
                state.status, state.message = "passed", f"{verdict} on {state.tier}"
                break
            target = next_tier(state.tier)
            if requested and requested.to and rank(requested.to) > rank(state.tier):
                target = requested.to
            why = (requested.reason or "escalation requested") if requested else reason
            if target is None or rank(target) > rank(state.ceiling):
                state.status = "passed" if verdict == "pass" else "exhausted"
                state.message = f"no tier above {state.tier} within ceiling {state.ceiling}; {why}"
                break
            attempt.escalated_because = why
            state.tier = target
        if marks:
            usage = usage_of_attempts(state.attempts)
            usage.llm_tasks = 1
            save_usage(usage)
        return state

    async def _call(self, task: LLMTask, number: int) -> LLMCallResult:
        tier = self._state.tier
        try:
            return await workflow.execute_activity_method(
                ClaudeActivities.claude_call,
                LLMCallRequest(
                    run_key=task.run_key,
                    call_id=f"{task.task_id}-{number}-{tier}",
                    tier=tier,
                    prompt=task.prompt,
                    output_schema=task.output_schema,
                    max_tokens=task.max_tokens,
                    attempt=number,
                ),
                task_queue=LLM_TASK_QUEUE if workflow.patched(LLM_QUEUE_PATCH) else None,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=30),
                retry_policy=LLM_RETRY,
                summary=f"{task.kind}: attempt {number} on {tier}",
            )
        except ActivityError as err:
            cause = err.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            self._state.status, self._state.message = "failed", message
            raise ApplicationError(
                f"{task.kind} failed on {tier}: {message}", type="LLMCallFailed"
            ) from err

    def _gate(self, task: LLMTask, result: LLMCallResult) -> tuple[Verdict, str]:
        if not result.valid:
            return "invalid", f"invalid output: {result.error}"
        confidence = result.confidence if result.confidence is not None else 0.0
        if confidence < task.min_confidence:
            return "low_confidence", f"confidence {confidence:.2f} < {task.min_confidence:.2f}"
        return "pass", ""

    def _budget_stop(self, task: LLMTask) -> str | None:
        """Why the next attempt may not run: it could cost more than the budget left."""
        budget = self._state.budget_usd
        price = task.prices.get(self._state.tier)
        if budget is None or price is None:
            return None
        previous = self._state.attempts[-1].usage if self._state.attempts else None
        input_tokens = (
            previous.input_tokens
            + previous.cache_creation_input_tokens
            + previous.cache_read_input_tokens
            if previous
            else task.estimated_input_tokens
        )
        worst = (input_tokens * price.cache_write + task.max_tokens * price.output) / 1_000_000
        if self._state.spent_usd + worst <= budget:
            return None
        return (
            f"budget ${budget:.6f}: ${self._state.spent_usd:.6f} spent, the next attempt on "
            f"{self._state.tier} could cost up to ${worst:.6f}; kept the best answer so far"
        )

    def _show_tier(self) -> None:
        tiers = [a.tier for a in self._state.attempts] + [self._state.tier]
        workflow.upsert_search_attributes([ATTUNE_TIER.value_set(highest(tiers))])
