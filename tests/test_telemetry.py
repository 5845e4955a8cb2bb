"""Telemetry read back from visibility, checked against sums computed by hand.

The fake API answers every call with the same usage (tests.test_llm_audit.USAGE), so
a tier's figures are its call count times that usage at the packaged list prices.
The session server is shared, so every collection is narrowed to this test's runs.
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from rich.console import Console
from temporalio.client import Client

from activities.llm.pricing import load_prices
from starter.telemetry import (
    MetricsConfigError,
    TelemetryReport,
    collect,
    configure_metrics,
    percentile,
    record_metrics,
    render,
)
from tests.conftest import SAMPLE
from tests.fake_anthropic import FakeAnthropic
from tests.test_llm_audit import (
    HAIKU_COST,
    OPUS_COST,
    SONNET_COST,
    USAGE,
    answer_everything,
    audit,
)
from tests.waiting import until

COST = {"haiku": HAIKU_COST, "sonnet": SONNET_COST, "opus": OPUS_COST}


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One copy and one scan cache for all three runs: the first misses, the rest hit."""
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def settled(client: Client, ids: list[str], days: int = 1) -> TelemetryReport:
    """Visibility is eventually consistent: wait until every run shows as closed."""

    async def closed() -> TelemetryReport | None:
        report = await collect(client, days, workflow_ids=ids)
        done = report.closed_runs == len(ids) and report.runs_with_usage == len(ids)
        return report if done else None

    return await until(closed, f"visibility showing {ids} closed")


async def test_sums_rates_and_durations(
    client: Client, sample: Path, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_everything(fake_anthropic)
    handles = [(await audit(client, sample))[0] for _ in range(2)]
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    offline, _ = await audit(client, sample)
    handles.append(offline)
    ids = [h.id for h in handles]

    report = await settled(client, ids)

    tier_of = {load_prices().model(tier): tier for tier in COST}
    calls: dict[str, int] = {}
    for request in fake_anthropic.messages:
        tier = tier_of[request.body["model"]]
        calls[tier] = calls.get(tier, 0) + 1
    total_calls = sum(calls.values())
    assert calls.get("haiku") == 2, "one triage call per online run"
    assert report.runs == 3 and report.runs_by_workflow == {"security-audit": 3}
    assert set(report.by_tier) == set(calls)
    for tier, n in calls.items():
        got = report.by_tier[tier]
        assert got.calls == n
        assert got.input_tokens == n * USAGE["input_tokens"]
        assert got.output_tokens == n * USAGE["output_tokens"]
        assert got.cache_read_tokens == n * USAGE["cache_read_input_tokens"]
        assert got.cache_write_tokens == n * USAGE["cache_creation_input_tokens"]
        assert got.cost_usd == pytest.approx(n * COST[tier], abs=1e-12)
        assert got.baseline_cost_usd == pytest.approx(n * OPUS_COST, abs=1e-12)
    cost = sum(n * COST[tier] for tier, n in calls.items())
    baseline = total_calls * OPUS_COST
    assert report.cost_usd == pytest.approx(cost, abs=1e-12)
    assert report.baseline_cost_usd == pytest.approx(baseline, abs=1e-12)
    assert report.savings_usd == pytest.approx(baseline - cost, abs=1e-12)
    assert report.savings_pct == pytest.approx((baseline - cost) / baseline * 100)

    # Confident, valid answers: one call per task and nothing escalates.
    assert (report.llm_tasks, report.escalations) == (total_calls, 0)
    assert report.escalation_rate == 0.0
    # 300 cache-read of 1000 input + 300 cache-read + 500 cache-write tokens per call.
    assert report.prompt_cache_hit_rate == pytest.approx(300 / 1800)
    # Cold run: every file misses; the two warm runs hit each of them.
    assert report.scan_cache_misses > 0
    assert report.scan_cache_hits == 2 * report.scan_cache_misses
    assert report.scan_cache_hit_rate == pytest.approx(2 / 3)

    durations = []
    for handle in handles:
        desc = await handle.describe()
        assert desc.close_time is not None
        durations.append((desc.close_time - desc.start_time).total_seconds())
    durations.sort()
    assert report.closed_runs == 3
    assert report.duration_p50_s == pytest.approx(durations[1])
    assert report.duration_p95_s == pytest.approx(durations[2])

    reader = InMemoryMetricReader()
    record_metrics(report, MeterProvider(metric_readers=[reader]).get_meter("attune"))
    points = {
        (metric.name, tuple(sorted(point.attributes.items()))): point.value
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    }
    assert points[("attune.telemetry.runs", (("workflow", "security-audit"),))] == 3
    assert points[("attune.telemetry.llm.calls", (("tier", "haiku"),))] == 2
    assert points[("attune.telemetry.llm.cost", (("tier", "all"),))] == pytest.approx(
        cost, abs=1e-12
    )
    assert points[("attune.telemetry.rate", (("rate", "scan_cache_hit"),))] == pytest.approx(2 / 3)
    assert points[("attune.telemetry.workflow.duration", (("quantile", "p95"),))] == durations[2]

    console_text = render_text(report)
    assert "security-audit" in console_text and "66.7%" in console_text


async def test_window_excludes_runs(client: Client, sample: Path) -> None:
    handle, _ = await audit(client, sample)
    await settled(client, [handle.id])
    empty = await collect(client, 0, workflow_ids=[handle.id])
    future = await collect(
        client, 1, workflow_ids=[handle.id], now=datetime.now(UTC) + timedelta(days=2)
    )
    for report in (empty, future):
        assert report.runs == 0 and report.by_tier == {}
        assert report.cost_usd == 0 and report.savings_pct is None
        assert report.escalation_rate is None
        assert report.prompt_cache_hit_rate is None
        assert report.scan_cache_hit_rate is None
        assert report.duration_p50_s is None and report.duration_p95_s is None
    assert "n/a" not in render_text(empty), "an empty window shows only the run count"


async def test_offline_run_has_no_llm_rates(client: Client, sample: Path) -> None:
    handle, _ = await audit(client, sample)
    report = await settled(client, [handle.id])
    assert report.runs == 1 and report.by_tier == {} and report.llm_tasks == 0
    assert report.escalation_rate is None and report.prompt_cache_hit_rate is None
    assert report.savings_pct is None
    assert report.scan_cache_hit_rate == 0.0
    assert "n/a" in render_text(report)


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    values = [float(n) for n in range(1, 21)]
    assert (percentile(values, 50), percentile(values, 95)) == (10.0, 19.0)


async def test_bad_window_and_exporter(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="--days"):
        await collect(client, -1)
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "prometheus")
    with pytest.raises(MetricsConfigError, match="console, otlp, none"):
        configure_metrics()


def render_text(report: TelemetryReport) -> str:
    console = Console(file=io.StringIO(), width=160)
    render(report, console)
    return console.file.getvalue()
