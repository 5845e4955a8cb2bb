"""Record histories for the replay tests: `python -m tests.record_histories`.

Runs security-audit on a throwaway dev server against the bundled sample, with
the LLM stages answered by the loopback fake Messages API, and saves the history
of the audit and of one of its TierEscalation children as
tests/histories/<workflow>-<n>.json.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities import memory
from starter import runner
from starter.specs import load_spec
from tests.conftest import SAMPLE, temporal_cli
from tests.fake_anthropic import FakeAnthropic
from tests.release.conftest import make_repo
from tests.test_llm_audit import answer_everything
from worker import running_worker
from workflows.catalog import CATALOG, COMPOSED
from workflows.composed.models import ComposedRequest
from workflows.project_memory import project_memory_id
from workflows.quality_checks.models import QualityChecksRequest
from workflows.release_prep.models import ReleasePrepRequest
from workflows.router import ROUTER, RouteRequest
from workflows.schemas import ApprovalDecision, MemoryEntry
from workflows.security_audit.models import AuditRequest
from workflows.wire import APPROVE_SIGNAL, SEARCH_ATTRIBUTES, TASK_QUEUE

HISTORIES = Path(__file__).parent / "histories"
FLOW = Path(__file__).parent.parent / "examples" / "flows" / "audit-and-approve.toml"


async def record() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    with tempfile.TemporaryDirectory() as scratch, FakeAnthropic() as fake:
        os.environ.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=fake.url)
        answer_everything(fake)
        target = Path(scratch) / "vulnerable_app"
        shutil.copytree(SAMPLE, target)
        async with env, running_worker(env.client):
            entry = CATALOG["security-audit"]
            handle = await runner.start_workflow(
                env.client, entry, AuditRequest(target=str(target), batch_size=3)
            )
            await handle.result()
            await save(env.client, handle.id, f"{handle.id}-triage-1")
            release = await runner.start_workflow(
                env.client,
                CATALOG["release-prep"],
                ReleasePrepRequest(target=str(make_repo(Path(scratch) / "demo").path)),
            )
            while not await runner.pending_approvals(env.client, release.id):
                await asyncio.sleep(0.2)
            await release.signal(APPROVE_SIGNAL, ApprovalDecision(reviewer="recorder"))
            await release.result()
            quality = await runner.start_workflow(
                env.client, CATALOG["quality-checks"], QualityChecksRequest(target=str(target))
            )
            await quality.result()
            await memory.store(
                env.client, str(target), MemoryEntry(key="owner", value="ann", author="recorder")
            )
            await save(env.client, quality.id, project_memory_id(str(target)))
            composed = await runner.start_workflow(
                env.client,
                COMPOSED,
                ComposedRequest(spec=load_spec(FLOW).model_dump(mode="json"), target=str(target)),
            )
            while not await runner.pending_approvals(env.client, composed.id):
                await asyncio.sleep(0.2)
            await composed.signal(APPROVE_SIGNAL, ApprovalDecision(reviewer="recorder"))
            await composed.result()
            router = await env.client.start_workflow(
                ROUTER,
                RouteRequest(goal="audit this code for security", path=str(target)),
                id="router-recorded",
                task_queue=TASK_QUEUE,
            )
            await router.result()
            await save(env.client, composed.id, router.id)
            team = f"{release.id}-team"
            await save(
                env.client,
                release.id,
                team,
                f"{team}-version",
                f"{team}-security",
                f"{team}-security-audit",
            )


async def save(client: Client, *workflow_ids: str) -> None:
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        history = await handle.fetch_history()
        name = (await handle.describe()).workflow_type
        number = len(list(HISTORIES.glob(f"{name}-*.json"))) + 1
        path = HISTORIES / f"{name}-{number}.json"
        path.write_text(history.to_json())
        print(f"saved {path}")


if __name__ == "__main__":
    asyncio.run(record())
