"""SIGKILL the worker mid-audit; a new worker finishes with nothing lost or redone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from activities.artifacts import ArtifactStore
from activities.security_audit.scanning import FINDINGS
from starter import runner
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.security_audit.models import AuditRequest, AuditResult, ScanBatchResult

FILES = 480
PARAMS = {"batch_size": 60, "chunk_size": 6, "heartbeat_timeout_s": 2}
VULNERABLE = """\
import hashlib
import os
import pickle
import subprocess


def handler_{i}(request, conn, data):
    conn.execute("SELECT * FROM t WHERE id = %s" % request.args["id"])
    subprocess.call("convert " + data, shell=True)
    os.system(data)
    return hashlib.md5(pickle.loads(data)).hexdigest()
"""
PADDING = "".join(
    f"\ndef helper_{n}(x):\n    return [y * {n} for y in range(x)]\n" for n in range(150)
)


def make_corpus(root: Path) -> Path:
    for i in range(FILES):
        package = root / f"pkg{i // 40:02d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{i:03d}.py").write_text(VULNERABLE.format(i=i) + PADDING)
    return root


def start_worker(
    env: dict[str, str], home: Path, wrapper: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """An `attune worker` process with one activity slot; `wrapper` runs it under
    another command (the fleet test's setpriv)."""
    return subprocess.Popen(
        [*(wrapper or []), sys.executable, "-m", "starter.cli", "worker"],
        env={
            **env,
            "ATTUNE_HOME": str(home),
            "ATTUNE_SCAN_PROCESSES": "1",
            "ATTUNE_MAX_ACTIVITIES": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def history(handle: WorkflowHandle) -> list:
    return [event async for event in handle.fetch_history_events()]


async def wait_for_mid_batch(handle: WorkflowHandle) -> None:
    """Until one batch has completed and another has reported heartbeat progress."""

    async def mid_batch() -> bool:
        events = await history(handle)
        completed = [
            e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        ]
        desc = await handle.describe()
        pending = desc.raw_description.pending_activities
        heartbeating = [
            p
            for p in pending
            if p.activity_type.name == "scan_batch" and p.heartbeat_details.payloads
        ]
        return len(completed) >= 2 and bool(heartbeating)

    await until(mid_batch, "the middle of a batch")


async def test_sigkill_mid_audit_then_resume(
    client: Client, cli_env: dict[str, str], tmp_path: Path
) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    request = AuditRequest(target=str(corpus), **PARAMS)
    home = tmp_path / "home"
    home.mkdir()

    doomed = start_worker(cli_env, home)
    handle = await runner.start_workflow(client, registry().flows["security-audit"], request)
    try:
        await wait_for_mid_batch(handle)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    events_at_kill = await history(handle)
    completed_before = {
        e.event_id
        for e in events_at_kill
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    }

    survivor = start_worker(cli_env, home)
    try:
        result = await asyncio.wait_for(
            client.get_workflow_handle(handle.id, result_type=AuditResult).result(), 120
        )
    finally:
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0, "the worker shuts down gracefully on SIGTERM"

    events = await history(handle)
    scheduled: dict[int, str] = {}
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_id
    batch_ids = [a for a in scheduled.values() if a.startswith("scan-batch-")]
    assert len(batch_ids) == len(set(batch_ids)) == FILES // PARAMS["batch_size"]

    started = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    started_attempt = {attrs.scheduled_event_id: attrs.attempt for attrs in started}
    converter = client.data_converter
    resumed = []
    for e in events:
        if e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            continue
        attrs = e.activity_task_completed_event_attributes
        if not scheduled[attrs.scheduled_event_id].startswith("scan-batch-"):
            continue
        if e.event_id in completed_before:
            assert started_attempt[attrs.scheduled_event_id] == 1, "a completed batch ran again"
        (batch,) = await converter.decode(attrs.result.payloads, [ScanBatchResult])
        if batch.resumed_from:
            resumed.append(batch)
            assert started_attempt[attrs.scheduled_event_id] > 1
    assert resumed, "the interrupted batch resumed from its heartbeat cursor"

    findings = ArtifactStore(home).get(result.findings, FINDINGS)
    async with running_worker(client):
        reference = await (
            await runner.start_workflow(client, registry().flows["security-audit"], request)
        ).result()
    expected = ArtifactStore().get(reference.findings, FINDINGS)
    assert [f.model_dump() for f in findings] == [f.model_dump() for f in expected]
    assert result.summary == reference.summary
