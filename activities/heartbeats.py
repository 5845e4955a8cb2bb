"""Heartbeating while an activity waits on work that runs elsewhere (a process pool or
a thread), so a long wait never looks like a dead worker and a dead worker is noticed
long before the work would have ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from temporalio import activity

MAX_HEARTBEAT_INTERVAL = timedelta(seconds=10)
HEARTBEAT_S = 5.0


def heartbeat_interval(heartbeat_timeout: timedelta | None) -> float:
    """Seconds between heartbeats while a chunk runs: a third of the timeout, at most 10 s."""
    if not heartbeat_timeout:
        return MAX_HEARTBEAT_INTERVAL.total_seconds()
    return min(heartbeat_timeout / 3, MAX_HEARTBEAT_INTERVAL).total_seconds()


async def in_pool(pool: Executor, details: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` run in `pool`, heartbeating `details` at the activity's interval until
    it is done. CPU-bound work belongs there, not in a thread: parsing a whole tree in a
    thread holds the GIL the worker's workflow tasks need, and starved them into
    Temporal's TMPRL1101 deadlock warning on a loaded machine."""
    future = asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    return await _beat_until(future, heartbeat_interval(activity.info().heartbeat_timeout), details)


async def heartbeating[T](work: Callable[[], T]) -> T:
    """Run `work` in a thread, heartbeating (without details) until it returns: every
    HEARTBEAT_S, or sooner when the activity's heartbeat timeout is shorter, so a slow
    step on a busy machine is never taken for a dead worker."""
    interval = min(HEARTBEAT_S, heartbeat_interval(activity.info().heartbeat_timeout))
    return await _beat_until(asyncio.ensure_future(asyncio.to_thread(work)), interval)


async def _beat_until[T](future: asyncio.Future[T], interval: float, *details: Any) -> T:
    while True:
        done, _ = await asyncio.wait({future}, timeout=interval)
        if done:
            return future.result()
        activity.heartbeat(*details)
