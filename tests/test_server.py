"""The embedded dev server: started on demand, reused, stopped; runs survive it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from starter import server
from tests.conftest import SAMPLE
from tests.test_cli import attune


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_server_lifecycle(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        ATTUNE_HOME=str(tmp_path / "home"),
        ATTUNE_SERVER_PORT=str(free_port()),
        ATTUNE_UI_PORT=str(free_port()),
        TEMPORAL_CONFIG_FILE=str(tmp_path / "no-temporal-config.toml"),
    )
    try:
        assert attune(env, "server", "status").returncode == 1
        run = attune(env, "workflow", "run", "security-audit", str(SAMPLE), "--json")
        assert run.returncode == 0, run.stderr
        workflow_id = json.loads(run.stdout)["workflow_id"]
        assert (tmp_path / "home" / "temporal.db").exists()

        status = attune(env, "server", "status", "--json")
        info = json.loads(status.stdout)
        assert info["running"] and info["pid"]
        with urllib.request.urlopen(info["ui"], timeout=10) as page:
            assert page.status == 200

        assert attune(env, "server", "stop").returncode == 0
        assert attune(env, "server", "status").returncode == 1
        assert attune(env, "server", "start").returncode == 0
        again = attune(env, "workflow", "status", workflow_id, "--json")
        assert json.loads(again.stdout)["status"] == "completed", "the run outlived the server"
    finally:
        attune(env, "server", "stop")


# --- identity checks: `stop` and `status` act only on attune's own, verified server ---

# Stands in for `temporal server start-dev`: its argv carries the words attune checks
# (`server start-dev --port N --db-filename DB`); with --listen it answers on the port;
# with --child it leaves a `sleep` in its process group and prints that child's pid.
# It prints "ready" once set up (and its argv is readable: right after exec it is not).
FAKE_SERVER = """
import socket, subprocess, sys, time
args = sys.argv[1:]
if "--child" in args:
    child = subprocess.Popen(["sleep", "600"])
    print(child.pid, flush=True)
if "--listen" in args:
    listener = socket.socket()
    listener.bind(("127.0.0.1", int(args[args.index("--port") + 1])))
    listener.listen()
print("ready", flush=True)
time.sleep(600)
"""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait on the condition, never on a time budget; `what` names it if it hangs."""
    while not condition():
        time.sleep(0.05)


def gone(pid: int) -> bool:
    """No live process has `pid` (a zombie counts as gone)."""
    return server._identity(pid) is None


@pytest.fixture(params=["proc", "ps"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each identity test against /proc (Linux) and against ps(1) (other POSIX)."""
    if request.param == "proc" and not Path("/proc/self/stat").exists():
        pytest.skip("no /proc")
    if request.param == "ps" and not shutil.which("ps"):
        pytest.skip("no ps(1)")
    monkeypatch.setattr(server, "_identity_backend", lambda: request.param)
    return request.param


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ATTUNE_SERVER_PORT", str(free_port()))
    monkeypatch.setenv("ATTUNE_UI_PORT", str(free_port()))
    return server.attune_home()


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start real processes; whatever is still alive at the end is killed and reaped."""
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str], *, new_session: bool = True) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=new_session,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if os.getpgid(proc.pid) == proc.pid:  # its own session: take its children too
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def start_fake_server(
    spawn: Callable[..., subprocess.Popen[str]],
    database: Path,
    *extra: str,
    new_session: bool = True,
) -> tuple[subprocess.Popen[str], list[str]]:
    """Start FAKE_SERVER and wait for its "ready"; returns it and what it printed before."""
    proc = spawn(fake_server_argv(database, *extra), new_session=new_session)
    assert proc.stdout is not None
    printed: list[str] = []
    for line in proc.stdout:
        if line.strip() == "ready":
            return proc, printed
        printed.append(line.strip())
    raise AssertionError(f"the fake server exited with {proc.wait()}: {printed}")


def fake_server_argv(database: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        FAKE_SERVER,
        "server",
        "start-dev",
        "--port",
        str(server.grpc_port()),
        "--db-filename",
        str(database),
        *extra,
    ]


def argv_readable(pid: int) -> bool:
    found = server._identity(pid)
    return found is not None and bool(found.cmdline)


def pid_file(home: Path) -> Path:
    assert server.attune_home() == home
    return server._paths()[1]


def record(proc: subprocess.Popen[str], database: Path) -> Path:
    """Write the state file exactly as `server.start()` does for `proc`."""
    path = server._paths()[1]
    argv = proc.args
    assert isinstance(argv, list)
    server._write_record(path, proc.pid, [str(arg) for arg in argv], database)
    return path


def test_stop_never_signals_a_pid_from_a_plain_pid_file(
    home: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    """The old format names a pid and nothing else: after reuse, someone else's group."""
    bystander = spawn(["sleep", "600"])
    pid_file(home).write_text(str(bystander.pid))

    assert server.stop() is False
    assert bystander.poll() is None, "stop() signalled an unverified pid"
    assert not pid_file(home).exists()
    assert server.status().pid is None


@pytest.mark.parametrize("case", ["unrelated program", "other start time", "other database"])
def test_stop_spares_a_process_that_is_not_the_recorded_server(
    backend: str, home: Path, spawn: Callable[..., subprocess.Popen[str]], case: str
) -> None:
    database = server._paths()[0]
    if case == "unrelated program":  # the pid was reused by some other program
        bystander = spawn(["sleep", "600"])
        # Right after exec the argv is briefly unreadable (stop() would rightly keep the file).
        wait_for(lambda: argv_readable(bystander.pid), "sleep's argv")
        path = record(bystander, database)
    elif case == "other start time":  # same argv, but a later process under that pid
        bystander, _ = start_fake_server(spawn, database)
        path = record(bystander, database)
        state = json.loads(path.read_text())
        state["start_time"] += "0"
        path.write_text(json.dumps(state))
    else:  # a dev server, but someone else's (another database)
        bystander, _ = start_fake_server(spawn, home / "elsewhere.db")
        path = record(bystander, database)

    assert server.status().pid is None
    assert server.stop() is False
    assert bystander.poll() is None, "stop() signalled a process that is not attune's server"
    assert not path.exists(), "the stale state file was kept"


def test_stop_removes_the_state_of_a_dead_server(
    backend: str, home: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    proc, _ = start_fake_server(spawn, server._paths()[0])
    path = record(proc, server._paths()[0])
    proc.kill()
    proc.wait()

    assert server.status().pid is None
    assert server.stop() is False
    assert not path.exists()


def test_stop_signals_the_verified_server_and_its_process_group(
    backend: str, home: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    proc, printed = start_fake_server(spawn, server._paths()[0], "--child")
    child = int(printed[0])
    path = record(proc, server._paths()[0])
    assert server.status().pid == proc.pid

    assert server.stop() is True
    proc.wait()
    wait_for(lambda: gone(child), "the server's process group to be stopped")
    assert not path.exists()
    assert server.stop() is False


def test_stop_signals_only_the_server_when_it_leads_no_process_group(
    backend: str, home: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    """killpg on a non-leader would hit the group the pid happens to name (here: none)."""
    proc, _ = start_fake_server(spawn, server._paths()[0], new_session=False)
    assert os.getpgid(proc.pid) != proc.pid
    record(proc, server._paths()[0])

    assert server.stop() is True
    assert proc.wait() != 0


def test_status_reports_a_foreign_listener_as_not_running(home: Path) -> None:
    with socket.create_server((server.HOST, server.grpc_port())):
        state = server.status()
        assert (state.running, state.answering, state.foreign) == (False, True, True)
        assert state.pid is None
        # start() reuses whatever answers (connection.py relies on it) and spawns nothing.
        assert server.start().foreign
        assert not pid_file(home).exists()
        assert server.stop() is False


def test_status_running_means_the_verified_server_answers(
    backend: str,
    home: Path,
    spawn: Callable[..., subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = server._paths()[0]
    silent, _ = start_fake_server(spawn, database)
    record(silent, database)
    state = server.status()
    assert state.pid == silent.pid, "verified and alive, but not answering yet"
    assert (state.running, state.answering, state.foreign) == (False, False, False)
    silent.kill()
    silent.wait()

    listening, _ = start_fake_server(spawn, database, "--listen")
    path = record(listening, database)
    state = server.status()
    assert (state.running, state.answering, state.foreign) == (True, True, False)
    assert state.pid == listening.pid

    # Another port configured, answered by a stranger: attune's server is not that one.
    with socket.create_server((server.HOST, 0)) as stranger:
        monkeypatch.setenv("ATTUNE_SERVER_PORT", str(stranger.getsockname()[1]))
        state = server.status()
        assert (state.running, state.answering, state.foreign) == (False, True, True)
    monkeypatch.setenv("ATTUNE_SERVER_PORT", str(json.loads(path.read_text())["port"]))

    # The pid now names a different incarnation: whatever answers is foreign.
    reused = json.loads(path.read_text())
    reused["start_time"] += "0"
    path.write_text(json.dumps(reused))
    state = server.status()
    assert (state.running, state.answering, state.foreign) == (False, True, True)
    assert state.pid is None
    assert server.stop() is False
    assert listening.poll() is None


def test_unverifiable_platform_never_signals(
    home: Path, spawn: Callable[..., subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without /proc or ps(1) nothing can prove the pid is ours: never signal, keep the file."""
    monkeypatch.setattr(server, "_identity_backend", lambda: None)
    proc, _ = start_fake_server(spawn, server._paths()[0])
    path = record(proc, server._paths()[0])

    assert server.status().pid is None
    assert server.stop() is False
    assert proc.poll() is None
    assert path.exists()
