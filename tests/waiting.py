"""Waiting on a condition, as the tests must: never a sleep, never a time budget.

`until` polls a probe until it holds. A loaded 2-core machine may take its time; only a
probe that cannot ever hold is an error, and HANG_S (longer than the whole suite is
allowed to take) turns that hang into a failure that names what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POLL_S = 0.05
HANG_S = 900.0


async def until[T](probe: Callable[[], Awaitable[T]], what: str) -> T:
    """The probe's first truthy value."""
    started = time.monotonic()
    while not (value := await probe()):
        if time.monotonic() - started > HANG_S:
            raise AssertionError(f"{what} never happened")
        await asyncio.sleep(POLL_S)
    return value
