"""Running an engine against a target: its own subprocess, a temp cwd and a hard timeout.

Engines import and execute the code under test, which may hang, write files or exit
the interpreter; none of that may reach the worker. Each run gets a fresh session (so a
timeout kills the whole process group, grandchildren included), a temporary working
directory, and the import root on `PYTHONPATH` so the target imports as its own tests
would import it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from workflows.test_generation.candidates import CandidateTest, Engine, EngineOutcome, EngineStatus

IMPORT_PROBE = "import importlib, sys; importlib.import_module(sys.argv[1])"


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    def last_line(self) -> str:
        lines = (self.stderr or self.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit code {self.returncode}"


def target_env(import_root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    path = [str(import_root), *filter(None, [env.get("PYTHONPATH")])]
    env.update(PYTHONPATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run_bounded(
    cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float, stdin: str | None = None
) -> Finished:
    """Run `cmd` to completion or kill its process group after `timeout` seconds."""
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return Finished(proc.returncode, out, err, timed_out=True)
    return Finished(proc.returncode, out, err)


def import_error(
    module: str, import_root: Path, python: str, cwd: Path, timeout: float = 60.0
) -> str | None:
    """The last line of the error a fresh interpreter gets importing `module`, or None."""
    done = run_bounded(
        [python, "-c", IMPORT_PROBE, module],
        cwd=cwd,
        env=target_env(import_root),
        timeout=timeout,
    )
    if done.timed_out:
        return f"importing {module} did not finish in {timeout:.0f}s"
    return None if done.returncode == 0 else done.last_line()


@dataclass
class Clock:
    """An engine's run, timed from creation: `clock("skipped", why)` is its outcome."""

    engine: Engine
    started: float = field(default_factory=time.monotonic)

    def __call__(
        self, status: EngineStatus, reason: str = "", found: list[CandidateTest] | None = None
    ) -> EngineOutcome:
        return EngineOutcome(
            engine=self.engine,
            status=status,
            reason=reason,
            candidates=found or [],
            duration_s=round(time.monotonic() - self.started, 2),
        )
