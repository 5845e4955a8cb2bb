"""The attune worker: every workflow and activity, the pydantic converter, tracing.

`attune worker` runs it until SIGTERM/SIGINT, then lets running activities finish
their current step (graceful shutdown) before it exits; whatever is left is
picked up by the next worker from the activities' heartbeat cursors.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.artifacts import ArtifactStore
from activities.llm.claude import ClaudeActivities
from activities.llm.pricing import load_prices
from activities.llm.stage import LLMStageActivities
from activities.release_prep.agents import ReleaseAgentActivities
from activities.release_prep.report import ReleaseReportActivities
from activities.security_audit.activities import SecurityActivities
from activities.team_report import TeamReportActivities
from starter.plugins import load_plugins
from workflows.composed.workflow import ComposedWorkflow
from workflows.project_memory import ProjectMemoryWorkflow
from workflows.quality_checks.workflow import QualityChecksWorkflow
from workflows.release_prep.workflow import ReleasePrepWorkflow
from workflows.router import RouterActivities, RouterWorkflow
from workflows.security_audit.workflow import SecurityAuditWorkflow
from workflows.team import AgentWorkflow, SecurityAgentWorkflow, TeamWorkflow
from workflows.tier_escalation import TierEscalationWorkflow
from workflows.wire import TASK_QUEUE

WORKFLOWS = [
    SecurityAuditWorkflow,
    TierEscalationWorkflow,
    TeamWorkflow,
    AgentWorkflow,
    SecurityAgentWorkflow,
    ReleasePrepWorkflow,
    ProjectMemoryWorkflow,
    QualityChecksWorkflow,
    ComposedWorkflow,
    RouterWorkflow,
]


DEDICATED_WORKER = "worker"
logger = logging.getLogger("attune.worker")


def worker_identity(kind: str) -> str:
    """`attune-<kind>-<pid>@<host>`: readable in the UI, and checkable for liveness."""
    return f"attune-{kind}-{os.getpid()}@{socket.gethostname()}"


def scan_processes() -> int:
    return int(os.environ.get("ATTUNE_SCAN_PROCESSES") or os.cpu_count() or 1)


@asynccontextmanager
async def running_worker(
    client: Client, *, identity: str | None = None, max_concurrent_activities: int | None = None
) -> AsyncIterator[Worker]:
    """A started worker with its scanning process pool; both shut down on exit."""
    processes = scan_processes()
    pool = ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("forkserver")
    )
    store = ArtifactStore()
    security = SecurityActivities(store, pool)
    claude = ClaudeActivities(store, load_prices())
    llm_stage = LLMStageActivities(store)
    release = ReleaseAgentActivities(store)
    release_report = ReleaseReportActivities(store)
    team_report = TeamReportActivities(store)
    router = RouterActivities(store)
    limit = max_concurrent_activities or int(
        os.environ.get("ATTUNE_MAX_ACTIVITIES") or processes * 2
    )
    activities = [
        security.discover_files,
        security.scan_batch,
        security.build_audit_report,
        claude.llm_config,
        claude.claude_call,
        llm_stage.plan_triage,
        llm_stage.plan_remediation,
        release.run_tests,
        release.check_version,
        release.check_docs,
        release.check_health,
        release_report.write_release_report,
        team_report.write_quality_report,
        team_report.write_composed_report,
        llm_stage.write_prompt,
        llm_stage.read_answer,
        router.write_route_prompt,
        router.read_route_answer,
    ]
    plugins = load_plugins(WORKFLOWS, activities)
    for problem in plugins.errors:
        logger.warning("plugin skipped: %s", problem)
    worker = Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[*WORKFLOWS, *plugins.workflows],
        activities=[*activities, *plugins.activities],
        max_concurrent_activities=limit,
        graceful_shutdown_timeout=timedelta(seconds=10),
        **({"identity": identity} if identity else {}),
    )
    try:
        async with worker:
            yield worker
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


async def serve(client: Client) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_worker(client, identity=worker_identity(DEDICATED_WORKER)):
        await stop.wait()


if __name__ == "__main__":
    from starter.cli import run

    run(["worker"])
