"""Programmatic starters: start a flow, follow it, collect its report.

This is the API the CLI (and later MCP) call; it never does a workflow's work
itself. When no worker polls the task queue it runs one in-process while waiting,
so a lone `attune workflow run` always finishes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from activities.artifacts import ArtifactStore, attune_home
from activities.snapshots import snapshot_if_shared
from activities.target import shown_target
from starter.errors import BlockersPresent, NotWaiting, UnknownWorkflow
from workflows.registry import Flow
from workflows.schemas import ApprovalDecision, PendingApproval, Progress
from workflows.wire import (
    APPROVE_SIGNAL,
    ATTUNE_TARGET,
    ATTUNE_WORKFLOW,
    DEDICATED_WORKER,
    PENDING_APPROVALS_QUERY,
    PROGRESS_QUERY,
    TASK_QUEUE,
    TIER_ESCALATION,
)

POLLER_FRESHNESS = timedelta(seconds=90)
CLI_WORKER = "cli"
PROGRESS_INTERVAL_S = 0.3


def target_slug(target: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", target.name.lower()).strip("-")
    return (slug or "root")[:40].rstrip("-")


def new_workflow_id(name: str, target: Path) -> str:
    return f"{name}-{target_slug(target)}-{uuid.uuid4().hex[:8]}"


async def start_workflow(
    client: Client,
    flow: Flow,
    request: BaseModel,
    *,
    name: str | None = None,
    summary: str | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start `flow`; `name` and `summary` label a run of a user's spec (composed).
    With shared artifacts the target travels as a snapshot, taken here, so workers on
    other machines read what the starter sees."""
    store = ArtifactStore()
    if store.shared:
        snapshot = await asyncio.to_thread(snapshot_if_shared, store, request.target)
        request = request.model_copy(update={"target": snapshot})
    target = Path(shown_target(request.target))
    label = name or flow.name
    return await client.start_workflow(
        flow.workflow_type,
        request,
        id=new_workflow_id(label, target),
        task_queue=TASK_QUEUE,
        result_type=flow.result,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(ATTUNE_WORKFLOW, label),
                SearchAttributePair(ATTUNE_TARGET, str(target)),
            ]
        ),
        static_summary=f"{label} of {target}",
        static_details=summary or flow.summary,
    )


def _dedicated_and_alive(identity: str, last_access: datetime, now: datetime) -> bool:
    """Only `attune worker` processes count: CLI and embedded workers come and go with
    their process. A poller is remembered by the server for a while after its worker
    died; on this host the pid tells whether it still runs, elsewhere recency must do.
    """
    if not identity.startswith(f"attune-{DEDICATED_WORKER}-"):
        return False
    if now - last_access > POLLER_FRESHNESS:
        return False
    pid_part, _, host = identity.removeprefix(f"attune-{DEDICATED_WORKER}-").partition("@")
    if host == socket.gethostname() and pid_part.isdigit():
        try:
            os.kill(int(pid_part), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


async def dedicated_workers(client: Client) -> int:
    """How many dedicated workers poll attune's task queue."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    now = datetime.now(UTC)
    return len(
        {
            p.identity
            for p in response.pollers
            if _dedicated_and_alive(p.identity, p.last_access_time.ToDatetime(UTC), now)
        }
    )


async def worker_polling(client: Client) -> bool:
    """Whether a dedicated worker polls attune's task queue."""
    return await dedicated_workers(client) > 0


def log_to_file() -> Path:
    """Send this process's log records (an in-process worker's activity failures and
    their tracebacks) to `$ATTUNE_HOME/logs/worker.log`, never to the terminal."""
    log = attune_home() / "logs" / "worker.log"
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(log) for h in root.handlers):
        log.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    return log


@asynccontextmanager
async def worker_if_needed(client: Client) -> AsyncIterator[bool]:
    """Run an in-process worker for the duration when no dedicated worker polls.

    The worker module (every flow's activities, the Claude SDK) is imported only then:
    it is most of a CLI command's start-up CPU, wasted when a dedicated worker serves."""
    async with AsyncExitStack() as stack:
        started = False
        if not await worker_polling(client):
            from worker import running_worker, worker_identity

            log_to_file()
            identity = worker_identity(CLI_WORKER)
            await stack.enter_async_context(running_worker(client, identity=identity))
            started = True
        yield started


async def progress_of(
    handle: WorkflowHandle[Any, Any], interval_s: float = PROGRESS_INTERVAL_S
) -> AsyncIterator[Progress]:
    """Each new answer of the run's `progress` query, until the run closes, then its
    last one. The query is asked every `interval_s`; an answer equal to the previous
    one is not repeated. A query can race the run's first task or its end: that read
    is skipped, never raised, so a run that fails ends the iteration and its result
    tells why."""
    closed = asyncio.ensure_future(handle.result())
    last: Progress | None = None
    try:
        while True:
            done = closed.done()
            try:
                progress = await handle.query(PROGRESS_QUERY, result_type=Progress)
            except Exception:  # not answering yet, or no longer: keep waiting
                progress = None
            if progress is not None and progress != last:
                last = progress
                yield progress
            if done:
                return
            await asyncio.wait([closed], timeout=interval_s)
    finally:
        if closed.done():
            closed.exception()  # read here; the caller asks the result itself
        else:
            closed.cancel()


async def follow(
    handle: WorkflowHandle[Any, Any],
    on_progress: Callable[[Progress], None] | None = None,
) -> Any:
    """Wait for the result, feeding `on_progress` from the `progress` query meanwhile."""
    if on_progress is not None:
        async for progress in progress_of(handle):
            on_progress(progress)
    return await handle.result()


async def llm_stages(client: Client, workflow_id: str) -> list[str]:
    """The run itself when it is a TierEscalation, else the TierEscalation children it
    is running now: where `escalate`, `set_ceiling` and `set_budget` go."""
    desc = await describe(client, workflow_id)
    if desc.workflow_type == TIER_ESCALATION:
        return [workflow_id]
    query = (
        f'ParentWorkflowId = "{workflow_id}" AND WorkflowType = "{TIER_ESCALATION}" '
        'AND ExecutionStatus = "Running"'
    )
    return [execution.id async for execution in client.list_workflows(query)]


async def signal_llm_stages(client: Client, workflow_id: str, signal: str, arg: Any) -> list[str]:
    """Send `signal` to the run's LLM stages (see `llm_stages`); the ids signalled."""
    targets = await llm_stages(client, workflow_id)
    for target in targets:
        await client.get_workflow_handle(target).signal(signal, arg)
    return targets


async def pending_approvals(client: Client, workflow_id: str) -> list[PendingApproval]:
    return await client.get_workflow_handle(workflow_id).query(
        PENDING_APPROVALS_QUERY, result_type=list[PendingApproval]
    )


async def describe(client: Client, workflow_id: str) -> WorkflowExecutionDescription:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise UnknownWorkflow(f"no workflow with id {workflow_id!r}") from err
        raise


async def send_decision(
    client: Client, workflow_id: str, signal: str, decision: ApprovalDecision
) -> None:
    """Signal `approve`/`reject` only to a run that waits for one, and approve over
    blockers only when the decision says so: the CLI and MCP refuse alike."""
    desc = await describe(client, workflow_id)
    if desc.status != WorkflowExecutionStatus.RUNNING:
        status = desc.status.name.lower() if desc.status else "closed"
        raise NotWaiting(f"{workflow_id} is not waiting for a decision: it is {status}")
    try:
        pending = await pending_approvals(client, workflow_id)
    except WorkflowQueryFailedError as err:
        raise NotWaiting(f"{workflow_id} does not take approvals: {err}") from err
    if not pending:
        raise NotWaiting(f"{workflow_id} is not waiting for an approval")
    blockers = pending[0].blockers
    if signal == APPROVE_SIGNAL and blockers and not decision.override_blockers:
        raise BlockersPresent(blockers)
    await client.get_workflow_handle(workflow_id).signal(signal, decision)
