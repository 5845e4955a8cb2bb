"""scan_batch heartbeats while a chunk runs, and a cancelled attempt's pool work stops.

The activity runs for real (its code, a real process pool, real ruff and bandit
subprocesses) under `temporalio.testing.ActivityEnvironment`, which records its
heartbeats and cancels it the way the worker does; the last test runs a whole audit
on the dev server. Nothing here asserts a duration: the tests wait for events
(heartbeats, a subprocess showing up) and check what happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.discovery import FILES
from activities.security_audit.activities import BatchCursor, SecurityActivities
from activities.security_audit.scan_cache import ScanCache
from activities.security_audit.scanning import FINDINGS, ScanCancelled, batch_dir, scan_chunk
from starter import runner
from worker import running_worker
from workflows.registry import registry
from workflows.security_audit.models import AuditRequest, ScanBatch, ScanBatchResult

RUN_KEY = "security-audit-test-0000/run-1"
# Only a bound on waiting for an event, so a broken build fails instead of hanging.
# Slow for real: bandit on this many padded files takes seconds even on a fast machine.
SLOW_FILES = 200
MODULE = """\
import os
import pickle
import subprocess


def handler_{i}(request, data):
    subprocess.call("convert " + data, shell=True)
    os.system(data)
    return pickle.loads(data)
"""
PADDING = "".join(
    f"\ndef helper_{n}(x):\n    return [y * {n} for y in range(x)]\n" for n in range(150)
)


def write_corpus(root: Path, count: int) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        name = f"mod{i:03d}.py"
        (root / name).write_text(MODULE.format(i=i) + PADDING)
        names.append(name)
    return names


def make_batch(store: ArtifactStore, target: Path, files: list[str], bandit: bool) -> ScanBatch:
    ref = store.put(f"runs/{RUN_KEY}/artifacts/files.json", files, FILES, len(files))
    return ScanBatch(
        run_key=RUN_KEY,
        target=str(target),
        files=ref,
        index=0,
        start=0,
        end=len(files),
        chunk_size=1000,
        bandit=bandit,
    )


def activity_env(heartbeat_timeout_s: float) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        activity_type="scan_batch",
        heartbeat_timeout=timedelta(seconds=heartbeat_timeout_s),
        start_to_close_timeout=timedelta(minutes=30),
    )
    return env


def processes_in(cwd: Path, name: str) -> list[int]:
    """Live processes whose command line names `name` and whose working directory is
    `cwd` (the engines run with the target as cwd, so only this test's match)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            here = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if name.encode() in cmdline and here == str(cwd) and state != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class FifoFeeder:
    """Gives a FIFO content for every reader that opens it (the chunk, then ruff), from
    a thread that blocks in `open` until one does: no polling, no sleeping."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path, self.data = path, data
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._feed, daemon=True)

    def _feed(self) -> None:
        while not self.stopped.is_set():
            try:
                with self.path.open("wb") as fifo:
                    fifo.write(self.data)
            except BrokenPipeError:
                continue

    def __enter__(self) -> FifoFeeder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))  # wakes a blocked open
        self.thread.join()


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """One scanning process, started like the worker's pool."""
    executor = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("forkserver")
    )
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


async def test_heartbeats_while_a_chunk_runs(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    """A chunk that cannot finish until the test lets it (it reads a FIFO the test
    feeds only after three heartbeats) still heartbeats, re-sending the last cursor."""
    store = ArtifactStore(tmp_path / "home")
    target = tmp_path / "target"
    files = write_corpus(target, 2)
    os.mkfifo(target / "slow.py")
    files.insert(1, "slow.py")
    batch = make_batch(store, target, files, bandit=False)

    env = activity_env(heartbeat_timeout_s=0.6)
    beats: list[BatchCursor] = []
    mid_chunk = asyncio.Event()

    def on_heartbeat(*details: object) -> None:
        beats.append(BatchCursor.model_validate(details[0]))
        if sum(beat.next_index == 0 for beat in beats) >= 3:
            mid_chunk.set()

    env.on_heartbeat = on_heartbeat
    activities = SecurityActivities(store, pool)
    task = asyncio.create_task(env.run(activities.scan_batch, batch))
    try:
        await mid_chunk.wait()
    finally:
        # Only now can the chunk finish: slow.py gets content for every reader.
        with FifoFeeder(target / "slow.py", b"x = 1\n"):
            await asyncio.wait([task])
    result: ScanBatchResult = await task

    assert result.files_scanned == 3 and result.findings.count > 0
    during, after = beats[:-1], beats[-1]
    assert len(during) >= 3 and all(b.next_index == 0 and not b.chunks for b in during)
    assert after.next_index == 3 and len(after.chunks) == 1


async def test_cancelling_stops_the_chunk_in_the_pool(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    """Cancel the activity while bandit runs on a big chunk: the activity leaves a cancel
    marker, the chunk terminates bandit and stops, and the pool is free again."""
    store = ArtifactStore(tmp_path / "home")
    target = tmp_path / "target"
    batch = make_batch(store, target, write_corpus(target, SLOW_FILES), bandit=True)

    env = activity_env(heartbeat_timeout_s=3)
    beats: list[BatchCursor] = []
    bandit_seen = asyncio.Event()
    bandit_pids: list[int] = []

    def on_heartbeat(*details: object) -> None:
        """Heartbeats come while the chunk runs: each one looks for bandit."""
        beats.append(BatchCursor.model_validate(details[0]))
        if not bandit_pids and (found := processes_in(target, "bandit")):
            bandit_pids.extend(found)
            bandit_seen.set()

    env.on_heartbeat = on_heartbeat
    activities = SecurityActivities(store, pool)
    task = asyncio.create_task(env.run(activities.scan_batch, batch))
    await bandit_seen.wait()
    (bandit_pid,) = bandit_pids
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    marker = store.root / batch_dir(RUN_KEY, 0) / "cancel-1"
    assert marker.exists(), "the cancelled attempt marks its chunk cancelled"
    assert not alive(bandit_pid), "the chunk terminated bandit before the activity gave up"
    assert not processes_in(target, "ruff")
    assert all(beat.next_index == 0 for beat in beats), "the chunk never completed"
    cache = ScanCache(store.root / "cache" / "scan.sqlite")
    assert cache.conn.execute("SELECT count(*) FROM scan").fetchone() == (0,)
    # The only pool process is free: it runs the next job, and sees the chunk's marker.
    loop = asyncio.get_running_loop()
    with pytest.raises(ScanCancelled):
        await loop.run_in_executor(
            pool,
            scan_chunk,
            str(target),
            ["mod000.py"],
            str(tmp_path / "c.sqlite"),
            False,
            str(marker),
        )


def test_scan_chunk_keeps_its_four_argument_form(tmp_path: Path) -> None:
    target = tmp_path / "target"
    files = write_corpus(target, 2)
    result = scan_chunk(str(target), files, str(tmp_path / "cache.sqlite"), False)
    assert result.files_scanned == 2 and result.findings and result.cache_misses == 2
    marker = tmp_path / "cancel"
    again = scan_chunk(str(target), files, str(tmp_path / "cache.sqlite"), False, str(marker))
    assert again.cache_hits == 2, "a cancel path that does not exist changes nothing"


async def test_long_chunk_completes_on_its_first_attempt(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bandit on one big chunk (chunk_size=1000) outlasts the heartbeat timeout; the batch
    still finishes on its first attempt because it heartbeats while the chunk runs."""
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    target = tmp_path / "target"
    write_corpus(target, SLOW_FILES)
    request = AuditRequest(target=str(target), bandit=True, chunk_size=1000, heartbeat_timeout_s=3)
    async with running_worker(client):
        handle = await runner.start_workflow(client, registry().flows["security-audit"], request)
        result = await handle.result()
    assert result.summary.files_scanned == SLOW_FILES

    scheduled: dict[int, str] = {}
    attempts: dict[str, int] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attrs.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            attempts[scheduled[attrs.scheduled_event_id]] = attrs.attempt
    assert attempts["scan_batch"] == 1, "the batch never timed out"
    findings = ArtifactStore().get(result.findings, FINDINGS)
    assert {"bandit"} <= {tool for f in findings for tool in f.tools}
