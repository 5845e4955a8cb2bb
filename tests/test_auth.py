"""`attune auth` against the loopback fake API: masking, the API check, recommendations."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from starter.auth import (
    AUTOMATED,
    BATCH,
    INTERACTIVE,
    OFFLINE_METHOD,
    AuthStatus,
    Recommendation,
    auth_status,
    mask,
    recommend,
    render_recommendation,
    render_status,
)
from tests.fake_anthropic import COUNT_TOKENS, FakeAnthropic, Recorded, Scripted, approximate_tokens

KEY = "sk-ant-api03-" + "s3cr3t" * 12 + "XYZW"


class ScriptedCounts(FakeAnthropic):
    """count_tokens answers from the script when one is queued: the base fake always 200s."""

    def _next(self, request: Recorded) -> Scripted:
        if request.path == COUNT_TOKENS and self.script:
            with self._lock:
                self.requests.append(request)
                return self.script.popleft()
        return super()._next(request)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedCounts]:
    with ScriptedCounts() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        yield fake


def text_of(render, value: AuthStatus | Recommendation) -> str:
    console = Console(file=io.StringIO(), width=200)
    render(value, console)
    return console.file.getvalue()


def test_mask_keeps_prefix_and_last_four_only() -> None:
    assert mask(KEY) == "sk-ant-…XYZW"
    assert mask("test-key") == "…", "a short secret shows no tail"
    assert mask("") is None and mask(None) is None


async def test_status_ok_against_fake_never_shows_the_key(
    scripted: ScriptedCounts, monkeypatch: pytest.MonkeyPatch, temporal_address: str
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_address)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "audits")
    monkeypatch.setenv("TEMPORAL_API_KEY", "temporal-" + "k" * 30 + "ABCD")
    status = await auth_status()
    assert status.api.status == "ok", status.api
    assert status.anthropic.api_key == "sk-ant-…XYZW"
    assert status.anthropic.base_url == scripted.url
    assert status.temporal.model_dump() == {
        "address": temporal_address,
        "namespace": "audits",
        "api_key": "…ABCD",
        "tls": True,
    }
    assert [t.model for t in status.tiers] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
    ]
    assert (status.tiers[0].input, status.tiers[0].cache_read) == (0.10, 0.01)
    assert status.prices_source == "packaged"
    checked = [r.body["model"] for r in scripted.requests if r.path == COUNT_TOKENS]
    assert checked == [t.model for t in status.tiers]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in scripted.requests)
    for shown in (status.model_dump_json(), text_of(render_status, status)):
        assert KEY not in shown and "s3cr3t" not in shown and "kkkk" not in shown


async def test_status_reports_401_text(scripted: ScriptedCounts) -> None:
    scripted.error(401, "authentication_error", "invalid x-api-key")
    status = await auth_status()
    assert status.api.status == "error"
    assert "claude-haiku-5-5" in status.api.detail
    assert "(401): invalid x-api-key" in status.api.detail
    assert len(scripted.requests) == 1, "no retries, no further tiers after a failure"


async def test_status_without_key_and_with_price_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[tiers.haiku]\nmodel = "claude-haiku-next"\ninput = 0.2\n')
    monkeypatch.setenv("ATTUNE_PRICES", str(prices))
    status = await auth_status()
    assert status.api.status == "not checked" and "no key" in status.api.detail
    assert status.anthropic.api_key is None
    assert status.temporal.address.startswith("embedded dev server (")
    assert status.prices_source == str(prices)
    assert (status.tiers[0].model, status.tiers[0].input) == ("claude-haiku-next", 0.2)
    assert status.tiers[0].output == 0.5, "an override changes only the fields it names"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "module.py"
    path.write_text("def handler(request):\n    return eval(request.args['q'])\n" * 40)
    return path


def by_hand(tokens: int) -> tuple[int, float]:
    """Haiku cost of one uncached send: 0.10 / 0.50 USD per million input / output."""
    output = max(256, round(tokens * 0.10))
    return output, (tokens * 0.10 + output * 0.50) / 1_000_000


async def test_recommend_offline_is_labelled(source: Path) -> None:
    rec = await recommend(source, online=True)
    tokens = len(source.read_text()) // 4
    output, haiku_once = by_hand(tokens)
    assert (rec.method, rec.input_tokens, rec.output_tokens) == (OFFLINE_METHOD, tokens, output)
    assert rec.costs[0].once_usd == pytest.approx(haiku_once, abs=1e-12)
    assert rec.costs[0].batch_usd == pytest.approx(haiku_once / 2, abs=1e-12)
    assert rec.start_tier == "haiku"
    assert rec.mode == INTERACTIVE
    assert "ANTHROPIC_API_KEY is not set" in rec.modes[0].reason
    assert OFFLINE_METHOD in text_of(render_recommendation, rec)


async def test_recommend_online_counts_with_the_api(
    source: Path, fake_anthropic: FakeAnthropic
) -> None:
    rec = await recommend(source, online=True, repeats=3)
    body = {"messages": [{"role": "user", "content": source.read_text()}]}
    tokens = approximate_tokens(body)
    assert (rec.method, rec.input_tokens) == ("count_tokens (claude-haiku-5-5)", tokens)
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-5-5"
    output, _ = by_hand(tokens)
    opus = rec.costs[2]
    write = (tokens * 5 + output * 20) / 1_000_000
    read = (tokens * 0.20 + output * 20) / 1_000_000
    assert opus.cache_write_usd == pytest.approx(write, abs=1e-12)
    assert opus.cache_read_usd == pytest.approx(read, abs=1e-12)
    assert opus.total_usd == pytest.approx(write + 2 * read, abs=1e-12)
    assert rec.mode == AUTOMATED and "prompt caching" in rec.modes[1].reason
    assert json.loads(rec.model_dump_json())["repeats"] == 3


async def test_recommend_batch_for_bulk(source: Path, fake_anthropic: FakeAnthropic) -> None:
    rec = await recommend(source, online=False, repeats=10)
    assert rec.method == OFFLINE_METHOD and rec.note and "offline on request" in rec.note
    assert fake_anthropic.requests == []
    assert rec.mode == BATCH and "10 sends" in rec.modes[2].reason


async def test_recommend_falls_back_when_the_api_refuses(
    source: Path, scripted: ScriptedCounts
) -> None:
    scripted.error(401, "authentication_error", "invalid x-api-key")
    rec = await recommend(source, online=True)
    assert rec.method == OFFLINE_METHOD
    assert rec.note and "invalid x-api-key" in rec.note
    assert rec.mode == INTERACTIVE


async def test_bad_files_raise_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\0\0\x01")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(9 * 1024 * 1024)
    cases = {
        tmp_path / "missing.py": "does not exist",
        tmp_path: "is a directory",
        binary: "looks binary",
        latin1: "is not UTF-8",
        huge: "9.0 MiB; at most 8 MiB",
    }
    for path, expected in cases.items():
        with pytest.raises(ValueError) as raised:
            await recommend(path, online=False)
        message = str(raised.value)
        assert expected in message and str(path) in message
        assert "\n" not in message
    with pytest.raises(ValueError, match="repeats"):
        await recommend(binary, online=False, repeats=0)
