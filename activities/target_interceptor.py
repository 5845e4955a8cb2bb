"""The worker's side of snapshot targets that must run before an activity: fetching.

Kept apart from activities/target.py, which the CLI imports through discovery, so the
CLI never loads the worker machinery.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.heartbeats import heartbeat_interval
from activities.target import SNAPSHOT_SCHEME, local_target


class _MaterialiseFirst(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        for arg in input.args:
            target = getattr(arg, "target", None)
            if isinstance(target, str) and target.startswith(SNAPSHOT_SCHEME):
                await _materialise_heartbeating(target)
        return await super().execute_activity(input)


async def _materialise_heartbeating(target: str) -> None:
    """Materialise in a thread, heartbeating meanwhile with the details the attempt
    started with, so a resumed activity's cursor survives a slow first fetch."""
    info = activity.info()
    task = asyncio.ensure_future(asyncio.to_thread(local_target, target))
    while not (await asyncio.wait({task}, timeout=heartbeat_interval(info.heartbeat_timeout)))[0]:
        activity.heartbeat(*info.heartbeat_details)
    task.result()


class SnapshotInterceptor(Interceptor):
    """Materialises an activity's snapshot target in a thread before the activity runs:
    fetching a large tree inside an async activity would block the worker's event loop,
    and with it every other activity's heartbeats."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _MaterialiseFirst(next)
