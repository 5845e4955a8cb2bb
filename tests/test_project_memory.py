"""Project memory: stored in a long-running workflow, read by later audits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from activities import memory
from starter import runner
from tests.conftest import SAMPLE
from tests.test_cli import attune
from worker import running_worker
from workflows.project_memory import project_memory_id
from workflows.registry import registry
from workflows.schemas import MemoryEntry, ProjectMemoryState
from workflows.security_audit.models import AuditRequest
from workflows.wire import PROJECT_MEMORY, TASK_QUEUE


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def test_accepted_risk_is_marked_by_later_audits(client: Client, sample: Path) -> None:
    async with running_worker(client):
        first = await (
            await runner.start_workflow(
                client, registry().flows["security-audit"], AuditRequest(target=str(sample))
            )
        ).result()
        report = json.loads(Path(first.artifacts["json"]).read_text())
        md5 = next(f for f in report["findings"] if f["cwe"] == 328)
        await memory.store(
            client,
            str(sample),
            MemoryEntry(
                key=f"accepted-risk:{md5['fingerprint']}", value="legacy checksum", author="ann"
            ),
        )
        second = await (
            await runner.start_workflow(
                client, registry().flows["security-audit"], AuditRequest(target=str(sample))
            )
        ).result()
    again = json.loads(Path(second.artifacts["json"]).read_text())
    marked = [f for f in again["findings"] if f["accepted_risk"]]
    assert [(f["fingerprint"], f["accepted_risk"]) for f in marked] == [
        (md5["fingerprint"], "legacy checksum")
    ]
    assert second.summary.accepted_risks == 1
    assert second.summary.findings_total == first.summary.findings_total
    severity = md5["severity"]
    assert second.summary.counts[severity] == first.summary.counts[severity] - 1
    sarif = json.loads(Path(second.artifacts["sarif"]).read_text())
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed[0]["suppressions"][0]["justification"] == "legacy checksum"
    assert "Accepted risk" in Path(second.artifacts["markdown"]).read_text()


async def test_continues_as_new_and_keeps_everything(client: Client, tmp_path: Path) -> None:
    project = str(tmp_path / "busy")
    async with running_worker(client):
        handle = await client.start_workflow(
            PROJECT_MEMORY,
            ProjectMemoryState(project=project, history_limit=30),
            id=project_memory_id(project),
            task_queue=TASK_QUEUE,
        )
        for n in range(25):
            await memory.store(client, project, MemoryEntry(key=f"k{n}", value=n, author="t"))
        entries = await memory.retrieve(client, project)
        with pytest.raises(WorkflowUpdateFailedError):
            await memory.store(client, project, MemoryEntry(key=" ", value=1, author="t"))
    assert [e.value for e in sorted(entries, key=lambda e: int(e.key[1:]))] == list(range(25))
    desc = await client.get_workflow_handle(handle.id).describe()
    assert desc.run_id != handle.first_execution_run_id, "it continued as new"


def test_memory_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    stored = attune(cli_env, "memory", "store", "release-owner", "ann", "--project", str(project))
    assert stored.returncode == 0, stored.stderr
    got = attune(cli_env, "memory", "get", "release-owner", "--project", str(project), "--json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)[0]["value"] == "ann"
    listed = attune(cli_env, "memory", "list", "--project", str(project), "--json")
    assert [e["key"] for e in json.loads(listed.stdout)] == ["release-owner"]
    missing = attune(cli_env, "memory", "get", "nope", "--project", str(project))
    assert missing.returncode == 2 and "nothing stored" in missing.stderr
