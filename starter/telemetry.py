"""Usage telemetry, read back from Temporal visibility: no database of attune's own.

Every catalog run carries the `AttuneWorkflow` search attribute and keeps its `usage`
memo up to date, so one visibility query over a time window yields every run's
tokens, costs and cache counters, and its start and close times. The same figures
can be exported as OpenTelemetry metrics, configured by `OTEL_METRICS_EXPORTER`.
"""

from __future__ import annotations

import math
import os
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowExecution

from workflows.schemas import TIERS, TierUsage, UsageMemo
from workflows.wire import ATTUNE_WORKFLOW, USAGE_MEMO

COST_DECIMALS = 10


class TelemetryReport(BaseModel):
    """Rates are fractions (0..1) and None when nothing was there to divide by."""

    window_days: int
    since: datetime
    runs: int = 0
    runs_by_workflow: dict[str, int] = Field(default_factory=dict)
    runs_with_usage: int = Field(0, description="runs whose `usage` memo could be read")
    by_tier: dict[str, TierUsage] = Field(default_factory=dict)
    cost_usd: float = 0.0
    baseline_cost_usd: float = Field(0.0, description="same tokens at the top tier, as recorded")
    savings_usd: float = 0.0
    savings_pct: float | None = None
    llm_tasks: int = 0
    escalations: int = 0
    escalation_rate: float | None = None
    prompt_cache_hit_rate: float | None = Field(
        None, description="cache-read tokens / (input + cache-read + cache-write tokens)"
    )
    scan_cache_hits: int = 0
    scan_cache_misses: int = 0
    scan_cache_hit_rate: float | None = None
    closed_runs: int = 0
    duration_p50_s: float | None = None
    duration_p95_s: float | None = None


def visibility_query(since: datetime, workflow_ids: Iterable[str] | None = None) -> str:
    """Accepted by the SQLite dev server as well as by Elasticsearch-backed clusters."""
    query = f'AttuneWorkflow IS NOT NULL AND StartTime > "{since.isoformat()}"'
    if workflow_ids is None:
        return query
    ids = list(workflow_ids)
    if any('"' in wid or "\\" in wid for wid in ids):
        raise ValueError("workflow ids with quotes or backslashes cannot be filtered on")
    if not ids:
        return f"{query} AND WorkflowId = ''"
    quoted = ", ".join(f'"{wid}"' for wid in ids)
    return f"{query} AND WorkflowId IN ({quoted})"


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest rank: always a duration some run really took, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


async def usage_of(execution: WorkflowExecution) -> UsageMemo | None:
    """A run that never wrote the memo, or wrote one this version cannot read, has none."""
    try:
        return await execution.memo_value(USAGE_MEMO, None, type_hint=UsageMemo)
    except (ValueError, TypeError):
        return None


async def collect(
    client: Client,
    days: int,
    *,
    workflow_ids: Iterable[str] | None = None,
    now: datetime | None = None,
) -> TelemetryReport:
    """Sum the root runs started in the last `days` days; `workflow_ids` narrows to those.

    Every run keeps a usage memo, and a parent's includes its children's, so only runs
    without a parent are summed: nothing is counted twice."""
    if days < 0:
        raise ValueError(f"--days must be 0 or more, got {days}")
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    runs: Counter[str] = Counter()
    by_tier: dict[str, TierUsage] = {}
    durations: list[float] = []
    report = TelemetryReport(window_days=days, since=since)
    async for execution in client.list_workflows(visibility_query(since, workflow_ids)):
        if execution.parent_id is not None:
            continue  # its usage is in its root's memo, rolled up
        runs[execution.typed_search_attributes.get(ATTUNE_WORKFLOW) or execution.workflow_type] += 1
        if execution.close_time is not None:
            durations.append((execution.close_time - execution.start_time).total_seconds())
        usage = await usage_of(execution)
        if usage is None:
            continue
        report.runs_with_usage += 1
        report.llm_tasks += usage.llm_tasks
        report.escalations += usage.escalations
        report.scan_cache_hits += usage.scan_cache_hits
        report.scan_cache_misses += usage.scan_cache_misses
        for tier, used in usage.by_tier.items():
            totals = by_tier.setdefault(tier, TierUsage())
            totals.calls += used.calls
            totals.input_tokens += used.input_tokens
            totals.output_tokens += used.output_tokens
            totals.cache_read_tokens += used.cache_read_tokens
            totals.cache_write_tokens += used.cache_write_tokens
            totals.cost_usd = round(totals.cost_usd + used.cost_usd, COST_DECIMALS)
            totals.baseline_cost_usd = round(
                totals.baseline_cost_usd + used.baseline_cost_usd, COST_DECIMALS
            )
    return summarise(report, runs, by_tier, durations)


def summarise(
    report: TelemetryReport,
    runs: Counter[str],
    by_tier: dict[str, TierUsage],
    durations: list[float],
) -> TelemetryReport:
    """Totals and rates derive from the per-tier sums, so the two can never disagree."""
    order = [*TIERS, *sorted(set(by_tier) - set(TIERS))]
    report.by_tier = {tier: by_tier[tier] for tier in order if tier in by_tier}
    report.runs = sum(runs.values())
    report.runs_by_workflow = dict(sorted(runs.items()))
    tiers = report.by_tier.values()
    report.cost_usd = round(math.fsum(t.cost_usd for t in tiers), COST_DECIMALS)
    report.baseline_cost_usd = round(math.fsum(t.baseline_cost_usd for t in tiers), COST_DECIMALS)
    report.savings_usd = round(report.baseline_cost_usd - report.cost_usd, COST_DECIMALS)
    savings = ratio(report.savings_usd, report.baseline_cost_usd)
    report.savings_pct = None if savings is None else savings * 100
    report.escalation_rate = ratio(report.escalations, report.llm_tasks)
    cache_read = sum(t.cache_read_tokens for t in tiers)
    all_input = sum(t.input_tokens + t.cache_read_tokens + t.cache_write_tokens for t in tiers)
    report.prompt_cache_hit_rate = ratio(cache_read, all_input)
    report.scan_cache_hit_rate = ratio(
        report.scan_cache_hits, report.scan_cache_hits + report.scan_cache_misses
    )
    report.closed_runs = len(durations)
    report.duration_p50_s = percentile(durations, 50)
    report.duration_p95_s = percentile(durations, 95)
    return report


# --- rendering ----------------------------------------------------------------------


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _usd(value: float) -> str:
    return f"${value:,.6f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} s"


def render(report: TelemetryReport, console: Console) -> None:
    since = report.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    console.print(f"[bold]attune telemetry[/], last {report.window_days} day(s), since {since}")
    runs = Table("workflow", "runs", title="Runs")
    for name, count in report.runs_by_workflow.items():
        runs.add_row(name, str(count))
    runs.add_row("[bold]total[/]", f"[bold]{report.runs}[/]")
    console.print(runs)
    if not report.runs:
        return
    tiers = Table(
        "tier", "calls", "input", "output", "cache read", "cache write", "cost", "baseline",
        title="LLM usage by tier",
    )  # fmt: skip
    for tier, t in report.by_tier.items():
        tiers.add_row(
            tier,
            f"{t.calls:,}",
            f"{t.input_tokens:,}",
            f"{t.output_tokens:,}",
            f"{t.cache_read_tokens:,}",
            f"{t.cache_write_tokens:,}",
            _usd(t.cost_usd),
            _usd(t.baseline_cost_usd),
        )
    console.print(tiers)
    savings_pct = "n/a" if report.savings_pct is None else f"{report.savings_pct:.1f}%"
    summary = Table("figure", "value", title="Totals and rates", show_header=False)
    for name, value in (
        ("cost", _usd(report.cost_usd)),
        ("baseline (top tier)", _usd(report.baseline_cost_usd)),
        ("savings", f"{_usd(report.savings_usd)} ({savings_pct})"),
        (
            "escalation rate",
            f"{_pct(report.escalation_rate)} ({report.escalations} of {report.llm_tasks} tasks)",
        ),
        ("prompt-cache hit rate", _pct(report.prompt_cache_hit_rate)),
        (
            "scan-cache hit rate",
            f"{_pct(report.scan_cache_hit_rate)} "
            f"({report.scan_cache_hits} hits, {report.scan_cache_misses} misses)",
        ),
        ("duration p50", _seconds(report.duration_p50_s)),
        ("duration p95", f"{_seconds(report.duration_p95_s)} over {report.closed_runs} closed"),
    ):
        summary.add_row(name, value)
    console.print(summary)


# --- OpenTelemetry metrics -----------------------------------------------------------


class MetricsConfigError(ValueError):
    pass


def _exporter(name: str) -> MetricExporter | None:
    if name in ("", "none"):
        return None
    if name == "console":
        # stderr, so `attune telemetry --json` keeps a parseable stdout.
        return ConsoleMetricExporter(out=sys.stderr)
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )
        except ImportError as err:
            raise MetricsConfigError(
                "OTEL_METRICS_EXPORTER=otlp needs `pip install opentelemetry-exporter-otlp`"
            ) from err
        return OTLPMetricExporter()
    raise MetricsConfigError(f"OTEL_METRICS_EXPORTER={name!r} is not one of console, otlp, none")


def configure_metrics() -> None:
    """Install a meter provider once per process, exporting as the environment asks.

    Unset means none, as for traces: a CLI must not try to reach a collector nobody
    asked for.
    """
    if isinstance(metrics.get_meter_provider(), MeterProvider):
        return
    exporter = _exporter(os.environ.get("OTEL_METRICS_EXPORTER", "none").strip().lower())
    if exporter is None:
        return
    service = os.environ.get("OTEL_SERVICE_NAME", "attune")
    resource = Resource.create({"service.name": service}).merge(OTELResourceDetector().detect())
    reader = PeriodicExportingMetricReader(exporter)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


def shutdown_metrics() -> None:
    """Collect and export once more: the CLI leaves by `os._exit`, skipping atexit."""
    provider = metrics.get_meter_provider()
    if isinstance(provider, MeterProvider):
        provider.shutdown()


GAUGES: dict[str, str] = {
    "attune.telemetry.runs": "{run}",
    "attune.telemetry.llm.calls": "{call}",
    "attune.telemetry.llm.tokens": "{token}",
    "attune.telemetry.llm.cost": "USD",
    "attune.telemetry.llm.savings": "USD",
    "attune.telemetry.rate": "1",
    "attune.telemetry.workflow.duration": "s",
}
"""Metric name and unit; every one is an observable gauge of the report's window."""

Figure = tuple[float | None, dict[str, str]]


def figures(report: TelemetryReport) -> dict[str, list[Figure]]:
    tiers = report.by_tier.items()
    kinds = ("input", "output", "cache_read", "cache_write")
    return {
        "attune.telemetry.runs": [
            (n, {"workflow": name}) for name, n in report.runs_by_workflow.items()
        ],
        "attune.telemetry.llm.calls": [(t.calls, {"tier": tier}) for tier, t in tiers],
        "attune.telemetry.llm.tokens": [
            (getattr(t, f"{kind}_tokens"), {"tier": tier, "kind": kind})
            for tier, t in tiers
            for kind in kinds
        ],
        "attune.telemetry.llm.cost": [
            *((t.cost_usd, {"tier": tier}) for tier, t in tiers),
            (report.cost_usd, {"tier": "all"}),
            (report.baseline_cost_usd, {"tier": "baseline"}),
        ],
        "attune.telemetry.llm.savings": [(report.savings_usd, {})],
        "attune.telemetry.rate": [
            (report.escalation_rate, {"rate": "escalation"}),
            (report.prompt_cache_hit_rate, {"rate": "prompt_cache_hit"}),
            (report.scan_cache_hit_rate, {"rate": "scan_cache_hit"}),
            (None if report.savings_pct is None else report.savings_pct / 100, {"rate": "savings"}),
        ],
        "attune.telemetry.workflow.duration": [
            (report.duration_p50_s, {"quantile": "p50"}),
            (report.duration_p95_s, {"quantile": "p95"}),
        ],
    }


class ReportGauges:
    """Gauges, not counters: a window's total goes down as old runs leave it.

    Registered once per meter; each collection reads whichever report is current.
    """

    def __init__(self, meter: Meter) -> None:
        self.report: TelemetryReport | None = None
        for name, unit in GAUGES.items():
            meter.create_observable_gauge(name, callbacks=[self._callback(name)], unit=unit)

    def _callback(self, name: str) -> Callable[[CallbackOptions], list[Observation]]:
        def observe(_: CallbackOptions) -> list[Observation]:
            if self.report is None:
                return []
            return [
                Observation(v, attrs) for v, attrs in figures(self.report)[name] if v is not None
            ]

        return observe


_GAUGES: weakref.WeakKeyDictionary[Meter, ReportGauges] = weakref.WeakKeyDictionary()


def record_metrics(report: TelemetryReport, meter: Meter | None = None) -> None:
    """Publish the report's figures; the next collection (or `shutdown_metrics`) exports them."""
    meter = meter or metrics.get_meter("attune")
    gauges = _GAUGES.get(meter)
    if gauges is None:
        gauges = _GAUGES[meter] = ReportGauges(meter)
    gauges.report = report
