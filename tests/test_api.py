"""The Python API, the wire protocol for other languages, and examples/, against the
session's dev server.

One `attune worker` serves the whole module, so neither the API nor the example
scripts (subprocesses) start one of their own; the examples start at once, in
parallel, and each test waits for its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from starter import errors, protocol, runner
from starter.api import Attune
from tests.conftest import REPO, temporal_cli
from tests.record_histories import request_on
from tests.release.conftest import Repo, make_repo
from tests.waiting import until
from workflows.registry import Flow, registry
from workflows.router.models import RouteRequest, RouteResult
from workflows.security_audit.models import AuditResult
from workflows.wire import APPROVE_SIGNAL, PENDING_APPROVALS_QUERY, ROUTER, TASK_QUEUE

VULNERABLE = """import os

PASSWORD = "hunter2-hunter2-hunter2"


def run(cmd):
    return os.system(cmd)
"""
CLEAN = '''"""Greetings."""


def greet(name: str) -> str:
    """Say hello."""
    return f"Hello, {name}!"
'''
CHEAP: dict[str, dict[str, Any]] = {
    "document-gen": {"html_reference": False, "drafts": "none"},
    "test-generation": {"engines": ["ast"], "ast_budget_s": 5},
}
"""Parameters that keep the slow engines out of the every-flow run: the wire is tested."""
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
async def worker(client: Client, temporal_address: str) -> AsyncIterator[None]:
    """`attune worker`, as in production: the API and the examples find it polling and
    run none of their own; once it is stopped, no later test mistakes it for alive."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter.cli",
        "worker",
        env={**os.environ, "TEMPORAL_ADDRESS": temporal_address, "ATTUNE_MAX_ACTIVITIES": "32"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await until(lambda: runner.worker_polling(client), "attune worker polling")
        yield
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api") / "tiny"
    folder.mkdir()
    (folder / "app.py").write_text(VULNERABLE)
    return folder


@pytest.fixture(scope="module")
def changed_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A clean commit, then one that adds vulnerable code."""
    repo = Repo(tmp_path_factory.mktemp("api") / "changed")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("pkg/greet.py", CLEAN)
    repo.commit("greet")
    repo.write("pkg/shell.py", VULNERABLE)
    repo.write("NOTES.md", "not Python\n")
    repo.commit("shell out")
    return repo


# --- the examples, all started at once -------------------------------------------------


@dataclass
class Example:
    process: asyncio.subprocess.Process
    log: Path

    async def finished(self) -> tuple[int, str, str]:
        """Awaited, never blocked on: this process's event loop runs the worker."""
        out, err = await self.process.communicate()
        assert self.process.returncode is not None
        return self.process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="module")
async def examples(
    worker: None,
    temporal_address: str,
    tiny: Path,
    changed_repo: Repo,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, Example]]:
    scratch = tmp_path_factory.mktemp("examples")
    log = scratch / "progress.log"
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_address, "PYTHONUNBUFFERED": "1"}
    commands = {
        "audit_gate": ["audit_gate.py", str(tiny), "--fail-on", "high"],
        "release_gate": ["release_gate.py", str(make_repo(scratch / "release").path)],
        "changed_quality": ["changed_quality.py", str(changed_repo.path), "HEAD~1..HEAD"],
        "progress_log": ["progress_log.py", "security-audit", str(tiny), "--log", str(log)],
    }
    started = {
        name: Example(
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(EXAMPLES / script),
                *args,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                stdin=asyncio.subprocess.DEVNULL,
            ),
            log,
        )
        for name, (script, *args) in commands.items()
    }
    yield started
    for example in started.values():
        if example.process.returncode is None:
            example.process.kill()
            await example.process.wait()


# --- the Python API ---------------------------------------------------------------------


async def test_run_progress_result_report_attach(
    examples: dict[str, Example], client: Client, tiny: Path
) -> None:
    """The examples start first (the fixture), so they run alongside these tests."""
    attune = Attune(client)
    run = await attune.start("security-audit", target=str(tiny))
    stages = [progress.stage async for progress in run.progress()]
    assert stages[-1] == "done"
    result = await run.result()
    assert isinstance(result, AuditResult)
    assert result.summary.counts["high"] > 0
    assert await run.status() == "completed"
    report = await attune.report(run.id)
    assert report["workflow_id"] == run.id
    assert len(report["findings"]) == result.summary.findings_total
    attached = await attune.attach(run.id)
    assert await attached.result() == result
    with pytest.raises(errors.NotWaiting):
        await attune.approve(run.id)
    with pytest.raises(errors.NotWaiting):
        await attune.escalate(run.id)


async def test_errors_are_typed(worker: None, client: Client, tiny: Path) -> None:
    attune = Attune(client)
    with pytest.raises(errors.UnknownFlow):
        await attune.start("no-such-flow", target=str(tiny))
    with pytest.raises(errors.BadRequest) as bad:
        attune.request("security-audit", target=str(tiny), batch_size="many")
    assert isinstance(bad.value.errors, ValidationError)
    assert str(bad.value).startswith("batch_size: ")
    with pytest.raises(errors.BadRequest) as missing:
        attune.request("security-audit", target=str(tiny / "nowhere"))
    assert missing.value.errors is None and "does not exist" in str(missing.value)
    with pytest.raises(errors.UnknownWorkflow):
        await attune.attach("security-audit-nothing-00000000")
    run = await attune.start("security-audit", target=str(tiny))
    await run.cancel()
    with pytest.raises(errors.RunFailed) as failed:
        await run.result()
    assert failed.value.status == "cancelled"


# --- the wire, without attune -----------------------------------------------------------


def test_schemas_and_the_readme_table_are_current() -> None:
    assert protocol.stale() == []


def plain_request(flow: Flow, folder: Path, tiny: Path) -> dict[str, Any]:
    """The smallest JSON a client in another language would send."""
    if flow.target == "repository":
        target = make_repo(folder).path
    else:
        target = shutil.copytree(tiny, folder)
    request = request_on(flow, target).model_dump(mode="json", exclude_unset=True)
    return {**request, **CHEAP.get(flow.name, {})}


async def test_a_plain_client_starts_every_flow(
    examples: dict[str, Example], client: Client, temporal_address: str, tiny: Path, tmp_path: Path
) -> None:
    """Every flow from a dict, with the default converter; the examples run meanwhile.
    While release-prep waits, the API lists it and refuses to approve over blockers."""
    plain = await Client.connect(temporal_address)  # the default data converter
    attune = Attune(client)

    async def one(flow: Flow) -> tuple[str, Any]:
        request = plain_request(flow, tmp_path / flow.name, tiny)
        handle = await plain.start_workflow(
            flow.workflow_type,
            request,
            id=f"{flow.name}-plain-{uuid.uuid4().hex[:8]}",
            task_queue=TASK_QUEUE,
        )
        if flow.asks_approval:

            async def asked() -> Any:
                try:
                    return await handle.query(PENDING_APPROVALS_QUERY)
                except Exception:  # before its first task
                    return None

            pending = await until(asked, f"{flow.name} asking for a decision")
            assert handle.id in {w.workflow_id for w in (await attune.waiting()).approvals}
            if pending[0]["blockers"]:
                with pytest.raises(errors.BlockersPresent):
                    await attune.approve(handle.id, reviewer="ann")
            decision = {"reviewer": "plain", "override_blockers": True}
            await handle.signal(APPROVE_SIGNAL, decision)
        return flow.name, await handle.result()

    results = dict(await asyncio.gather(*(one(flow) for flow in registry().built())))
    for name, result in results.items():
        assert isinstance(result, dict), name
        assert result.get("workflow_id", "").startswith(f"{name}-plain-"), (name, result)
    assert results["security-audit"]["summary"]["counts"]["high"] > 0
    assert results["release-prep"]["status"] == "approved"
    assert results["release-prep"]["decisions"][-1]["reviewer"] == "plain"


async def temporal(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        temporal_cli(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_temporal_cli_starts_an_audit(
    worker: None, temporal_address: str, tiny: Path
) -> None:
    workflow_id = f"security-audit-cli-{uuid.uuid4().hex[:8]}"
    common = ("--address", temporal_address, "--workflow-id", workflow_id)
    code, _, err = await temporal(
        *("workflow", "start", "--type", "security-audit", "--task-queue", TASK_QUEUE),
        *("--input", json.dumps({"target": str(tiny)}), *common),
    )
    assert code == 0, err
    code, out, err = await temporal("workflow", "result", *common, "--output", "json")
    assert code == 0, err
    result = json.loads(out)["result"]
    assert result["status"] == "completed"
    assert result["summary"]["counts"]["high"] > 0


# --- the examples' outcomes (started with the plain-client test) ---------------------


async def test_audit_gate_fails_the_build_on_high_findings(examples: dict[str, Example]) -> None:
    code, out, err = await examples["audit_gate"].finished()
    assert code == 3, err
    assert "high: " in out and "app.py:" in out


async def test_release_gate_decides_from_code(examples: dict[str, Example]) -> None:
    code, out, err = await examples["release_gate"].finished()
    assert "started release-prep-" in out, err
    if "blockers: 0" in out:
        assert code == 0 and out.rstrip().endswith("approved"), out + err
    else:
        assert code == 1 and "blocker: " in out and out.rstrip().endswith("rejected"), out + err


async def test_changed_quality_checks_only_the_changed_files(
    examples: dict[str, Example],
) -> None:
    code, out, err = await examples["changed_quality"].finished()
    assert "1 changed: pkg/shell.py" in out, out + err
    assert code == 3, out + err


async def test_progress_log_streams_stages(examples: dict[str, Example]) -> None:
    code, _, err = await examples["progress_log"].finished()
    assert code == 0, err
    lines = examples["progress_log"].log.read_text().splitlines()
    assert "started security-audit-tiny-" in lines[0]
    assert any(" INFO done 1/1 " in line for line in lines), lines
    assert lines[-1].endswith("finished: completed")


@pytest.mark.skipif(
    not os.environ.get("TEMPORAL_CLOUD_API_KEY"),
    reason="Temporal Cloud: set TEMPORAL_CLOUD_ADDRESS, _NAMESPACE and _API_KEY",
)
def test_cloud_profile_connects() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "cloud_profile.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "connected to" in done.stdout


async def test_a_router_question_is_listed_and_answered(
    worker: None, client: Client, tiny: Path
) -> None:
    attune = Attune(client)
    handle = await client.start_workflow(
        ROUTER,
        RouteRequest(goal="look at this", path=str(tiny)),
        id=f"router-api-{uuid.uuid4().hex[:8]}",
        task_queue=TASK_QUEUE,
        result_type=RouteResult,
    )
    asked = await until(lambda: attune.question(handle.id), "the Router asking")
    assert "code-review" in asked.options
    listed = await attune.waiting()
    assert handle.id in {q.workflow_id for q in listed.questions}
    await attune.answer(handle.id, "code-review")
    routed = await handle.result()
    assert [ran.workflow for ran in routed.ran] == ["code-review"]
    with pytest.raises(errors.NotWaiting):
        await attune.answer(handle.id, "code-review")
