"""A safe rollout under Worker Versioning, with two builds of `attune worker`.

Build A takes a release-prep run to its approval; build B starts and is made current
with `temporal worker deployment set-current-version`; the approval then finishes the
old run on A (it is pinned to the build it started on) while a new run goes to B.

It has a dev server of its own: a versioned deployment owns the `attune` task queue
once it has a current version, so the session server's unversioned workers would get
no more work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeTaskQueueRequest,
    DescribeWorkerDeploymentRequest,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from starter import runner
from tests.conftest import start_dev_server, temporal_cli
from tests.release.conftest import Repo
from tests.waiting import until
from workflows.registry import registry
from workflows.release_prep.models import ReleasePrepRequest, ReleasePrepResult
from workflows.schemas import ApprovalDecision
from workflows.security_audit.models import AuditRequest
from workflows.wire import APPROVE_SIGNAL, LLM_TASK_QUEUE

DEPLOYMENT = "attune-rollout"
LLM_RPS = 2.5


@pytest.fixture
async def own_server() -> AsyncIterator[Client]:
    async with await start_dev_server() as env:
        yield env.client


@pytest.fixture
def builds(own_server: Client) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The builds `start_build` ran, by build id; stopped before their server is."""
    started: dict[str, subprocess.Popen[bytes]] = {}
    yield started
    for proc in started.values():
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in started.values():
        proc.wait()


def start_build(
    started: dict[str, subprocess.Popen[bytes]], client: Client, tmp_path: Path, build: str
) -> None:
    env = dict(os.environ)
    env.update(
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        ATTUNE_HOME=str(tmp_path / f"home-{build}"),
        ATTUNE_DEPLOYMENT=DEPLOYMENT,
        ATTUNE_BUILD_ID=build,
        ATTUNE_LLM_RPS=str(LLM_RPS),
    )
    log = (tmp_path / f"worker-{build}.log").open("wb")
    started[build] = subprocess.Popen(
        [sys.executable, "-m", "starter.cli", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def deployment(client: Client) -> tuple[str, set[str]]:
    """(current build id, every build id that has polled); ("", set()) before any."""
    try:
        info = (
            await client.workflow_service.describe_worker_deployment(
                DescribeWorkerDeploymentRequest(
                    namespace=client.namespace, deployment_name=DEPLOYMENT
                )
            )
        ).worker_deployment_info
    except RPCError:
        return "", set()
    builds = {v.deployment_version.build_id for v in info.version_summaries}
    return info.routing_config.current_deployment_version.build_id, builds


async def run_build(handle: WorkflowHandle) -> str:
    desc = await handle.describe()
    return desc.raw_description.workflow_execution_info.versioning_info.deployment_version.build_id


async def workflow_task_identities(handle: WorkflowHandle) -> set[str]:
    history = await handle.fetch_history()
    return {
        e.workflow_task_started_event_attributes.identity
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    }


def identity_of(proc: subprocess.Popen[bytes]) -> str:
    return f"attune-worker-{proc.pid}@"


async def test_a_waiting_run_finishes_on_its_build_while_new_runs_go_to_the_next(
    own_server: Client, builds: dict[str, subprocess.Popen[bytes]], repo: Repo, tmp_path: Path
) -> None:
    client = own_server
    flows = registry().flows
    start_build(builds, client, tmp_path, "A")

    async def a_is_current() -> bool:
        return (await deployment(client))[0] == "A"

    await until(a_is_current, "build A making itself current (the deployment's first build)")
    old = await runner.start_workflow(
        client, flows["release-prep"], ReleasePrepRequest(target=str(repo.path))
    )
    start_build(builds, client, tmp_path, "B")
    await until(lambda: runner.pending_approvals(client, old.id), "the old run's approval request")

    async def b_has_polled() -> bool:
        return "B" in (await deployment(client))[1]

    await until(b_has_polled, "build B polling")
    assert (await deployment(client))[0] == "A", "a later build never promotes itself"
    address = client.service_client.config.target_host
    set_current = [temporal_cli(), "worker", "deployment", "set-current-version", "--yes"]
    promote = subprocess.run(
        [*set_current, "--address", address, "--deployment-name", DEPLOYMENT, "--build-id", "B"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert promote.returncode == 0, promote.stderr
    assert (await deployment(client))[0] == "B"

    await old.signal(APPROVE_SIGNAL, ApprovalDecision(reviewer="ann", comment="ship it"))
    result = await client.get_workflow_handle(old.id, result_type=ReleasePrepResult).result()
    assert result.status == "approved"
    assert await run_build(old) == "A"
    (only,) = await workflow_task_identities(old)
    assert only.startswith(identity_of(builds["A"]))

    new = await runner.start_workflow(
        client, flows["security-audit"], AuditRequest(target=str(repo.path))
    )
    await new.result()
    assert await run_build(new) == "B"
    (only,) = await workflow_task_identities(new)
    assert only.startswith(identity_of(builds["B"]))

    llm_queue = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=LLM_TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            report_config=True,
        )
    )
    assert llm_queue.effective_rate_limit.requests_per_second == pytest.approx(LLM_RPS)
