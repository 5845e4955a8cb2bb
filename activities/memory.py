"""Project memory from the outside: start it on first use, store through the
validated `store` update, read through the `memory_retrieve` query."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from workflows.project_memory import project_memory_id
from workflows.schemas import MemoryEntry, ProjectMemoryState
from workflows.wire import (
    MEMORY_RETRIEVE_QUERY,
    MEMORY_STORE_UPDATE,
    PROJECT_MEMORY,
    TASK_QUEUE,
)


def project_key(path: Path) -> str:
    return str(path.expanduser().resolve())


async def ensure_memory(client: Client, project: str) -> WorkflowHandle:
    return await client.start_workflow(
        PROJECT_MEMORY,
        ProjectMemoryState(project=project),
        id=project_memory_id(project),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"memory of {project}",
    )


async def store(client: Client, project: str, entry: MemoryEntry) -> MemoryEntry:
    handle = await ensure_memory(client, project)
    return await handle.execute_update(MEMORY_STORE_UPDATE, entry, result_type=MemoryEntry)


async def retrieve(client: Client, project: str, key: str | None = None) -> list[MemoryEntry]:
    """Entries of a project (all, one key, or a `prefix*`); none when it has no memory."""
    handle = client.get_workflow_handle(project_memory_id(project))
    try:
        return await handle.query(MEMORY_RETRIEVE_QUERY, key, result_type=list[MemoryEntry])
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
