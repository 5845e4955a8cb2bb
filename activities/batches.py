"""A batched flow's analysis, chunk by chunk, and where its batches keep their results.

A batch runs its files in chunks in the process pool. After each chunk it stores the
chunk's result and heartbeats a `ChunkCursor`, so a retry on another worker resumes
after the last chunk it reported. The cursor's JSON shape, `{"next_index": int,
"chunks": [ArtifactRef...]}`, is a contract between worker versions: a batch
heartbeated by an older worker resumes on a newer one.

Each finished batch stores its result at `RunArtifacts.batch_result_key`, so the report
reads every batch's result from the store and the workflow only passes their count.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from pydantic import BaseModel, TypeAdapter
from temporalio import activity

from activities.artifacts import ArtifactStore
from activities.heartbeats import in_pool
from workflows.schemas import ArtifactRef


class ChunkCursor(BaseModel):
    """Heartbeat details: how far a batch got, and where its finished chunks are."""

    next_index: int = 0
    chunks: list[ArtifactRef] = []


@dataclass(frozen=True)
class RunArtifacts:
    """Store keys of one flow's documents of a run."""

    flow: str

    def run_base(self, run_key: str) -> str:
        return f"runs/{run_key}/artifacts/{self.flow}"

    def batch_base(self, run_key: str, index: int) -> str:
        return f"{self.run_base(run_key)}/batch-{index:05d}"

    def batch_result_key(self, run_key: str, index: int) -> str:
        return f"{self.batch_base(run_key, index)}/result.json"

    def batch_results[T](
        self, store: ArtifactStore, run_key: str, count: int, adapter: TypeAdapter[T]
    ) -> list[T]:
        """Every batch's stored result; a batch that left none is an error."""
        results = []
        for index in range(count):
            stored = store.find(self.batch_result_key(run_key, index), adapter)
            if stored is None:
                raise FileNotFoundError(f"batch {index} of {run_key} left no result")
            results.append(stored[0])
        return results


async def run_chunks[T](
    store: ArtifactStore,
    pool: Executor,
    files: list[str],
    chunk_size: int,
    base: str,
    work: Callable[[list[str]], T],
    adapter: TypeAdapter[T],
) -> tuple[list[T], int]:
    """`work` of every chunk of `files` (run in `pool`, so it must pickle), each result
    stored under `base`; and the index this attempt resumed from (0 on a fresh start).

    Call it from the activity itself: it reads the cursor from the activity's heartbeat
    details and heartbeats the cursor while a chunk runs and after it is stored."""
    info = activity.info()
    details = info.heartbeat_details
    cursor = ChunkCursor.model_validate(details[0]) if details else ChunkCursor()
    resumed_from = cursor.next_index
    while cursor.next_index < len(files):
        chunk = files[cursor.next_index : cursor.next_index + chunk_size]
        result = await in_pool(pool, cursor.model_dump(mode="json"), work, chunk)
        ref = store.put(f"{base}/chunk-{len(cursor.chunks):04d}.json", result, adapter)
        cursor = ChunkCursor(
            next_index=cursor.next_index + len(chunk), chunks=[*cursor.chunks, ref]
        )
        activity.heartbeat(cursor.model_dump(mode="json"))
    return [store.get(ref, adapter) for ref in cursor.chunks], resumed_from
