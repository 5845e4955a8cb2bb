"""security-audit answers the `progress` query with the fields every flow has
(stage, done, total, detail), in step with its own counters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from temporalio.client import Client

from starter import runner
from tests.conftest import SAMPLE
from worker import running_worker
from workflows.registry import registry
from workflows.security_audit.models import AuditProgress, AuditRequest
from workflows.wire import PROGRESS_QUERY


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def test_progress_has_the_generic_fields(client: Client, sample: Path) -> None:
    request = AuditRequest(target=str(sample), batch_size=2)
    async with running_worker(client):
        handle = await runner.start_workflow(client, registry().flows["security-audit"], request)
        result = await handle.result()
        wire = await handle.query(PROGRESS_QUERY, result_type=dict)

    assert wire["stage"] == "done"
    assert wire["total"] == wire["files_total"] > 0
    assert wire["done"] == wire["files_scanned"] == wire["total"]
    assert wire["batches_done"] == wire["batches_total"] > 1
    assert wire["detail"] == (
        f"{result.summary.findings_total} findings, "
        f"{wire['batches_total']}/{wire['batches_total']} batches"
    )
    assert wire["findings"] == result.summary.findings_total


def test_an_answer_without_them_is_filled_in_from_the_audit_fields() -> None:
    """What an older worker answers still reads as a generic progress."""
    old = {"stage": "scan", "files_total": 9, "files_scanned": 4, "findings": 7}
    progress = AuditProgress.model_validate(old)
    assert (progress.done, progress.total, progress.detail) == (4, 9, "7 findings")
