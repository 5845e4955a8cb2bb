"""release-prep end to end on a real git repository, with both decisions, via the
attune CLI and via `temporal workflow signal`, a worker SIGKILLed while it waits, and
the approval timeout on the time-skipping server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from starter import runner
from starter.connection import ensure_search_attributes
from tests.conftest import BIN, temporal_cli
from tests.release.conftest import FAILING_TESTS, Repo
from tests.test_cli import attune
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.release_prep.models import ReleasePrepRequest, ReleasePrepResult
from workflows.release_prep.workflow import release_team
from workflows.schemas import MemoryEntry, TeamRequest, TeamResult
from workflows.wire import ATTUNE_AWAITING, MEMORY_STORE_SIGNAL, TASK_QUEUE

ENTRY = registry().flows["release-prep"]


async def waiting(handle: WorkflowHandle) -> list:
    return await until(
        lambda: runner.pending_approvals(handle._client, handle.id), "an approval request"
    )


async def start(client: Client, repo: Repo, **params) -> WorkflowHandle:
    request = ReleasePrepRequest(target=str(repo.path), **params)
    return await runner.start_workflow(client, ENTRY, request)


UNSAFE_FIXTURE = """import pickle
import subprocess


def run(cmd, blob):
    subprocess.call(cmd, shell=True)
    subprocess.call(cmd + "x", shell=True)
    subprocess.call(cmd + "y", shell=True)
    subprocess.call(cmd + "z", shell=True)
    return pickle.loads(blob)
"""


async def test_approve_through_the_cli(client: Client, repo: Repo, cli_env: dict[str, str]) -> None:
    repo.write("tests/fixtures/unsafe.py", UNSAFE_FIXTURE)  # test data: never a blocker
    repo.commit("test: a fixture that shells out")
    async with running_worker(client):
        handle = await start(client, repo)
        (pending,) = await waiting(handle)
        assert pending.recommendation == "go", pending.blockers
        assert any("in tests or fixtures do not block" in w for w in pending.warnings)
        desc = await handle.describe()
        assert desc.typed_search_attributes.get(ATTUNE_AWAITING) == "approval"
        done = await asyncio.to_thread(
            attune, cli_env, "approve", handle.id, "--comment", "ship it", "--reviewer", "ann"
        )
        assert done.returncode == 0, done.stderr
        result = await client.get_workflow_handle(handle.id, result_type=ReleasePrepResult).result()
    assert result.status == "approved"
    (decision,) = result.decisions
    assert (decision.action, decision.reviewer, decision.text) == ("approved", "ann", "ship it")
    assert set(result.agents) == {
        "security",
        "review",
        "bugs",
        "testing",
        "version",
        "docs",
        "health",
    }
    assert all(a.status == "ok" for a in result.agents.values()), result.agents
    assert result.agents["testing"].data["passed"] >= 2
    report = Path(result.artifacts["markdown"]).read_text()
    assert "**approved**" in report and "by ann" in report
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_AWAITING) is None
    assert await scheduled_activities(handle) == [
        "plan_team",
        "recommend_release",
        "write_release_report",
    ]


async def scheduled_activities(handle: Any) -> list[str]:
    """The team and the go/no-go rules come from activities, not workflow code."""
    history = await handle.fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_reject_through_temporal_workflow_signal(
    client: Client, repo: Repo, temporal_address: str
) -> None:
    async with running_worker(client):
        handle = await start(client, repo)
        await waiting(handle)
        payload = json.dumps({"reviewer": "bob", "reason": "not this week"})
        done = await asyncio.to_thread(
            subprocess.run,
            [
                temporal_cli(),
                "workflow",
                "signal",
                "--address",
                temporal_address,
                "--workflow-id",
                handle.id,
                "--name",
                "reject",
                "--input",
                payload,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        result = await client.get_workflow_handle(handle.id, result_type=ReleasePrepResult).result()
    assert result.status == "rejected"
    assert [(d.action, d.reviewer, d.text) for d in result.decisions] == [
        ("rejected", "bob", "not this week")
    ]


async def test_blockers_need_an_explicit_override(
    client: Client, repo: Repo, cli_env: dict[str, str]
) -> None:
    repo.write("tests/test_demo.py", FAILING_TESTS)
    repo.commit("test: a failing test")
    async with running_worker(client):
        handle = await start(client, repo)
        (pending,) = await waiting(handle)
        assert pending.recommendation == "no-go"
        (blocker,) = [b for b in pending.blockers if b.startswith("testing")]
        (detail,) = [d for d in pending.blocker_details if d.message == blocker]
        assert (detail.agent, detail.file, detail.line) == ("testing", "tests/test_demo.py", 5)
        assert detail.command and "-m pytest" in detail.command
        assert detail.output_tail and "1 failed" in detail.output_tail
        refused = await asyncio.to_thread(attune, cli_env, "approve", handle.id)
        assert refused.returncode == 2
        assert "--override-blockers" in refused.stderr
        forced = await asyncio.to_thread(
            attune, cli_env, "approve", handle.id, "--override-blockers", "--reviewer", "cy"
        )
        assert forced.returncode == 0, forced.stderr
        result = await client.get_workflow_handle(handle.id, result_type=ReleasePrepResult).result()
    assert result.status == "approved"
    assert result.decisions[-1].override_blockers
    report = Path(result.artifacts["markdown"]).read_text()
    assert "(over blockers)" in report
    assert "  - at `tests/test_demo.py:5`" in report and "  - command: `" in report
    document = json.loads(Path(result.artifacts["json"]).read_text())
    details = document["recommendation"]["blocker_details"]
    assert any(d.get("file") == "tests/test_demo.py" for d in details)


async def test_worker_killed_while_waiting_then_approved(
    client: Client, repo: Repo, cli_env: dict[str, str]
) -> None:
    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "starter.cli", "worker"],
            env=cli_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    first = worker()
    try:
        handle = await start(client, repo)
        await waiting(handle)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    second = worker()
    try:
        done = await asyncio.to_thread(attune, cli_env, "approve", handle.id, "--reviewer", "dee")
        assert done.returncode == 0, done.stderr
        result = await asyncio.wait_for(
            client.get_workflow_handle(handle.id, result_type=ReleasePrepResult).result(), 120
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert result.status == "approved"
    assert result.decisions[0].reviewer == "dee"


async def test_team_runs_independent_agents_in_parallel_and_in_order(
    client: Client, repo: Repo
) -> None:
    async with running_worker(client):
        handle = await start(client, repo)
        await waiting(handle)
        await handle.signal("reject", {"reviewer": "t", "reason": "ordering test"})
        await handle.result()
    team = client.get_workflow_handle(f"{handle.id}-team")
    started, finished = {}, {}
    async for event in team.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            attrs = event.child_workflow_execution_started_event_attributes
            started[attrs.workflow_execution.workflow_id.rsplit("-", 1)[1]] = (
                event.event_time.ToDatetime()
            )
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            attrs = event.child_workflow_execution_completed_event_attributes
            finished[attrs.workflow_execution.workflow_id.rsplit("-", 1)[1]] = (
                event.event_time.ToDatetime()
            )
    first_finish = min(finished.values())
    independent = ["security", "testing", "version", "health"]
    assert all(started[role] <= first_finish for role in independent), "they ran together"
    assert started["docs"] >= finished["version"], "docs waited for version"


async def test_team_memory_reaches_dependent_agents(client: Client, repo: Repo) -> None:
    agents = [
        a
        for a in release_team(ReleasePrepRequest(target=str(repo.path)), "tests/memory")
        if a.role in ("version", "docs")
    ]
    note = MemoryEntry(key="version.note", value="ship on Friday", author="human")
    async with running_worker(client):
        handle = await client.start_workflow(
            "Team",
            TeamRequest(name="memory", target=str(repo.path), agents=agents),
            id="team-memory-test",
            task_queue=TASK_QUEUE,
            result_type=TeamResult,
            start_signal=MEMORY_STORE_SIGNAL,
            start_signal_args=[note],
        )
        result = await handle.result()
        stored = await handle.query(
            "memory_retrieve", "version.note", result_type=list[MemoryEntry]
        )
    assert stored[0].value == "ship on Friday"
    assert result.waves == [["version"], ["docs"]]
    docs = client.get_workflow_handle("team-memory-test-docs")
    first = await anext(aiter(docs.fetch_history_events()))
    (agent_input,) = await client.data_converter.decode(
        first.workflow_execution_started_event_attributes.input.payloads
    )
    assert agent_input["memory"]["version.note"] == "ship on Friday"
    assert agent_input["memory"]["version"]["data"]["version"] == "1.1.0"


async def test_approval_timeout_on_the_time_skipping_server(repo: Repo) -> None:
    path = shutil.which("temporal-test-server") or str(BIN / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=pydantic_data_converter
    )
    async with env:
        await ensure_search_attributes(env.client)
        async with running_worker(env.client):
            handle = await start(env.client, repo, approval_timeout_s=7 * 24 * 3600)
            result = await handle.result()
    assert result.status == "timed_out"
    assert result.decisions[0].action == "timed_out"


def test_a_bad_test_cmd_is_refused_before_the_run(repo: Repo, cli_env: dict[str, str]) -> None:
    done = attune(
        cli_env, "workflow", "run", "release-prep", str(repo.path), "--param", 'test_cmd="pytest'
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "attune: --param test_cmd: Value error, cannot be split into words: No closing quotation"
    ]
