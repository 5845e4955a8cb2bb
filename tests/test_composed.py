"""User-composed workflows: a spec file run by the generic composed workflow."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from temporalio.client import Client

from starter import runner
from tests.conftest import REPO, SAMPLE
from tests.fake_anthropic import FakeAnthropic
from tests.test_cli import attune
from tests.test_llm_audit import answer_everything
from tests.waiting import until
from worker import running_worker

FLOW = REPO / "examples" / "flows" / "audit-and-approve.toml"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def test_spec_runs_steps_in_order_with_approval(
    client: Client, sample: Path, cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    answer_everything(fake_anthropic)
    env = {**cli_env, "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    async with running_worker(client):
        started = await asyncio.to_thread(
            attune, env, "workflow", "run", str(FLOW), str(sample), "--no-wait"
        )
        assert started.returncode == 0, started.stderr
        workflow_id = started.stdout.strip()
        assert workflow_id.startswith("audit-and-approve-vulnerable-app-")
        await until(lambda: runner.pending_approvals(client, workflow_id), "an approval request")
        approved = await asyncio.to_thread(
            attune, env, "approve", workflow_id, "--reviewer", "eve", "--comment", "fine"
        )
        assert approved.returncode == 0, approved.stderr
        watched = await asyncio.to_thread(attune, env, "workflow", "watch", workflow_id, "--json")
    assert watched.returncode == 0, watched.stderr
    report = json.loads(watched.stdout)
    steps = {s["id"]: s for s in report["steps"]}
    assert [steps[i]["status"] for i in ("audit", "summary", "sign_off")] == ["ok"] * 3
    assert "fix the SQL" in steps["summary"]["summary"]
    assert steps["sign_off"]["summary"] == "approved by eve: fine"
    (step_call,) = [
        m.body for m in fake_anthropic.messages if "user-defined" in m.body["system"][0]["text"]
    ]
    assert '"counts"' in step_call["messages"][0]["content"], "the audit reached the LLM step"


def test_spec_errors_are_one_line_with_the_line_number(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    flow = tmp_path / "broken.toml"
    flow.write_text(
        'name = "broken"\n\n[[steps]]\nid = "a"\nkind = "workflow"\nworkflow = "nope"\n'
    )
    done = attune(cli_env, "workflow", "run", str(flow), str(tmp_path))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"attune: {flow}:6: ")


def test_specs_in_the_folder_are_listed_and_runnable_by_name(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    shutil.copy(FLOW, folder)
    env = {**cli_env, "ATTUNE_WORKFLOWS": str(folder)}
    listed = attune(env, "workflow", "list", "--json")
    names = {row["name"]: row["source"] for row in json.loads(listed.stdout)}
    assert names["audit-and-approve"] == str(folder / FLOW.name)
