"""LLM stages against a loopback fake Messages API, driven by the real anthropic SDK.

Costs are checked against hand-computed values from the usage the fake returns, at
the packaged November 2026 list prices (USD per million tokens, input / output /
cache write / cache read): haiku 0.10 / 0.50 / 0.125 / 0.01, sonnet 2 / 10 / 2.50 /
0.20, opus 4 / 20 / 5 / 0.20.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.artifacts import ArtifactStore
from activities.llm.claude import ClaudeActivities
from activities.llm.pricing import load_prices
from starter import runner
from starter.api import Attune
from tests.conftest import SAMPLE
from tests.fake_anthropic import FakeAnthropic
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.schemas import EscalationState, LLMConfig, LLMPrompt, LLMTask
from workflows.security_audit.models import AuditRequest
from workflows.wire import ATTUNE_TIER, LLM_TASK_QUEUE, STATE_QUERY, TASK_QUEUE, TIER_ESCALATION

USAGE = {
    "input_tokens": 1000,
    "output_tokens": 200,
    "cache_creation_input_tokens": 500,
    "cache_read_input_tokens": 300,
}
# 1000 x 0.10 + 200 x 0.50 + 500 x 0.125 + 300 x 0.01 = 265.5 per million
HAIKU_COST = 0.0002655
# 1000 x 2 + 200 x 10 + 500 x 2.50 + 300 x 0.20 = 5310 per million
SONNET_COST = 0.00531
# 1000 x 4 + 200 x 20 + 500 x 5 + 300 x 0.20 = 10560 per million
OPUS_COST = 0.01056


def fingerprints(body: dict[str, Any]) -> list[str]:
    return re.findall(r'"fingerprint": "([0-9a-f]+)"', body["messages"][0]["content"])


def answer_everything(fake: FakeAnthropic, confidence: float = 0.9) -> None:
    """Answer triage and remediation prompts for exactly the findings they carry."""

    def respond(body: dict[str, Any]) -> None:
        prints = fingerprints(body)
        system = body["system"][0]["text"]
        if "user-defined attune workflow" in system:
            answer = {"answer": "- risk is high\n- fix the SQL", "confidence": confidence}
        elif "You write pytest tests" in system:
            test = "def test_runs():\n    # Given\n    # When\n    # Then\n    assert True\n"
            answer = {
                "tests": [{"name": "test_runs", "behaviour": "runs", "imports": [], "body": test}],
                "confidence": confidence,
            }
        elif '"title":"AnswerOutput"' in system:  # a free answer citing its material's lines
            cited = re.findall(r"^\[([^\]]+)\] (.*)$", body["messages"][0]["content"], re.M)
            text = " ".join(f"{line} [{citation}]" for citation, line in cited[:2])
            answer = {"answer": text or "The material says nothing.", "confidence": confidence}
        elif "You write Python docstrings" in system:
            ids = re.findall(r'"id": "([^"]+)"', body["messages"][0]["content"])
            items = [{"id": key, "summary": "Do what the code shows"} for key in ids]
            answer = {"docstrings": items, "confidence": confidence}
        elif "You triage" in system:
            verdicts = [
                {
                    "fingerprint": p,
                    "verdict": "false_positive" if n == 0 else "true_positive",
                    "rationale": f"judged from the code shown ({n})",
                }
                for n, p in enumerate(prints)
            ]
            answer = {"verdicts": verdicts, "confidence": confidence}
        else:
            fixes = [
                {"fingerprint": p, "remediation": "Use the safe API.", "files": []} for p in prints
            ]
            answer = {"fixes": fixes, "confidence": confidence}
        fake.ok(json.dumps(answer), usage=USAGE)

    fake.responder = respond


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def audit(client: Client, target: Path, **params: Any):
    async with running_worker(client):
        handle = await runner.start_workflow(
            client, registry().flows["security-audit"], AuditRequest(target=str(target), **params)
        )
        return handle, await handle.result()


async def test_llm_block_verdicts_and_costs(
    client: Client, sample: Path, fake_anthropic: FakeAnthropic
) -> None:
    answer_everything(fake_anthropic)
    handle, result = await audit(client, sample)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    llm = report["llm"]
    assert llm["status"] == "ok", llm
    calls = llm["calls_by_tier"]
    assert calls["haiku"] == 1, "one batched triage call for the sample's findings"
    assert calls["sonnet"] >= 1 and "opus" not in calls
    assert llm["cost_usd"] == pytest.approx(HAIKU_COST + calls["sonnet"] * SONNET_COST, abs=1e-12)
    assert llm["baseline_cost_usd"] == pytest.approx((1 + calls["sonnet"]) * OPUS_COST, abs=1e-12)
    assert llm["savings_usd"] == pytest.approx(
        llm["baseline_cost_usd"] - llm["cost_usd"], abs=1e-12
    )
    assert llm["tokens"] == {
        "input": 1000 * (1 + calls["sonnet"]),
        "output": 200 * (1 + calls["sonnet"]),
        "cache_read": 300 * (1 + calls["sonnet"]),
        "cache_write": 500 * (1 + calls["sonnet"]),
    }

    findings = report["findings"]
    judged = [f for f in findings if f["llm"]]
    assert len(judged) == len(findings), "every finding was triaged"
    false_positives = [f for f in judged if f["llm"]["verdict"] == "false_positive"]
    assert len(false_positives) == 1, "a false-positive verdict is shown, never dropped"
    fixed = [f for f in judged if f["llm"]["remediation"]]
    assert fixed and all(f["severity"] in ("critical", "high") for f in fixed)
    assert all(f["llm"]["tier"] == "sonnet" for f in fixed)
    assert "**false positive**" in Path(result.artifacts["markdown"]).read_text()
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert any("llm" in r["properties"] for r in sarif["runs"][0]["results"])

    triage_request = fake_anthropic.messages[0].body
    assert triage_request["model"] == "claude-haiku-5-5"
    assert triage_request["system"][0]["cache_control"] == {"type": "ephemeral"}
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_TIER) == "sonnet"
    usage = await desc.memo_value("usage")
    assert usage["by_tier"]["haiku"]["calls"] == 1
    assert usage["cost_usd"] == pytest.approx(llm["cost_usd"], abs=1e-12)


async def test_offline_skip_says_why(client: Client, sample: Path) -> None:
    _, result = await audit(client, sample)
    llm = json.loads(Path(result.artifacts["json"]).read_text())["llm"]
    assert llm == {**llm, "status": "skipped", "reason": "ANTHROPIC_API_KEY is not set"}
    assert llm["cost_usd"] == 0


async def test_401_fails_the_llm_stage_but_delivers_findings(
    client: Client, sample: Path, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.error(401, "authentication_error", "invalid x-api-key")
    _, result = await audit(client, sample)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["status"] == "completed"
    assert report["llm"]["status"] == "failed"
    assert "invalid x-api-key" in report["llm"]["reason"]
    assert report["findings"] and not any(f["llm"] for f in report["findings"])
    assert len(fake_anthropic.messages) == 1, "401 is not retried"


async def escalation(
    client: Client, fake: FakeAnthropic, task_id: str, **overrides: Any
) -> tuple[Any, EscalationState]:
    store = ArtifactStore()
    prompt = store.put(
        f"runs/tests/{task_id}/prompt.json",
        LLMPrompt(system="You triage findings.", user='{"fingerprint": "abc"}'),
        TypeAdapter(LLMPrompt),
    )
    prices = (await _config(client)).prices
    task = LLMTask(
        run_key=f"tests/{task_id}",
        task_id=task_id,
        kind="triage",
        prompt=prompt,
        output_schema="triage",
        start_tier="haiku",
        prices=prices,
        **overrides,
    )
    async with running_worker(client):
        handle = await client.start_workflow(
            TIER_ESCALATION,
            task,
            id=f"test-{task_id}",
            task_queue=TASK_QUEUE,
            result_type=EscalationState,
        )
        return handle, await handle.result()


async def _config(client: Client) -> LLMConfig:
    return await ClaudeActivities(ArtifactStore(), load_prices()).llm_config()


def triage_answer(confidence: float) -> str:
    verdict = {"fingerprint": "abc", "verdict": "true_positive", "rationale": "user input"}
    return json.dumps({"verdicts": [verdict], "confidence": confidence})


async def test_gates_escalate_haiku_sonnet_opus(
    client: Client, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.ok("this is not JSON", usage=USAGE)
    fake_anthropic.ok(triage_answer(0.3), usage=USAGE)
    fake_anthropic.ok(triage_answer(0.95), usage=USAGE)
    handle, state = await escalation(client, fake_anthropic, "gates")
    assert state.status == "passed"
    assert [(a.tier, a.verdict) for a in state.attempts] == [
        ("haiku", "invalid"),
        ("sonnet", "low_confidence"),
        ("opus", "pass"),
    ]
    assert state.attempts[0].escalated_because.startswith("invalid output")
    assert state.attempts[1].escalated_because == "confidence 0.30 < 0.70"
    assert [m.body["model"] for m in fake_anthropic.messages] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
    ]
    assert state.spent_usd == pytest.approx(HAIKU_COST + SONNET_COST + OPUS_COST, abs=1e-12)
    assert state.answer_tier == "opus"
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_TIER) == "opus"
    history = await handle.fetch_history()
    calls_on = [
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert calls_on == [LLM_TASK_QUEUE] * 3  # the fleet-wide rate-limited queue


async def test_ceiling_stops_escalation(client: Client, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.ok(triage_answer(0.2), usage=USAGE)
    fake_anthropic.ok(triage_answer(0.4), usage=USAGE)
    _, state = await escalation(client, fake_anthropic, "ceiling", ceiling="sonnet")
    assert state.status == "exhausted"
    assert [a.tier for a in state.attempts] == ["haiku", "sonnet"]
    assert "ceiling sonnet" in state.message


async def test_budget_stops_before_an_attempt_that_could_exceed_it(
    client: Client, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.ok(triage_answer(0.2), usage=USAGE)
    # After haiku ($0.0002655) the next sonnet attempt could cost
    # (1800 input-side tokens x 2.50 + 4096 x 10) / 1e6 = $0.045460: over a $0.01 budget.
    _, state = await escalation(client, fake_anthropic, "budget", budget_usd=0.01)
    assert state.status == "budget_stopped"
    assert [a.tier for a in state.attempts] == ["haiku"]
    assert "$0.045460" in state.message
    assert state.answer is not None, "the best answer so far is kept"
    assert len(fake_anthropic.messages) == 1


async def test_transient_errors_are_retried_by_temporal(
    client: Client, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.error(429, "rate_limit_error", "slow down", headers={"retry-after": "1"})
    fake_anthropic.error(529, "overloaded_error", "overloaded", headers={"retry-after": "1"})
    fake_anthropic.error(500, "api_error", "boom", headers={"retry-after": "1"})
    fake_anthropic.ok(triage_answer(0.9), usage=USAGE)
    handle, state = await escalation(client, fake_anthropic, "retries")
    assert state.status == "passed" and len(state.attempts) == 1
    started = [
        e.activity_task_started_event_attributes
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert [s.attempt for s in started] == [4]
    assert started[0].last_failure.application_failure_info.type == "AnthropicServerError"
    assert len(fake_anthropic.messages) == 4


async def test_escalate_signal_from_the_cli(
    client: Client, fake_anthropic: FakeAnthropic, cli_env: dict[str, str]
) -> None:
    """Haiku's answer is held until the CLI's signal is in the run's history, so the
    escalation request is always seen, however slowly the CLI starts."""
    answered = threading.Event()
    fake_anthropic.ok(triage_answer(0.95), usage=USAGE, hold=answered)
    fake_anthropic.ok(triage_answer(0.97), usage=USAGE)
    task = asyncio.ensure_future(escalation(client, fake_anthropic, "signal"))
    await asyncio.to_thread(fake_anthropic.wait_for_messages, 1)
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "starter.cli",
            "escalate",
            "test-signal",
            "--to",
            "opus",
            "--reason",
            "needs a closer look",
        ],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    answered.set()
    assert done.returncode == 0, done.stderr
    _, state = await task
    assert [(a.tier, a.verdict) for a in state.attempts] == [("haiku", "pass"), ("opus", "pass")]
    assert state.attempts[0].escalated_because == "needs a closer look"


async def test_the_api_steers_a_running_llm_stage(
    client: Client, sample: Path, fake_anthropic: FakeAnthropic
) -> None:
    """`Attune.set_ceiling`, `set_budget` and `escalate` reach the audit's triage stage
    while it runs: Haiku's answer is held until all three signals are sent."""
    answer_everything(fake_anthropic, confidence=0.95)
    answer = fake_anthropic.responder
    held = threading.Event()

    def hold_the_first_answer(body: dict[str, Any]) -> None:
        answer(body)
        if len(fake_anthropic.messages) == 1:
            fake_anthropic.script[-1].hold = held

    fake_anthropic.responder = hold_the_first_answer
    attune = Attune(client, local_worker=False)  # running_worker serves the run
    async with running_worker(client):
        run = await attune.start("security-audit", target=str(sample))
        await asyncio.to_thread(fake_anthropic.wait_for_messages, 1)
        stages = await until(lambda: runner.llm_stages(client, run.id), "a running LLM stage")
        assert await attune.set_ceiling(run.id, "sonnet") == stages
        assert await attune.set_budget(run.id, 1.0) == stages
        assert await attune.escalate(run.id, reason="the API asks for a second look") == stages
        held.set()
        await run.result()
        state = await client.get_workflow_handle(stages[0]).query(
            STATE_QUERY, result_type=EscalationState
        )
    assert (state.ceiling, state.budget_usd) == ("sonnet", 1.0)
    assert [(a.tier, a.verdict) for a in state.attempts] == [("haiku", "pass"), ("sonnet", "pass")]
    assert state.attempts[0].escalated_because == "the API asks for a second look"
    assert [m.body["model"] for m in fake_anthropic.messages[:2]] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
    ]
