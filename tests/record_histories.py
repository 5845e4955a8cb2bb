"""Record histories for the replay tests: `python -m tests.record_histories`.

Runs every built flow of the registry on a throwaway dev server, with the LLM stages
answered by the loopback fake Messages API, approves whatever waits for an approval,
then the Router and a project memory; saves one history per workflow type met (the
runs and their children) as tests/histories/<type>-<n>.json. Old files stay: every
saved history must keep replaying.

`--flows a,b --source DIR` records only those flows, on a copy of DIR instead of the
sample (for a new path the sample does not reach, such as the LLM stage of a flow that
finds nothing in it), and skips the Router and the project memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
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
from workflows.project_memory import project_memory_id
from workflows.registry import Flow, registry
from workflows.router.models import RouteRequest
from workflows.schemas import ApprovalDecision, MemoryEntry
from workflows.wire import APPROVE_SIGNAL, ROUTER, SEARCH_ATTRIBUTES, TASK_QUEUE

HISTORIES = Path(__file__).parent / "histories"
SPEC = Path(__file__).parent.parent / "examples" / "flows" / "audit-and-approve.toml"


def request_for(flow: Flow, scratch: Path, source: Path = SAMPLE) -> Any:
    folder = scratch / flow.name
    if flow.target == "repository":
        target = make_repo(folder).path
    else:
        target = shutil.copytree(source, folder)
    return request_on(flow, target)


def request_on(flow: Flow, target: Path) -> Any:
    """The flow's default request on `target`, with what each kind of flow needs besides."""
    assert flow.request is not None
    values: dict[str, Any] = {"target": str(target)}
    if flow.target == "repository" and "base" in flow.request.model_fields:
        values["base"] = "HEAD~1"  # a change to review: the repository's last commit
    if "spec" in flow.request.model_fields:
        values["spec"] = load_spec(SPEC).model_dump(mode="json")
    for name, field in flow.request.model_fields.items():
        if field.is_required() and name not in values and field.examples:
            values[name] = field.examples[0]  # research-synthesis's question
    return flow.request.model_validate(values)


async def approve_when_asked(client: Client, handle: WorkflowHandle[Any, Any]) -> Any:
    result = asyncio.ensure_future(handle.result())
    while not result.done():
        try:
            waiting = await runner.pending_approvals(client, handle.id)
        except Exception:  # a run that takes no approvals, or not started yet
            waiting = []
        if waiting:
            decision = ApprovalDecision(reviewer="recorder", override_blockers=True)
            await handle.signal(APPROVE_SIGNAL, decision)
        await asyncio.wait([result], timeout=0.2)
    return await result


async def family(client: Client, workflow_id: str) -> list[str]:
    ids = [workflow_id]
    async for child in client.list_workflows(f'ParentWorkflowId = "{workflow_id}"'):
        ids += await family(client, child.id)
    return ids


async def record(flows: set[str] | None = None, source: Path = SAMPLE) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    saved: set[str] = set()
    with tempfile.TemporaryDirectory() as folder, FakeAnthropic() as fake:
        scratch = Path(folder)
        os.environ.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=fake.url)
        answer_everything(fake)
        async with env, running_worker(env.client):
            client = env.client
            for flow in registry().built():
                if flows is not None and flow.name not in flows:
                    continue
                request = request_for(flow, scratch, source)
                handle = await runner.start_workflow(client, flow, request)
                await approve_when_asked(client, handle)
                await save(client, saved, *await family(client, handle.id))
            if flows is not None:
                return
            target = str(scratch / "security-audit")
            await memory.store(
                client, target, MemoryEntry(key="owner", value="ann", author="recorder")
            )
            router = await client.start_workflow(
                ROUTER,
                RouteRequest(goal="audit this code for security", path=target),
                id="router-recorded",
                task_queue=TASK_QUEUE,
            )
            await router.result()
            await save(client, saved, project_memory_id(target), *await family(client, router.id))


async def save(client: Client, saved: set[str], *workflow_ids: str) -> None:
    """The first history of each workflow type met in this recording."""
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        name = (await handle.describe()).workflow_type
        if name in saved:
            continue
        saved.add(name)
        history = await handle.fetch_history()
        number = len(list(HISTORIES.glob(f"{name}-*.json"))) + 1
        path = HISTORIES / f"{name}-{number}.json"
        path.write_text(history.to_json())
        print(f"saved {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Record replay histories.")
    parser.add_argument("--flows", help="Comma-separated flow names (default: every flow)")
    parser.add_argument("--source", type=Path, default=SAMPLE, help="Target to copy")
    args = parser.parse_args()
    flows = set(args.flows.split(",")) if args.flows else None
    asyncio.run(record(flows, args.source.resolve()))


if __name__ == "__main__":
    main()
