"""What every run says about itself: its `AttuneWorkflow` and its `usage` memo.

A child (a team's agent, a spec's step, a TierEscalation) is started without search
attributes, so it sets `AttuneWorkflow` itself; every run keeps a `usage` memo of its
own and its children's LLM calls and scan-cache counts. Telemetry sums root runs
only, so a parent's roll-up is never counted twice. Runs started before the patch
below carry neither, exactly as they were recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.schemas import Attempt, Progress, TierUsage, UsageMemo
    from workflows.tiers import highest
    from workflows.wire import (
        ATTUNE_COST_USD,
        ATTUNE_TIER,
        ATTUNE_WORKFLOW,
        USAGE_MEMO,
    )


def advance(progress: Progress, stage: str, detail: str = "") -> None:
    """Move a run's `progress` to `stage`; leaving a listed stage counts it done. It
    issues no command: each workflow keeps its own AttuneStage upserts, as recorded."""
    if stage != progress.stage and progress.stage in progress.stages:
        progress.done = min(progress.done + 1, progress.total)
    progress.stage, progress.detail = stage, detail


RUN_MARKS = "run-marks"
"""Patch: the run sets AttuneWorkflow when it lacks it, and keeps its usage memo."""


def mark_run() -> bool:
    """Call first thing in `run`; True when this run keeps its marks."""
    if not workflow.patched(RUN_MARKS):
        return False
    info = workflow.info()
    if info.typed_search_attributes.get(ATTUNE_WORKFLOW) is None:
        workflow.upsert_search_attributes([ATTUNE_WORKFLOW.value_set(info.workflow_type)])
    return True


def _add(usage: UsageMemo, tier: str, used: TierUsage) -> None:
    total = usage.by_tier.setdefault(tier, TierUsage())
    total.calls += used.calls
    total.input_tokens += used.input_tokens
    total.output_tokens += used.output_tokens
    total.cache_read_tokens += used.cache_read_tokens
    total.cache_write_tokens += used.cache_write_tokens
    total.cost_usd = round(total.cost_usd + used.cost_usd, 10)
    total.baseline_cost_usd = round(total.baseline_cost_usd + used.baseline_cost_usd, 10)
    usage.cost_usd = round(sum(t.cost_usd for t in usage.by_tier.values()), 10)
    usage.baseline_cost_usd = round(sum(t.baseline_cost_usd for t in usage.by_tier.values()), 10)


def usage_of_attempts(attempts: Iterable[Attempt]) -> UsageMemo:
    """LLM usage by tier, from the attempts of TierEscalation tasks."""
    usage = UsageMemo()
    for attempt in attempts:
        used = TierUsage(
            calls=1,
            input_tokens=attempt.usage.input_tokens,
            output_tokens=attempt.usage.output_tokens,
            cache_read_tokens=attempt.usage.cache_read_input_tokens,
            cache_write_tokens=attempt.usage.cache_creation_input_tokens,
            cost_usd=attempt.cost_usd,
            baseline_cost_usd=attempt.baseline_cost_usd,
        )
        _add(usage, attempt.tier, used)
        usage.escalations += bool(attempt.escalated_because)
    return usage


def combine(memos: Iterable[UsageMemo | None]) -> UsageMemo:
    """The sum of several runs' usage (a parent's children)."""
    total = UsageMemo()
    for memo in memos:
        if memo is None:
            continue
        total.scan_cache_hits += memo.scan_cache_hits
        total.scan_cache_misses += memo.scan_cache_misses
        total.llm_tasks += memo.llm_tasks
        total.escalations += memo.escalations
        for name, used in memo.by_tier.items():
            _add(total, name, used)
    return total


def save_usage(usage: UsageMemo) -> None:
    """The memo, plus AttuneTier and AttuneCostUSD once any LLM call was made."""
    workflow.upsert_memo({USAGE_MEMO: usage.model_dump(mode="json")})
    if usage.by_tier:
        updates = [ATTUNE_COST_USD.value_set(usage.cost_usd)]
        if (tier := highest(list(usage.by_tier))) is not None:
            updates.append(ATTUNE_TIER.value_set(tier))
        workflow.upsert_search_attributes(updates)
