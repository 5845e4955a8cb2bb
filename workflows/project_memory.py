"""ProjectMemory: what a project has decided, kept in Temporal itself.

One long-running workflow per project (its id is derived from the project's path),
holding entries such as `accepted-risk:<fingerprint>`, which later audits read to
mark those findings. Writes arrive as the `memory_store` signal or the `store`
update (validated, and answered with the stored entry); `memory_retrieve` reads.
It continues as new before its history grows large, carrying the entries over.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.schemas import MemoryEntry, ProjectMemoryState
    from workflows.wire import (
        MEMORY_RETRIEVE_QUERY,
        MEMORY_STORE_SIGNAL,
        MEMORY_STORE_UPDATE,
        PROJECT_MEMORY,
    )


def project_memory_id(project: str) -> str:
    """Readable and stable: the project's name plus a hash of its absolute path."""
    name = re.sub(r"[^a-z0-9]+", "-", PurePath(project).name.lower()).strip("-") or "root"
    digest = hashlib.sha256(project.encode()).hexdigest()[:8]
    return f"project-memory-{name[:40]}-{digest}"


@workflow.defn(name=PROJECT_MEMORY)
class ProjectMemoryWorkflow:
    @workflow.init
    def __init__(self, state: ProjectMemoryState) -> None:
        self._state = state

    @workflow.signal(name=MEMORY_STORE_SIGNAL)
    def memory_store(self, entry: MemoryEntry) -> None:
        self._put(entry)

    @workflow.update(name=MEMORY_STORE_UPDATE)
    def store(self, entry: MemoryEntry) -> MemoryEntry:
        return self._put(entry)

    @store.validator
    def _validate_store(self, entry: MemoryEntry) -> None:
        if not entry.key.strip():
            raise ValueError("a memory entry needs a key")

    @workflow.query(name=MEMORY_RETRIEVE_QUERY)
    def memory_retrieve(self, key: str | None = None) -> list[MemoryEntry]:
        entries = self._state.entries
        if key is None:
            return sorted(entries.values(), key=lambda e: e.key)
        if key.endswith("*"):
            return sorted(
                (e for k, e in entries.items() if k.startswith(key[:-1])), key=lambda e: e.key
            )
        return [entries[key]] if key in entries else []

    @workflow.run
    async def run(self, state: ProjectMemoryState) -> None:
        await workflow.wait_condition(
            lambda: (
                workflow.info().is_continue_as_new_suggested()
                or workflow.info().get_current_history_length() >= self._state.history_limit
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._state)

    def _put(self, entry: MemoryEntry) -> MemoryEntry:
        stored = entry.model_copy(update={"at": entry.at or workflow.now()})
        self._state.entries[stored.key] = stored
        return stored
