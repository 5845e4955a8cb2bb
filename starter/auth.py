"""`attune auth`: which credentials are in force, and what a file would cost to send.

Secrets are never printed whole: a key shows its public prefix and last four
characters, enough to tell two keys apart and nothing more. The API check is a
`messages.count_tokens` call, which is free, on each tier's model.

`recommend` rules, in order (constants below):
- tier: up to SMALL_TOKENS of input starts on haiku, larger inputs on sonnet; opus is
  reached by escalation, as attune's own routing does for single-file work;
- mode: without a working key, interactive (Claude subscription: no per-token bill);
  with one, batch when the work is bulk (at least BATCH_REPEATS sends, or at least
  BATCH_TOKENS of input) and can wait up to 24 hours for 50% off; automated (API)
  otherwise, with prompt caching when the same file is sent again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import anthropic
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table
from temporalio.envconfig import ClientConfigProfile

from activities.llm.claude import application_error
from activities.llm.pricing import PriceTable, load_prices, override_path
from starter import server
from workflows.schemas import TIERS, Tier, TokenUsage

KEY_PREFIX = "sk-ant-"
MIN_KEY_CHARS_TO_SHOW_TAIL = 16
CHECK_TIMEOUT = anthropic.Timeout(20.0, connect=5.0)

MAX_FILE_BYTES = 8 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
CHARS_PER_TOKEN = 4
OFFLINE_METHOD = f"offline estimate (chars/{CHARS_PER_TOKEN})"
OUTPUT_SHARE = 0.10
MIN_OUTPUT_TOKENS = 256
SMALL_TOKENS = 20_000
BATCH_REPEATS = 10
BATCH_TOKENS = 100_000
BATCH_DISCOUNT = 0.5

INTERACTIVE = "interactive (Claude subscription)"
AUTOMATED = "automated (API)"
BATCH = "batch (Message Batches API, 50% off)"


def mask(secret: str | None) -> str | None:
    """Short secrets show no tail at all: four of eight characters is half a key."""
    if not secret:
        return None
    prefix = KEY_PREFIX if secret.startswith(KEY_PREFIX) else ""
    tail = secret[-4:] if len(secret) >= MIN_KEY_CHARS_TO_SHOW_TAIL else ""
    return f"{prefix}…{tail}"


def api_key() -> str | None:
    return os.environ.get("ANTHROPIC_API_KEY") or None


def anthropic_client(key: str) -> anthropic.AsyncAnthropic:
    """No retries and a short timeout: a status check must answer, not wait it out."""
    return anthropic.AsyncAnthropic(api_key=key, max_retries=0, timeout=CHECK_TIMEOUT)


async def count_tokens(client: anthropic.AsyncAnthropic, model: str, text: str) -> int:
    """The API's error becomes the same one-line message a worker's activity would give."""
    try:
        counted = await client.messages.count_tokens(
            model=model, messages=[{"role": "user", "content": text}]
        )
    except anthropic.APIError as err:
        raise RuntimeError(str(application_error(err))) from err
    return counted.input_tokens


# --- status ---------------------------------------------------------------------------


class AnthropicCredentials(BaseModel):
    api_key: str | None = Field(description="masked")
    base_url: str | None


class TemporalCredentials(BaseModel):
    address: str
    namespace: str
    api_key: str | None = Field(description="masked")
    tls: bool


class TierPricing(BaseModel):
    """USD per million tokens."""

    tier: Tier
    model: str
    input: float
    output: float
    cache_write: float
    cache_read: float


class ApiCheck(BaseModel):
    status: Literal["ok", "error", "not checked"]
    detail: str


class AuthStatus(BaseModel):
    anthropic: AnthropicCredentials
    temporal: TemporalCredentials
    prices_source: str = Field(description="`packaged` or the override file in force")
    tiers: list[TierPricing]
    api: ApiCheck


def temporal_credentials() -> TemporalCredentials:
    """TLS is read from the connect config, which turns it on for an API key by default."""
    profile = ClientConfigProfile.load()
    address = profile.address or f"embedded dev server ({server.status().address})"
    return TemporalCredentials(
        address=address,
        namespace=profile.namespace or "default",
        api_key=mask(profile.api_key),
        tls=bool(profile.to_client_connect_config().get("tls")),
    )


def tier_pricing(prices: PriceTable) -> list[TierPricing]:
    return [
        TierPricing(
            tier=tier,
            model=prices.model(tier),
            input=float(prices.tiers[tier].input),
            output=float(prices.tiers[tier].output),
            cache_write=float(prices.tiers[tier].cache_write),
            cache_read=float(prices.tiers[tier].cache_read),
        )
        for tier in TIERS
    ]


async def api_check(prices: PriceTable) -> ApiCheck:
    """Every tier's model, since an override file can name a model the key may not use."""
    key = api_key()
    if key is None:
        return ApiCheck(status="not checked", detail="no key: ANTHROPIC_API_KEY is not set")
    async with anthropic_client(key) as client:
        for tier in TIERS:
            model = prices.model(tier)
            try:
                await count_tokens(client, model, "ping")
            except RuntimeError as err:
                return ApiCheck(status="error", detail=f"{tier} ({model}): {err}")
    return ApiCheck(status="ok", detail=f"count_tokens answered for {len(TIERS)} tier models")


async def auth_status(check_api: bool = True) -> AuthStatus:
    """Raises ValueError when the price table override is unreadable or invalid."""
    prices = load_prices()
    override = override_path()
    api = (
        await api_check(prices)
        if check_api
        else ApiCheck(status="not checked", detail="skipped on request")
    )
    return AuthStatus(
        anthropic=AnthropicCredentials(
            api_key=mask(api_key()), base_url=os.environ.get("ANTHROPIC_BASE_URL") or None
        ),
        temporal=temporal_credentials(),
        prices_source=str(override) if override else "packaged",
        tiers=tier_pricing(prices),
        api=api,
    )


def render_status(status: AuthStatus, console: Console) -> None:
    creds = Table("", "setting", "value", title="Credentials", show_header=False)
    a, t = status.anthropic, status.temporal
    for section, name, value in (
        ("Anthropic", "ANTHROPIC_API_KEY", a.api_key or "not set"),
        ("Anthropic", "ANTHROPIC_BASE_URL", a.base_url or "default (api.anthropic.com)"),
        ("Temporal", "address", t.address),
        ("Temporal", "namespace", t.namespace),
        ("Temporal", "api key", t.api_key or "not set"),
        ("Temporal", "TLS", "on" if t.tls else "off"),
    ):
        creds.add_row(section, name, value)
    console.print(creds)
    tiers = Table(
        "tier", "model", "input", "output", "cache write", "cache read",
        title=f"Models and prices, USD per million tokens ({status.prices_source})",
    )  # fmt: skip
    for p in status.tiers:
        tiers.add_row(
            p.tier, p.model, f"{p.input:g}", f"{p.output:g}", f"{p.cache_write:g}",
            f"{p.cache_read:g}",
        )  # fmt: skip
    console.print(tiers)
    colour = {"ok": "green", "error": "red", "not checked": "yellow"}[status.api.status]
    console.print(f"Anthropic API: [{colour}]{status.api.status}[/] ({status.api.detail})")


# --- recommend ------------------------------------------------------------------------


class TierCost(BaseModel):
    """USD for one file as input plus the assumed output."""

    tier: Tier
    model: str
    once_usd: float = Field(description="sent once, no caching")
    cache_write_usd: float = Field(description="first send, writing the prompt cache")
    cache_read_usd: float = Field(description="each later send within the cache's 5 minutes")
    batch_usd: float = Field(description="sent once through the Message Batches API")
    total_usd: float = Field(description="all sends: cached when repeated, batch excluded")


class ModeAdvice(BaseModel):
    mode: str
    recommended: bool
    reason: str


class Recommendation(BaseModel):
    path: str
    bytes: int
    input_tokens: int
    method: str
    note: str | None = None
    output_tokens: int
    repeats: int
    assumptions: list[str]
    costs: list[TierCost]
    start_tier: Tier
    tier_reason: str
    mode: str
    modes: list[ModeAdvice]


def read_text(path: Path) -> tuple[str, int]:
    """Every problem becomes one line naming the file, for the CLI to print as it is."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ValueError(f"{path} is a directory; give one file")
        if size > MAX_FILE_BYTES:
            raise ValueError(
                f"{path} is {size / 1024 / 1024:.1f} MiB; at most "
                f"{MAX_FILE_BYTES // 1024 // 1024} MiB is read"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        raise ValueError(f"{path} looks binary; give a text file")
    try:
        return data.decode("utf-8"), len(data)
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte {err.start})") from None


def offline_tokens(text: str) -> int:
    return max(1, len(text) // CHARS_PER_TOKEN)


def tier_costs(
    prices: PriceTable, input_tokens: int, output_tokens: int, repeats: int
) -> list[TierCost]:
    costs = []
    once_usage = TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens)
    write_usage = TokenUsage(cache_creation_input_tokens=input_tokens, output_tokens=output_tokens)
    read_usage = TokenUsage(cache_read_input_tokens=input_tokens, output_tokens=output_tokens)
    for tier in TIERS:
        once = prices.cost(tier, once_usage)
        write = prices.cost(tier, write_usage)
        read = prices.cost(tier, read_usage)
        total = once if repeats == 1 else write + (repeats - 1) * read
        costs.append(
            TierCost(
                tier=tier,
                model=prices.model(tier),
                once_usd=once,
                cache_write_usd=write,
                cache_read_usd=read,
                batch_usd=round(once * BATCH_DISCOUNT, 10),
                total_usd=round(total, 10),
            )
        )
    return costs


def choose_tier(input_tokens: int) -> tuple[Tier, str]:
    if input_tokens <= SMALL_TOKENS:
        return "haiku", (
            f"{input_tokens:,} tokens is at most {SMALL_TOKENS:,}: start on the cheapest tier "
            "and escalate only when its answer fails the quality gate"
        )
    return "sonnet", (
        f"{input_tokens:,} tokens is over {SMALL_TOKENS:,}: a large input needs structured "
        "analysis from the start; opus stays an escalation"
    )


def choose_modes(
    input_tokens: int, repeats: int, key_works: bool, why_not: str
) -> list[ModeAdvice]:
    bulk = repeats >= BATCH_REPEATS or input_tokens >= BATCH_TOKENS
    bulk_because = (
        f"{repeats} sends (at least {BATCH_REPEATS})"
        if repeats >= BATCH_REPEATS
        else f"{input_tokens:,} input tokens (at least {BATCH_TOKENS:,})"
    )
    if not key_works:
        chosen = INTERACTIVE
    elif bulk:
        chosen = BATCH
    else:
        chosen = AUTOMATED
    caching = " with prompt caching for the repeats" if repeats > 1 else ""
    return [
        ModeAdvice(
            mode=INTERACTIVE,
            recommended=chosen == INTERACTIVE,
            reason=(
                f"{why_not}: paste the file into Claude under a subscription, no per-token bill"
                if not key_works
                else "possible, but a working key lets attune run it durably and track its cost"
            ),
        ),
        ModeAdvice(
            mode=AUTOMATED,
            recommended=chosen == AUTOMATED,
            reason=(
                f"a working key and no bulk: answers in seconds{caching}"
                if key_works
                else f"needs a working API key ({why_not})"
            ),
        ),
        ModeAdvice(
            mode=BATCH,
            recommended=chosen == BATCH,
            reason=(
                f"bulk work ({bulk_because}) that can wait up to 24 h is billed at 50%"
                if bulk
                else f"not bulk (fewer than {BATCH_REPEATS} sends and under "
                f"{BATCH_TOKENS:,} tokens): the discount does not repay a wait of up to 24 h"
            )
            + ("" if key_works else f"; needs a working API key ({why_not})"),
        ),
    ]


async def recommend(path: Path, online: bool, repeats: int = 1) -> Recommendation:
    """`online` asks count_tokens for the exact input size; without a working key the
    estimate is offline and labelled so. Raises ValueError with one line on bad input."""
    if repeats < 1:
        raise ValueError(f"repeats must be 1 or more, got {repeats}")
    text, size = read_text(path.expanduser())
    prices = load_prices()
    key = api_key()
    input_tokens, method, note = offline_tokens(text), OFFLINE_METHOD, None
    key_works, why_not = key is not None, "ANTHROPIC_API_KEY is not set"
    if key is not None and online:
        model = prices.model(TIERS[0])
        try:
            async with anthropic_client(key) as client:
                input_tokens = await count_tokens(client, model, text)
            method = f"count_tokens ({model})"
        except RuntimeError as err:
            key_works, why_not = False, f"the API did not answer: {err}"
            note = f"count_tokens failed, so the estimate is offline: {err}"
    elif key is not None:
        note = "offline on request: the key was not used"
    output_tokens = max(MIN_OUTPUT_TOKENS, round(input_tokens * OUTPUT_SHARE))
    tier, tier_reason = choose_tier(input_tokens)
    modes = choose_modes(input_tokens, repeats, key_works, why_not)
    return Recommendation(
        path=str(path),
        bytes=size,
        input_tokens=input_tokens,
        method=method,
        note=note,
        output_tokens=output_tokens,
        repeats=repeats,
        assumptions=[
            f"output is {OUTPUT_SHARE:.0%} of the input, at least {MIN_OUTPUT_TOKENS} tokens",
            "the whole file is the prompt; cached sends reuse it within the cache's 5 minutes",
            f"list prices from {override_path() or 'the packaged table'}",
        ],
        costs=tier_costs(prices, input_tokens, output_tokens, repeats),
        start_tier=tier,
        tier_reason=tier_reason,
        mode=next(m.mode for m in modes if m.recommended),
        modes=modes,
    )


def render_recommendation(rec: Recommendation, console: Console) -> None:
    console.print(
        f"[bold]{rec.path}[/]: {rec.bytes:,} bytes, {rec.input_tokens:,} input tokens "
        f"({rec.method}), {rec.output_tokens:,} output tokens assumed"
    )
    if rec.note:
        console.print(f"[yellow]{rec.note}[/]")
    costs = Table(
        "tier", "model", "once", "cache write", "cache read", "batch",
        f"total x{rec.repeats}", title="Cost per send, USD",
    )  # fmt: skip
    for c in rec.costs:
        costs.add_row(
            c.tier, c.model, f"{c.once_usd:.6f}", f"{c.cache_write_usd:.6f}",
            f"{c.cache_read_usd:.6f}", f"{c.batch_usd:.6f}", f"{c.total_usd:.6f}",
        )  # fmt: skip
    console.print(costs)
    for assumption in rec.assumptions:
        console.print(f"  assumes {assumption}")
    console.print(f"start tier: [bold]{rec.start_tier}[/] ({rec.tier_reason})")
    for m in rec.modes:
        marker = "[green]→[/]" if m.recommended else " "
        console.print(f"{marker} {m.mode}: {m.reason}")
