"""Record histories for the replay tests: `python -m tests.record_histories`.

Runs each workflow on a throwaway dev server against the bundled sample and
saves its history as tests/histories/<workflow>-<n>.json.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from starter import runner
from tests.conftest import SAMPLE, temporal_cli
from worker import running_worker
from workflows.catalog import CATALOG
from workflows.schemas import AuditRequest
from workflows.wire import SEARCH_ATTRIBUTES

HISTORIES = Path(__file__).parent / "histories"


async def record() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "vulnerable_app"
        shutil.copytree(SAMPLE, target)
        async with env, running_worker(env.client):
            entry = CATALOG["security-audit"]
            handle = await runner.start_workflow(
                env.client, entry, AuditRequest(target=str(target), batch_size=3)
            )
            await handle.result()
            history = await handle.fetch_history()
    number = len(list(HISTORIES.glob(f"{entry.name}-*.json"))) + 1
    path = HISTORIES / f"{entry.name}-{number}.json"
    path.write_text(history.to_json())
    print(f"saved {path}")


if __name__ == "__main__":
    asyncio.run(record())
