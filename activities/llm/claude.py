"""Claude calls as Temporal activities: one activity per call, Temporal owns retries.

The SDK runs with `max_retries=0` so every attempt is an activity attempt, visible in
the workflow history; API errors become ApplicationErrors the RetryPolicy understands
(retryable with the server's `retry-after`, or non-retryable when retrying can't help).

The SDK is imported where a call is made, not with this module: its import takes more
than a second, most of a CLI command's start-up, and a run without a key never needs it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore
from activities.llm.outputs import OUTPUT_SCHEMAS, parse_answer
from activities.llm.pricing import PriceTable
from activities.metrics import record_call
from workflows.schemas import (
    TIERS,
    ArtifactRef,
    LLMCallRequest,
    LLMCallResult,
    LLMConfig,
    LLMPrompt,
    Tier,
    TierPrice,
    TokenUsage,
)

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message, Usage

REQUEST_TIMEOUT_S = 600.0
CONNECT_TIMEOUT_S = 10.0
HEARTBEAT_EVERY_S = 5.0

NOT_CONFIGURED = "AnthropicNotConfigured"
UNKNOWN_SCHEMA = "UnknownOutputSchema"
CLIENT_ERROR = "AnthropicClientError"
FAIL_FAST: dict[int, tuple[str, str]] = {
    400: ("AnthropicBadRequest", "Anthropic rejected the request as invalid"),
    401: ("AnthropicAuthentication", "Anthropic rejected the API key (check ANTHROPIC_API_KEY)"),
    403: ("AnthropicPermissionDenied", "the API key may not use this model or resource"),
    404: ("AnthropicNotFound", "Anthropic does not know this model or endpoint"),
    413: ("AnthropicRequestTooLarge", "the request is larger than the API accepts"),
}
NON_RETRYABLE_ERROR_TYPES: frozenset[str] = frozenset(
    {NOT_CONFIGURED, UNKNOWN_SCHEMA, CLIENT_ERROR, *(name for name, _ in FAIL_FAST.values())}
)
"""List these in the workflow's RetryPolicy.non_retryable_error_types as well."""

RETRYABLE_STATUS = {408: "AnthropicRequestTimeout", 409: "AnthropicConflict"}

PROMPT = TypeAdapter(LLMPrompt)


class RawCall(BaseModel):
    """The call's artifact: what Claude said, before any parsing, and what it cost."""

    message_id: str
    model: str
    stop_reason: str | None
    text: str
    usage: TokenUsage
    latency_s: float = 0.0


RAW = TypeAdapter(RawCall)


def retry_after(headers: Any) -> timedelta | None:
    """`retry-after-ms` is more precise than `retry-after` (seconds), so it wins."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name)) / scale
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return timedelta(seconds=seconds)
    return None


def status_error(err: anthropic.APIStatusError) -> ApplicationError:
    status = err.status_code
    detail = err.api_message or err.message
    request_id = f" [request-id {err.request_id}]" if err.request_id else ""
    if status in FAIL_FAST:
        error_type, what = FAIL_FAST[status]
        return ApplicationError(
            f"{what} ({status}): {detail}{request_id}", type=error_type, non_retryable=True
        )
    if status == 429:
        error_type = "AnthropicRateLimited"
    elif status == 529:
        error_type = "AnthropicOverloaded"
    elif status >= 500:
        error_type = "AnthropicServerError"
    elif status in RETRYABLE_STATUS:
        error_type = RETRYABLE_STATUS[status]
    else:
        return ApplicationError(
            f"Anthropic refused the request ({status}): {detail}{request_id}",
            type=CLIENT_ERROR,
            non_retryable=True,
        )
    return ApplicationError(
        f"Anthropic answered {status}: {detail}{request_id}",
        type=error_type,
        non_retryable=False,
        next_retry_delay=retry_after(err.response.headers),
    )


def application_error(err: anthropic.APIError) -> ApplicationError:
    """Map the SDK's errors onto what Temporal's RetryPolicy should do with them."""
    import anthropic

    if isinstance(err, anthropic.APIStatusError):
        return status_error(err)
    if isinstance(err, anthropic.APITimeoutError):
        return ApplicationError(f"Anthropic timed out: {err.message}", type="AnthropicTimeout")
    if isinstance(err, anthropic.APIConnectionError):
        return ApplicationError(
            f"cannot reach Anthropic: {err.message}", type="AnthropicConnectionError"
        )
    return ApplicationError(f"unexpected Anthropic error: {err.message}", type="AnthropicError")


@asynccontextmanager
async def heartbeating(every_s: float) -> AsyncIterator[None]:
    """A long generation must not look like a dead worker to the heartbeat timeout."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every_s)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def system_blocks(prompt: LLMPrompt) -> list[dict[str, Any]]:
    """The system prompt is the stable prefix, so it carries the cache breakpoint."""
    return [{"type": "text", "text": prompt.system, "cache_control": {"type": "ephemeral"}}]


def user_messages(prompt: LLMPrompt) -> list[dict[str, Any]]:
    return [{"role": "user", "content": prompt.user}]


def token_usage(usage: Usage) -> TokenUsage:
    return TokenUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
        cache_read_input_tokens=usage.cache_read_input_tokens or 0,
    )


class ClaudeActivities:
    """One instance per worker process, so one HTTP connection pool per process."""

    def __init__(
        self,
        store: ArtifactStore,
        prices: PriceTable,
        *,
        heartbeat_every_s: float = HEARTBEAT_EVERY_S,
    ) -> None:
        self.store = store
        self.prices = prices
        self.heartbeat_every_s = heartbeat_every_s
        self._client: anthropic.AsyncAnthropic | None = None

    def client(self) -> anthropic.AsyncAnthropic:
        """Built on first use; the key is passed explicitly so no profile on disk is used."""
        if self._client is None:
            import anthropic

            api_key = os.environ.get("ANTHROPIC_API_KEY")
            if not api_key:
                raise ApplicationError(
                    "ANTHROPIC_API_KEY is not set on this worker",
                    type=NOT_CONFIGURED,
                    non_retryable=True,
                )
            self._client = anthropic.AsyncAnthropic(
                api_key=api_key,
                max_retries=0,
                timeout=anthropic.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @activity.defn(name="llm_config")
    async def llm_config(self) -> LLMConfig:
        """Answered by the worker, since the key lives in its environment; no API call."""
        if not os.environ.get("ANTHROPIC_API_KEY"):
            return LLMConfig(available=False, reason="ANTHROPIC_API_KEY is not set")
        return LLMConfig(
            available=True,
            models={tier: self.prices.model(tier) for tier in TIERS},
            prices={
                tier: TierPrice.model_validate(price.model_dump(mode="json"))
                for tier, price in self.prices.tiers.items()
            },
        )

    @activity.defn(name="claude_call")
    async def claude_call(self, request: LLMCallRequest) -> LLMCallResult:
        if request.output_schema not in OUTPUT_SCHEMAS:
            raise ApplicationError(
                f"unknown output schema {request.output_schema!r}",
                type=UNKNOWN_SCHEMA,
                non_retryable=True,
            )
        key = f"runs/{request.run_key}/llm/{request.call_id}.json"
        if (stored := self.store.find(key, RAW)) is not None:
            call, raw = stored
            return self._result(request, call, raw, call.latency_s)
        prompt = self.store.get(request.prompt, PROMPT)
        model = self.prices.model(request.tier)
        started = time.monotonic()
        async with heartbeating(self.heartbeat_every_s):
            message = await self.create(model, request.max_tokens, prompt)
        call = RawCall(
            message_id=message.id,
            model=message.model,
            stop_reason=message.stop_reason,
            text="".join(block.text for block in message.content if block.type == "text"),
            usage=token_usage(message.usage),
            latency_s=round(time.monotonic() - started, 3),
        )
        raw = self.store.put(key, call, RAW)
        result = self._result(request, call, raw, call.latency_s)
        record_call(request, result)
        return result

    def _result(
        self, request: LLMCallRequest, call: RawCall, raw: ArtifactRef, latency_s: float
    ) -> LLMCallResult:
        """The same result whether the call just happened or a killed attempt paid for it:
        a retry after the answer was stored never calls (or bills) Claude again."""
        parsed = parse_answer(call.text, request.output_schema)
        error = parsed.error
        if error and call.stop_reason == "max_tokens":
            error = f"{error} (the answer was cut off at max_tokens={request.max_tokens})"
        return LLMCallResult(
            tier=request.tier,
            model=self.prices.model(request.tier),
            usage=call.usage,
            cost_usd=self.prices.cost(request.tier, call.usage),
            baseline_cost_usd=self.prices.baseline(call.usage),
            latency_s=latency_s,
            stop_reason=call.stop_reason,
            valid=parsed.error is None,
            error=error,
            confidence=parsed.confidence,
            raw=raw,
        )

    async def create(self, model: str, max_tokens: int, prompt: LLMPrompt) -> Message:
        import anthropic

        try:
            return await self.client().messages.create(
                model=model,
                max_tokens=max_tokens,
                system=system_blocks(prompt),
                messages=user_messages(prompt),
            )
        except anthropic.APIError as err:
            raise application_error(err) from err

    async def count_tokens(self, tier: Tier, prompt: LLMPrompt) -> int:
        """Checks key, model and prompt size for `attune auth` without paying for a call."""
        import anthropic

        try:
            counted = await self.client().messages.count_tokens(
                model=self.prices.model(tier),
                system=system_blocks(prompt),
                messages=user_messages(prompt),
            )
        except anthropic.APIError as err:
            raise application_error(err) from err
        return counted.input_tokens
