"""OpenTelemetry metrics recorded where the work happens (no-ops until a meter
provider is configured, e.g. by OTEL_METRICS_EXPORTER in `attune worker`)."""

from __future__ import annotations

from opentelemetry import metrics

from workflows.schemas import LLMCallRequest, LLMCallResult

_meter = metrics.get_meter("attune")
LLM_CALLS = _meter.create_counter("attune.llm.calls", unit="{call}", description="Claude calls")
LLM_TOKENS = _meter.create_counter("attune.llm.tokens", unit="{token}", description="By kind")
LLM_COST = _meter.create_counter("attune.llm.cost", unit="USD", description="From API usage")
LLM_BASELINE = _meter.create_counter(
    "attune.llm.baseline_cost", unit="USD", description="The same tokens at the top tier"
)
LLM_ESCALATED = _meter.create_counter(
    "attune.llm.escalated_calls", unit="{call}", description="Attempts after the first"
)
SCAN_CACHE = _meter.create_counter(
    "attune.scan.cache", unit="{file}", description="Scan cache lookups by outcome"
)


def record_call(request: LLMCallRequest, result: LLMCallResult) -> None:
    labels = {"tier": result.tier, "model": result.model}
    LLM_CALLS.add(1, labels)
    usage = result.usage
    for kind, count in (
        ("input", usage.input_tokens),
        ("output", usage.output_tokens),
        ("cache_read", usage.cache_read_input_tokens),
        ("cache_write", usage.cache_creation_input_tokens),
    ):
        LLM_TOKENS.add(count, {**labels, "kind": kind})
    LLM_COST.add(result.cost_usd, labels)
    LLM_BASELINE.add(result.baseline_cost_usd, labels)
    if request.attempt > 1:
        LLM_ESCALATED.add(1, labels)


def record_scan_cache(hits: int, misses: int) -> None:
    SCAN_CACHE.add(hits, {"outcome": "hit"})
    SCAN_CACHE.add(misses, {"outcome": "miss"})
