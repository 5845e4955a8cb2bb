"""The attune worker: every flow in the registry plus the shared building blocks.

Each flow contributes itself as a `SimplePlugin` (its workflows and activities); the
core plugin brings the building blocks every flow may use (tier escalation and
Claude calls, teams, project memory, the Router) and the failure policy. The same
plugins, without activities, make the `Replayer` of the determinism tests.

A worker polls the `attune` task queue (workflows and every other activity) and
`attune-llm` (Claude calls, rate-limited for the whole fleet), or one of them, as
starter/fleet.py's settings say; under Worker Versioning when a deployment is named.

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
import warnings
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.worker import Worker

from activities.artifacts import ArtifactStore
from activities.llm.claude import ClaudeActivities
from activities.llm.findings import FindingsLLMActivities
from activities.llm.pricing import load_prices
from activities.llm.stage import LLMStageActivities
from activities.resources import WorkerResources
from activities.routing.activities import RouterActivities
from activities.target_interceptor import SnapshotInterceptor
from activities.teams import TeamActivities
from starter.fleet import FleetSettings, adopt_if_first
from workflows.errors import WORKFLOW_FAILURE_TYPES
from workflows.project_memory import ProjectMemoryWorkflow
from workflows.registry import registry
from workflows.router.workflow import RouterWorkflow
from workflows.team import AgentWorkflow, TeamWorkflow
from workflows.tier_escalation import TierEscalationWorkflow
from workflows.wire import DEDICATED_WORKER, LLM_TASK_QUEUE, TASK_QUEUE

BUILDING_BLOCKS: list[type] = [
    TierEscalationWorkflow,
    TeamWorkflow,
    AgentWorkflow,
    ProjectMemoryWorkflow,
    RouterWorkflow,
]
LLM_SLOTS = 50
"""Claude calls wait on the network, not the CPU: many may be in flight; the
queue's rate limit, not this, keeps the fleet within the account's limits."""
logger = logging.getLogger("attune.worker")


def worker_identity(kind: str) -> str:
    """`attune-<kind>-<pid>@<host>`: readable in the UI, and checkable for liveness."""
    return f"attune-{kind}-{os.getpid()}@{socket.gethostname()}"


def scan_processes() -> int:
    return int(os.environ.get("ATTUNE_SCAN_PROCESSES") or os.cpu_count() or 1)


def quiet_about_user_code() -> None:
    """Compiling a user's file warns about its oddities (an invalid escape sequence in a
    string) on stderr, once per file and line: the code's own business, which the flows'
    rules report, never the worker's log."""
    warnings.filterwarnings("ignore", category=SyntaxWarning)


def scan_pool(processes: int) -> ProcessPoolExecutor:
    """The worker's process pool, for CPU-bound work (scans, whole-tree passes), which
    would hold the GIL the worker's workflow tasks need if it ran in a thread.

    The fork server imports this module (Temporal, pydantic, attune's schemas) once, so
    each pool process forks with them loaded instead of importing them again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=quiet_about_user_code
    )


def core_plugin(resources: WorkerResources | None) -> SimplePlugin:
    activities = None
    if resources is not None:
        claude = ClaudeActivities(resources.store, resources.prices)
        stage = LLMStageActivities(resources.store)
        findings = FindingsLLMActivities(resources.store)
        router = RouterActivities(resources.store)
        teams = TeamActivities(resources.store)
        activities = [
            claude.llm_config,
            claude.claude_call,
            stage.write_prompt,
            stage.read_answer,
            findings.plan_findings_triage,
            findings.plan_findings_explanation,
            router.write_route_prompt,
            router.read_route_answer,
            router.decide_route,
            router.describe_route,
            teams.plan_team,
        ]
    return SimplePlugin(
        "attune.core",
        workflows=BUILDING_BLOCKS,
        activities=activities,
        interceptors=[SnapshotInterceptor()],
        workflow_failure_exception_types=list(WORKFLOW_FAILURE_TYPES),
    )


def plugins(resources: WorkerResources | None) -> list[SimplePlugin]:
    """The core, then every built flow; `None` resources for a Replayer."""
    found = registry()
    for problem in found.errors:
        logger.warning("flow skipped: %s", problem)
    return [core_plugin(resources), *(flow.plugin(resources) for flow in found.built())]


@asynccontextmanager
async def running_worker(
    client: Client,
    *,
    identity: str | None = None,
    max_concurrent_activities: int | None = None,
    settings: FleetSettings | None = None,
) -> AsyncIterator[Worker]:
    """Started workers for the queues `settings` (default: the environment) name, with
    their scanning process pool; all shut down on exit. Yields the main queue's worker,
    or the Claude queue's when that is the only one.
    """
    fleet = settings or FleetSettings.from_env()
    processes = scan_processes()
    quiet_about_user_code()
    pool = scan_pool(processes)
    resources = WorkerResources(store=ArtifactStore(), pool=pool, prices=load_prices())
    limit = max_concurrent_activities or int(
        os.environ.get("ATTUNE_MAX_ACTIVITIES") or processes * 2
    )
    common = {
        "graceful_shutdown_timeout": timedelta(seconds=10),
        **fleet.versioning(),
        **({"identity": identity} if identity else {}),
    }
    workers: list[Worker] = []
    if fleet.queues in ("all", "main"):
        workers.append(
            Worker(
                client,
                task_queue=TASK_QUEUE,
                plugins=plugins(resources),
                tuner=fleet.activity_tuner(limit),
                **common,
            )
        )
    if fleet.queues in ("all", "llm"):
        claude = ClaudeActivities(resources.store, resources.prices)
        workers.append(
            Worker(
                client,
                task_queue=LLM_TASK_QUEUE,
                activities=[claude.claude_call],
                max_concurrent_activities=LLM_SLOTS,
                max_task_queue_activities_per_second=fleet.llm_rps,
                **common,
            )
        )
    try:
        if fleet.version is not None:
            await adopt_if_first(client, fleet.version)
        async with AsyncExitStack() as stack:
            for worker in workers:
                await stack.enter_async_context(worker)
            yield workers[0]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


async def serve(client: Client, settings: FleetSettings | None = None) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    identity = worker_identity(DEDICATED_WORKER)
    async with running_worker(client, identity=identity, settings=settings):
        await stop.wait()
