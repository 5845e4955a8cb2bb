"""Defects of the core, each pinned by a test: runs that hung, causes that were lost,
tracebacks on the terminal, children without marks, decision tables in workflow code,
a prompt that Ctrl-C could not leave.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError

from starter import runner, telemetry
from tests.conftest import SAMPLE
from tests.fake_anthropic import FakeAnthropic
from tests.test_cli import attune
from worker import running_worker
from workflows.errors import root_cause
from workflows.registry import registry
from workflows.schemas import AgentSpec, TeamRequest, TeamResult, UsageMemo
from workflows.wire import ATTUNE_WORKFLOW, TASK_QUEUE, TEAM, USAGE_MEMO


async def test_a_bug_in_workflow_code_fails_the_run_with_its_cause(client: Client) -> None:
    """An invalid spec reached the composed workflow: its ValidationError used to retry
    the workflow task forever (RUNNING, task attempt 3, ...). It must fail the run."""
    flow = registry().flows["composed"]
    request = flow.request.model_construct(spec={"name": "broken"}, target=str(SAMPLE))
    async with running_worker(client):
        handle = await client.start_workflow(
            flow.workflow_type,
            request,
            id=f"composed-broken-{uuid.uuid4().hex[:8]}",
            task_queue=TASK_QUEUE,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert root_cause(failed.value).startswith("ValidationError: ")
    assert "steps" in root_cause(failed.value)


async def test_a_failed_agent_reports_the_innermost_cause(client: Client, tmp_path: Path) -> None:
    """Team agents used to say "Activity task failed"; the error underneath is what helps."""
    missing = tmp_path / "gone"
    request = TeamRequest(
        name="probe",
        target=str(missing),
        agents=[
            AgentSpec(
                role="version",
                workflow="Agent",
                params={"activity": "check_version", "run_key": "tests/probe"},
            )
        ],
    )
    async with running_worker(client):
        result = await client.execute_workflow(
            TEAM,
            request,
            id=f"team-probe-{uuid.uuid4().hex[:8]}",
            task_queue=TASK_QUEUE,
            result_type=TeamResult,
        )
    agent = result.agents["version"]
    assert agent.status == "failed"
    assert agent.summary == f"ApplicationError: target {missing} does not exist on this worker"


def test_the_in_process_worker_logs_tracebacks_to_its_log_not_the_terminal(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    """A 401 fails the Claude call activity; the SDK logs it with a traceback."""
    fake_anthropic.error(401, "authentication_error", "invalid x-api-key")
    app = tmp_path / "app"
    shutil.copytree(SAMPLE, app)
    env = {**cli_env, "ANTHROPIC_API_KEY": "bad", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    done = attune(env, "workflow", "run", "security-audit", str(app), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["llm"]["status"] == "failed"
    assert "Traceback" not in done.stderr
    log = Path(cli_env["ATTUNE_HOME"]) / "logs" / "worker.log"
    assert "Traceback" in log.read_text()


def test_a_goal_runs_once_confirmed_with_yes(cli_env: dict[str, str], tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(SAMPLE, app)
    asked = attune(cli_env, f"audit {app} for security")
    assert asked.returncode == 2
    assert "workflows: security-audit" in asked.stdout
    ran = attune(cli_env, f"audit {app} for security", "--yes")
    assert ran.returncode == 0, ran.stderr
    assert "security-audit: completed" in ran.stdout


def read_until(fd: int, text: str) -> str:
    """Read the terminal until `text` appears (a condition, however slow the start)."""
    seen = ""
    while text not in seen:
        ready, _, _ = select.select([fd], [], [])
        if ready:
            chunk = os.read(fd, 1024).decode(errors="replace")
            if not chunk:
                raise AssertionError(f"the terminal closed before {text!r}: {seen!r}")
            seen += chunk
    return seen


def test_ctrl_c_at_a_prompt_exits_130(cli_env: dict[str, str]) -> None:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "starter.cli"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=cli_env,
        close_fds=True,
    )
    os.close(terminal)
    try:
        read_until(controller, "What are you trying to accomplish?")
        # A signal landing between the prompt and the read it blocks in is only seen at
        # the next one, so press Ctrl-C until the CLI is gone, as a person would.
        while True:
            proc.send_signal(signal.SIGINT)
            try:
                assert proc.wait(timeout=0.5) == 130
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        proc.kill()
        os.close(controller)


async def children_of(client: Client, workflow_id: str) -> list[Any]:
    found = []
    async for execution in client.list_workflows(f'ParentWorkflowId = "{workflow_id}"'):
        found.append(execution)
        found += await children_of(client, execution.id)
    return found


async def test_every_run_is_marked_and_parents_roll_up_usage(client: Client) -> None:
    """Children used to have no AttuneWorkflow and no usage memo; now every run has
    both, a parent's memo includes its children's, and telemetry counts each once."""
    flow = registry().flows["quality-checks"]
    async with running_worker(client):
        handle = await runner.start_workflow(client, flow, flow.request(target=str(SAMPLE)))
        result = await handle.result()
    root_usage = result.usage
    assert root_usage is not None and root_usage.scan_cache_hits + root_usage.scan_cache_misses
    family = await children_of(client, handle.id)
    assert {e.workflow_type for e in family} >= {"Team", "SecurityAgent", "security-audit"}
    for execution in family:
        described = await client.get_workflow_handle(execution.id).describe()
        assert described.typed_search_attributes.get(ATTUNE_WORKFLOW), execution.workflow_type
        memo = await described.memo_value(USAGE_MEMO, None, type_hint=UsageMemo)
        assert memo is not None, execution.workflow_type
    cached = ("security-audit", "code-review", "bug-predict")
    caching = [e for e in family if e.workflow_type in cached]
    assert len(caching) == 3, "the runs that use the scan cache's file"
    misses = 0
    for run in caching:
        memo = await (await client.get_workflow_handle(run.id).describe()).memo_value(
            USAGE_MEMO, None, type_hint=UsageMemo
        )
        misses += memo.scan_cache_misses
    assert misses == root_usage.scan_cache_misses, "the root sums its children's, once"
    ids = [handle.id, *(e.id for e in family)]
    report = await telemetry.collect(client, days=1, workflow_ids=ids)
    assert report.scan_cache_misses == root_usage.scan_cache_misses
    assert report.scan_cache_hits == root_usage.scan_cache_hits


async def test_decision_tables_run_in_activities(client: Client, tmp_path: Path) -> None:
    """Which flows join a team is read from the registry by an activity, so adding a
    flow never changes how a waiting run replays."""
    flow = registry().flows["quality-checks"]
    async with running_worker(client):
        handle = await runner.start_workflow(client, flow, flow.request(target=str(SAMPLE)))
        await handle.result()
    history = await handle.fetch_history()
    scheduled = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled[0] == "plan_team"
