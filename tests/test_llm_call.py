"""The Claude call activity against a loopback fake Messages API, through the real SDK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.llm.claude import NON_RETRYABLE_ERROR_TYPES, RAW, ClaudeActivities
from activities.llm.outputs import parse_answer, schema_instructions
from activities.llm.pricing import load_prices
from tests.fake_anthropic import FakeAnthropic
from workflows.schemas import LLMCallRequest, LLMCallResult, LLMPrompt, Tier, TokenUsage

PROMPT = LLMPrompt(system="You triage findings.", user="Finding abc123: SQL injection")
TRIAGE = {
    "verdicts": [
        {"fingerprint": "abc123", "verdict": "true_positive", "rationale": "input reaches SQL"}
    ],
    "confidence": 0.9,
}
USAGE = {
    "input_tokens": 1200,
    "output_tokens": 300,
    "cache_creation_input_tokens": 4000,
    "cache_read_input_tokens": 8000,
}


@pytest.fixture(autouse=True)
def no_price_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ATTUNE_PRICES", raising=False)
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "store")


@pytest.fixture
async def claude(store: ArtifactStore) -> AsyncIterator[ClaudeActivities]:
    activities = ClaudeActivities(store, load_prices(), heartbeat_every_s=0.05)
    yield activities
    await activities.close()


def call_request(store: ArtifactStore, tier: Tier = "haiku") -> LLMCallRequest:
    ref = store.put("runs/r1/prompts/p1.json", PROMPT, TypeAdapter(LLMPrompt))
    return LLMCallRequest(run_key="r1", call_id="c1", tier=tier, prompt=ref, output_schema="triage")


async def call(claude: ClaudeActivities, tier: Tier = "haiku") -> LLMCallResult:
    return await ActivityEnvironment().run(claude.claude_call, call_request(claude.store, tier))


async def failure(claude: ClaudeActivities) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        await call(claude)
    return raised.value


# --- pricing ---------------------------------------------------------------------------


def test_cost_is_exact_from_usage() -> None:
    prices = load_prices()
    usage = TokenUsage(**USAGE)
    # haiku: 1200*0.10 + 300*0.50 + 4000*0.125 + 8000*0.01 = 120 + 150 + 500 + 80 = 850
    assert prices.cost("haiku", usage) == 850 / 1e6
    # sonnet: 1200*2 + 300*10 + 4000*2.50 + 8000*0.20 = 2400 + 3000 + 10000 + 1600 = 17000
    assert prices.cost("sonnet", usage) == 17000 / 1e6
    # opus: 1200*4 + 300*20 + 4000*5 + 8000*0.20 = 4800 + 6000 + 20000 + 1600 = 32400
    assert prices.cost("opus", usage) == prices.baseline(usage) == 32400 / 1e6


def test_decimal_arithmetic_avoids_float_drift() -> None:
    # 3 tokens at 0.10 is 0.3 exactly in Decimal, 0.30000000000000004 in float
    assert load_prices().cost("haiku", TokenUsage(input_tokens=3_000_000)) == 0.3


def test_models_by_tier() -> None:
    prices = load_prices()
    assert [prices.model(t) for t in ("haiku", "sonnet", "opus")] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
    ]


def test_override_file_changes_one_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    override = tmp_path / "prices.toml"
    override.write_text("[tiers.haiku]\noutput = 1.5\n")
    monkeypatch.setenv("ATTUNE_PRICES", str(override))
    prices = load_prices()
    assert prices.tiers["haiku"].output == 1.5
    assert prices.tiers["haiku"].input == Decimal("0.10")
    # 1_000_000 output tokens at the overridden 1.5
    assert prices.cost("haiku", TokenUsage(output_tokens=1_000_000)) == 1.5


def test_attune_home_prices_are_picked_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path))
    (tmp_path / "prices.toml").write_text('[tiers.opus]\nmodel = "claude-opus-next"\n')
    assert load_prices().model("opus") == "claude-opus-next"


@pytest.mark.parametrize(
    "content", ["[tiers.haiku]\ninput = -1\n", "[tiers.haiku]\nimput = 1\n", "not toml ["]
)
def test_invalid_override_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str
) -> None:
    override = tmp_path / "bad-prices.toml"
    override.write_text(content)
    monkeypatch.setenv("ATTUNE_PRICES", str(override))
    with pytest.raises(ValueError, match=r"bad-prices\.toml"):
        load_prices()


def test_missing_explicit_override_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATTUNE_PRICES", str(tmp_path / "absent.toml"))
    with pytest.raises(ValueError, match=r"absent\.toml"):
        load_prices()


# --- parse_answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(TRIAGE),
        f"Here you go:\n```json\n{json.dumps(TRIAGE, indent=2)}\n```\nDone.",
        f"My verdict is {json.dumps(TRIAGE)} and that's final.",
    ],
)
def test_parse_answer_finds_the_object(text: str) -> None:
    parsed = parse_answer(text, "triage")
    assert parsed.error is None
    assert parsed.answer == TRIAGE
    assert parsed.confidence == 0.9


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("I could not decide.", "no JSON object"),
        ('{"verdicts": [', "no JSON object"),
        ('{"verdicts": []}', "confidence"),
        ('{"verdicts": [], "confidence": 1.5}', "confidence"),
        (
            '{"verdicts": [{"fingerprint": "a", "verdict": "maybe", "rationale": "x"}], '
            '"confidence": 0.5}',
            "verdicts.0.verdict",
        ),
    ],
)
def test_parse_answer_reports_errors(text: str, error: str) -> None:
    parsed = parse_answer(text, "triage")
    assert parsed.answer is None
    assert parsed.error is not None and error in parsed.error


def test_parse_answer_unknown_schema_does_not_raise() -> None:
    assert "unknown output schema" in (parse_answer("{}", "nope").error or "")


def test_rationale_is_one_line_and_bounded() -> None:
    multi = {**TRIAGE, "verdicts": [{**TRIAGE["verdicts"][0], "rationale": "a\n  b"}]}
    assert parse_answer(json.dumps(multi), "triage").answer["verdicts"][0]["rationale"] == "a b"
    long = {**TRIAGE, "verdicts": [{**TRIAGE["verdicts"][0], "rationale": "x" * 301}]}
    assert "rationale" in (parse_answer(json.dumps(long), "triage").error or "")


def test_remediation_schema() -> None:
    answer = {"fixes": [{"fingerprint": "f", "remediation": "use params", "files": ["a.py"]}]}
    parsed = parse_answer(json.dumps({**answer, "confidence": 0.4}), "remediation")
    assert parsed.error is None and parsed.confidence == 0.4


def test_schema_instructions_embed_the_json_schema() -> None:
    text = schema_instructions("triage")
    assert '"false_positive"' in text and "confidence" in text


# --- the activity ----------------------------------------------------------------------


async def test_success_costs_caching_and_raw_artifact(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok(json.dumps(TRIAGE), usage=USAGE)
    result = await call(claude, "sonnet")
    assert result.valid and result.error is None
    assert result.valid and result.confidence == 0.9
    raw = json.loads((claude.store.root / result.raw.key).read_text())
    assert parse_answer(raw["text"], "triage").answer == TRIAGE
    assert result.model == "claude-sonnet-5-5" and result.stop_reason == "end_turn"
    assert result.usage == TokenUsage(**USAGE)
    # sonnet: 1200*2 + 300*10 + 4000*2.50 + 8000*0.20 = 17000 per million
    assert result.cost_usd == 0.017
    # opus: 1200*4 + 300*20 + 4000*5 + 8000*0.20 = 32400 per million
    assert result.baseline_cost_usd == 0.0324
    assert result.latency_s >= 0
    sent = fake_anthropic.messages[0]
    # this SDK version sends the key as a bearer token; older ones used x-api-key
    assert "test-key" in sent.headers.get("x-api-key", sent.headers.get("authorization", ""))
    assert sent.body["model"] == "claude-sonnet-5-5"
    assert sent.body["system"] == [
        {"type": "text", "text": PROMPT.system, "cache_control": {"type": "ephemeral"}}
    ]
    assert sent.body["messages"] == [{"role": "user", "content": PROMPT.user}]
    assert result.raw.key == "runs/r1/llm/c1.json"
    raw = claude.store.get(result.raw, RAW)
    assert raw.text == json.dumps(TRIAGE) and raw.usage == result.usage


@pytest.mark.parametrize(
    ("tier", "model"),
    [("haiku", "claude-haiku-5-5"), ("sonnet", "claude-sonnet-5-5"), ("opus", "claude-opus-5-5")],
)
async def test_model_per_tier(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities, tier: Tier, model: str
) -> None:
    fake_anthropic.ok(json.dumps(TRIAGE))
    assert (await call(claude, tier)).model == model
    assert fake_anthropic.messages[0].body["model"] == model


async def test_sdk_does_not_retry_on_its_own(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.error(500, "api_error", "boom")
    await failure(claude)
    assert len(fake_anthropic.messages) == 1


async def test_rate_limit_honours_retry_after(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.error(429, "rate_limit_error", "slow down", headers={"retry-after": "7"})
    err = await failure(claude)
    assert err.type == "AnthropicRateLimited" and not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=7)


async def test_retry_after_ms_is_preferred(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    headers = {"retry-after": "7", "retry-after-ms": "1500"}
    fake_anthropic.error(429, "rate_limit_error", "slow down", headers=headers)
    assert (await failure(claude)).next_retry_delay == timedelta(seconds=1.5)


@pytest.mark.parametrize(
    ("status", "kind", "error_type"),
    [
        (529, "overloaded_error", "AnthropicOverloaded"),
        (500, "api_error", "AnthropicServerError"),
        (503, "api_error", "AnthropicServerError"),
    ],
)
async def test_server_errors_are_retryable(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities, status: int, kind: str, error_type: str
) -> None:
    fake_anthropic.error(status, kind, "try later")
    err = await failure(claude)
    assert err.type == error_type and not err.non_retryable
    assert err.next_retry_delay is None
    assert "try later" in err.message


@pytest.mark.parametrize(
    ("status", "kind", "error_type"),
    [
        (400, "invalid_request_error", "AnthropicBadRequest"),
        (401, "authentication_error", "AnthropicAuthentication"),
        (403, "permission_error", "AnthropicPermissionDenied"),
        (404, "not_found_error", "AnthropicNotFound"),
        (413, "request_too_large", "AnthropicRequestTooLarge"),
    ],
)
async def test_client_errors_fail_fast(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities, status: int, kind: str, error_type: str
) -> None:
    fake_anthropic.error(status, kind, "you did something wrong")
    err = await failure(claude)
    assert err.type == error_type and err.non_retryable
    assert error_type in NON_RETRYABLE_ERROR_TYPES
    assert "you did something wrong" in err.message and str(status) in err.message


async def test_connection_refused_is_retryable(
    monkeypatch: pytest.MonkeyPatch, claude: ClaudeActivities
) -> None:
    with FakeAnthropic() as gone:
        url = gone.url
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    err = await failure(claude)
    assert err.type == "AnthropicConnectionError" and not err.non_retryable


async def test_invalid_answer_is_a_result_not_an_exception(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok("Sorry, I can't produce JSON today.", usage=USAGE)
    result = await call(claude)
    assert not result.valid
    assert result.error and "no JSON object" in result.error
    # still paid for: haiku 1200*0.10 + 300*0.50 + 4000*0.125 + 8000*0.01 = 850 per million
    assert result.cost_usd == 0.00085


async def test_truncated_answer_says_so(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok('{"verdicts": [', stop_reason="max_tokens")
    result = await call(claude)
    assert not result.valid and result.error and "max_tokens" in result.error


async def test_low_confidence_passes_through(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok(json.dumps({**TRIAGE, "confidence": 0.2}))
    result = await call(claude)
    assert result.valid and result.confidence == 0.2


async def test_price_override_changes_the_cost(
    fake_anthropic: FakeAnthropic,
    store: ArtifactStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    override = tmp_path / "prices.toml"
    override.write_text("[tiers.haiku]\ninput = 1\noutput = 1\ncache_write = 1\ncache_read = 1\n")
    monkeypatch.setenv("ATTUNE_PRICES", str(override))
    claude = ClaudeActivities(store, load_prices())
    fake_anthropic.ok(json.dumps(TRIAGE), usage=USAGE)
    try:
        result = await call(claude)
    finally:
        await claude.close()
    # every token at 1 USD per million: 1200 + 300 + 4000 + 8000 = 13500 per million
    assert result.cost_usd == 0.0135


async def test_heartbeats_while_waiting(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok(json.dumps(TRIAGE), delay_s=0.5)
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    result = await env.run(claude.claude_call, call_request(claude.store))
    assert result.valid
    # one beat every 0.05 s over a 0.5 s wait; generous bounds for a loaded machine
    assert len(beats) >= 4


async def test_llm_config(fake_anthropic: FakeAnthropic, claude: ClaudeActivities) -> None:
    config = await ActivityEnvironment().run(claude.llm_config)
    assert config.available
    assert config.models == {
        "haiku": "claude-haiku-5-5",
        "sonnet": "claude-sonnet-5-5",
        "opus": "claude-opus-5-5",
    }
    assert fake_anthropic.requests == []


async def test_no_key_means_unavailable(
    monkeypatch: pytest.MonkeyPatch, claude: ClaudeActivities
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config = await ActivityEnvironment().run(claude.llm_config)
    assert not config.available and config.reason == "ANTHROPIC_API_KEY is not set"
    err = await failure(claude)
    assert err.type in NON_RETRYABLE_ERROR_TYPES and err.non_retryable


async def test_unknown_schema_fails_before_calling(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    bad = call_request(claude.store).model_copy(update={"output_schema": "nope"})
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(claude.claude_call, bad)
    assert raised.value.non_retryable and raised.value.type in NON_RETRYABLE_ERROR_TYPES
    assert fake_anthropic.requests == []


async def test_count_tokens(fake_anthropic: FakeAnthropic, claude: ClaudeActivities) -> None:
    count = await claude.count_tokens("opus", PROMPT)
    sent = fake_anthropic.requests[0]
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.body["model"] == "claude-opus-5-5"
    assert count == len(json.dumps([sent.body["system"], sent.body["messages"]])) // 4


async def test_empty_script_answers_500_clearly(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    err = await failure(claude)
    assert "script is empty" in err.message and not err.non_retryable


async def test_cancellation_abandons_the_request(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    fake_anthropic.ok(json.dumps(TRIAGE), delay_s=5)
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(env.run(claude.claude_call, call_request(claude.store)), 2)


async def test_a_retry_after_the_answer_was_stored_does_not_call_again(
    fake_anthropic: FakeAnthropic, claude: ClaudeActivities
) -> None:
    """A worker killed between Claude's answer and the activity's completion must not
    pay twice: the retry finds the stored answer and returns the same result."""
    fake_anthropic.ok(json.dumps(TRIAGE), usage=USAGE)
    request = call_request(claude.store)
    first = await ActivityEnvironment().run(claude.claude_call, request)
    again = await ActivityEnvironment().run(claude.claude_call, request)
    assert len(fake_anthropic.messages) == 1
    assert again == first
