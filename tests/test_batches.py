"""The shared chunk loop of the batched flows (activities/batches.py): results, the
heartbeated cursor, resuming from it, and where batches keep their results."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts, run_chunks
from activities.heartbeats import HEARTBEAT_S, heartbeating

FILES = [f"pkg/m{i}.py" for i in range(5)]
LENGTHS = TypeAdapter(list[int])
BASE = "runs/wf/run/artifacts/test/batch-00000"


class Recorder:
    """A chunk's work (the lengths of its file names) that remembers what it was given."""

    def __init__(self) -> None:
        self.chunks: list[list[str]] = []

    def __call__(self, chunk: list[str]) -> list[int]:
        self.chunks.append(chunk)
        return [len(name) for name in chunk]


async def chunked(env: ActivityEnvironment, store: ArtifactStore, work: Recorder):
    async def activity() -> tuple[list[list[int]], int]:
        with ThreadPoolExecutor(1) as pool:
            return await run_chunks(store, pool, FILES, 2, BASE, work, LENGTHS)

    return await env.run(activity)


async def test_run_chunks_resumes_after_the_last_heartbeated_chunk(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "home")
    first, beats = ActivityEnvironment(), []
    first.on_heartbeat = lambda *details: beats.append(details[0])
    whole, whole_from = await chunked(first, store, Recorder())
    assert [b["next_index"] for b in beats] == [2, 4, 5]
    assert all(set(b) == {"next_index", "chunks"} for b in beats)  # the cross-version shape
    assert [len(b["chunks"]) for b in beats] == [1, 2, 3]
    assert whole == [[9, 9], [9, 9], [9]]

    retry, work = ActivityEnvironment(), Recorder()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[0]])
    resumed, resumed_from = await chunked(retry, store, work)
    assert (whole_from, resumed_from) == (0, 2)
    assert work.chunks == [FILES[2:4], FILES[4:]]  # the first chunk was not run again
    assert resumed == whole


async def test_run_chunks_heartbeats_the_cursor_while_a_chunk_runs(tmp_path: Path) -> None:
    """A chunk longer than the heartbeat interval keeps the attempt alive: the cursor
    before it goes out while it runs. The work waits for that heartbeat, not a clock."""
    beat = threading.Event()
    env, beats = ActivityEnvironment(), []
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=0.3))

    def on_heartbeat(*details: object) -> None:
        beats.append(details[0])
        beat.set()

    env.on_heartbeat = on_heartbeat

    class Slow(Recorder):
        def __call__(self, chunk: list[str]) -> list[int]:
            if not self.chunks:
                assert beat.wait(timeout=60), "no heartbeat while the chunk ran"
            return super().__call__(chunk)

    _, resumed_from = await chunked(env, ArtifactStore(tmp_path / "home"), Slow())
    assert resumed_from == 0
    assert beats[0] == {"next_index": 0, "chunks": []}
    assert beats[-1]["next_index"] == len(FILES)


async def test_heartbeating_beats_within_a_short_heartbeat_timeout() -> None:
    """An activity whose heartbeat timeout is shorter than HEARTBEAT_S (a test's 5 s, or
    a user's) still heartbeats in time: a step that outlasts the timeout on a busy
    machine is not taken for a dead worker. The work waits for that heartbeat."""
    beat = threading.Event()
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=2))
    env.on_heartbeat = lambda *details: beat.set()

    def step() -> bool:
        return beat.wait(timeout=HEARTBEAT_S - 1)

    async def activity() -> bool:
        return await heartbeating(step)

    assert await env.run(activity), "no heartbeat within the activity's heartbeat timeout"


def test_run_artifacts_keys_and_stored_batch_results(tmp_path: Path) -> None:
    store, artifacts = ArtifactStore(tmp_path / "home"), RunArtifacts("bug-predict")
    assert artifacts.batch_result_key("wf/run", 3) == (
        "runs/wf/run/artifacts/bug-predict/batch-00003/result.json"
    )
    for index in range(2):
        store.put(artifacts.batch_result_key("wf/run", index), [index], LENGTHS)
    assert artifacts.batch_results(store, "wf/run", 2, LENGTHS) == [[0], [1]]
    with pytest.raises(FileNotFoundError, match="batch 2 of wf/run left no result"):
        artifacts.batch_results(store, "wf/run", 3, LENGTHS)
