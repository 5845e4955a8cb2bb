"""The report and LLM-stage requests do not grow with the number of scan batches.

Each `scan_batch` stores its own result; the workflow passes a count, so 40 batches
make the same size of `build_audit_report` / `plan_triage` input as 5. Checked from
the history the dev server recorded, and the reports must still agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.artifacts import ArtifactStore
from activities.security_audit.scanning import FINDINGS
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.test_llm_audit import answer_everything
from worker import running_worker
from workflows.registry import registry
from workflows.security_audit.models import AuditRequest, AuditResult
from workflows.security_audit.workflow import BATCH_MANIFEST_PATCH, SecurityAuditWorkflow

FILES = 40
# What may differ between two runs' report requests besides the batch count: the
# count's own digits and a timestamp's fraction. One batch result inline is ~400 bytes.
SLACK_BYTES = 16
MODULE = """\
import hashlib
import subprocess


def handler_{i}(request, conn, data):
    conn.execute("SELECT * FROM t WHERE id = %s" % request.args["id"])
    subprocess.call("convert " + data, shell=True)
    return hashlib.md5(data).hexdigest()
"""


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    root = tmp_path / "corpus"
    for i in range(FILES):
        package = root / f"pkg{i // 10}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{i:02d}.py").write_text(MODULE.format(i=i))
    return root


async def audit(client: Client, target: Path, batch_size: int) -> tuple[WorkflowHandle, Any]:
    request = AuditRequest(target=str(target), batch_size=batch_size)
    async with running_worker(client):
        handle = await runner.start_workflow(client, registry().flows["security-audit"], request)
        result = await client.get_workflow_handle(handle.id, result_type=AuditResult).result()
    return handle, result


async def inputs(handle: WorkflowHandle) -> dict[str, list[int]]:
    """Input payload sizes of every activity the run scheduled, by activity type."""
    sizes: dict[str, list[int]] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            size = sum(len(p.data) for p in attrs.input.payloads)
            sizes.setdefault(attrs.activity_type.name, []).append(size)
    return sizes


async def patches(handle: WorkflowHandle) -> set[str]:
    found = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads:
                found.add(json.loads(payload.data)["id"])
    return found


async def test_report_request_does_not_grow_with_batches(client: Client, corpus: Path) -> None:
    few_handle, few = await audit(client, corpus, batch_size=FILES // 5)
    many_handle, many = await audit(client, corpus, batch_size=1)
    _, whole = await audit(client, corpus, batch_size=250)

    few_inputs, many_inputs = await inputs(few_handle), await inputs(many_handle)
    assert len(few_inputs["scan_batch"]) == 5 and len(many_inputs["scan_batch"]) == FILES
    (few_report,) = few_inputs["build_audit_report"]
    (many_report,) = many_inputs["build_audit_report"]
    assert abs(many_report - few_report) <= SLACK_BYTES, (few_report, many_report)
    assert BATCH_MANIFEST_PATCH in await patches(many_handle)

    def fingerprints(result: Any) -> list[str]:
        return [f.fingerprint for f in ArtifactStore().get(result.findings, FINDINGS)]

    assert whole.summary.findings_total > FILES
    assert few.summary == many.summary == whole.summary
    assert fingerprints(few) == fingerprints(many) == fingerprints(whole)

    # The new shape replays against today's code (the saved histories cover the old one).
    replayer = Replayer(workflows=[SecurityAuditWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(await many_handle.fetch_history())


async def test_llm_stage_requests_do_not_grow_with_batches(
    client: Client, corpus: Path, fake_anthropic: FakeAnthropic
) -> None:
    answer_everything(fake_anthropic)
    few_handle, _ = await audit(client, corpus, batch_size=FILES // 5)
    many_handle, many = await audit(client, corpus, batch_size=1)

    few_inputs, many_inputs = await inputs(few_handle), await inputs(many_handle)
    for stage in ("plan_triage", "plan_remediation"):
        (few_size,) = few_inputs[stage]
        (many_size,) = many_inputs[stage]
        assert abs(many_size - few_size) <= SLACK_BYTES, (stage, few_size, many_size)

    report = json.loads(Path(many.artifacts["json"]).read_text())
    assert report["llm"]["status"] == "ok", report["llm"]
    assert report["findings"] and all(f["llm"] for f in report["findings"]), (
        "every finding of every stored batch reached triage"
    )
