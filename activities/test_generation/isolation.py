"""The isolation runner: every candidate test runs alone, in a subprocess, with a timeout,
a fresh temp directory as its cwd, and no writes outside it.

Two guards, both documented in the report's `isolation` line:

- always, an audit hook installed by `sandbox/sitecustomize.py` before any code runs,
  refusing writes, removals, renames and mkdirs outside the temp directory;
- when attune runs as root and `setpriv` exists, the test also runs as uid/gid 65534
  (nobody) with no supplementary groups, so even a C extension cannot write where
  nobody may not. A module nobody cannot import (a target under a 0700 folder) runs
  with the audit hook alone, and the report says so.

pytest runs with the attune_probe plugin (sandbox/attune_probe.py), which measures the
module's line and branch coverage with coverage.py and says how each test ended, and
with no other plugin (PYTEST_DISABLE_PLUGIN_AUTOLOAD): the candidates need none (a
Hypothesis test runs without its plugin), and loading every plugin of the environment
would cost most of each run's time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from workflows.test_generation.models import Coverage

SANDBOX = Path(__file__).with_name("sandbox")
NOBODY = 65534
OUTPUT_TAIL = 2000
Outcome = Literal["passed", "failed", "error", "skipped"]


class TestResult(BaseModel):
    __test__ = False

    outcome: Outcome
    exception: str | None = None
    assertion: bool = False
    module_line: int | None = Field(
        default=None, description="Where the module under test was when it raised"
    )


class RunResult(BaseModel):
    """One run of a test file."""

    status: Literal["ran", "timed-out", "crashed"]
    tests: dict[str, TestResult] = Field(default_factory=dict)
    coverage: Coverage = Field(default_factory=Coverage)
    missing_lines: list[int] = Field(default_factory=list)
    output: str = ""

    def passed(self) -> bool:
        return (
            self.status == "ran"
            and bool(self.tests)
            and all(t.outcome == "passed" for t in self.tests.values())
        )


def run_group(
    command: list[str], cwd: Path, env: dict[str, str], timeout_s: float
) -> tuple[int | None, str]:
    """Exit code (None on timeout) and output of `command`, run in its own process group
    so a timeout also kills whatever it spawned."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return None, output
    return proc.returncode, output


def can_drop_privileges() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def nobody_can_import(module: str, import_root: Path, python: str, timeout_s: float) -> bool:
    """Whether uid 65534 can start `python` and import `module`: a quick check before
    the first test run under setpriv."""
    with tempfile.TemporaryDirectory(prefix="attune-nobody-") as tmp:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(import_root)}
        command = [
            "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
            python, "-B", "-c", f"import {module}",
        ]  # fmt: skip
        code, _ = run_group(command, Path(tmp), env, timeout_s)
    return code == 0


def _coverage(measured: dict) -> Coverage:
    summary = measured.get("summary", {})
    return Coverage(
        lines=sorted(measured.get("executed_lines", [])),
        branches=sorted(tuple(arc) for arc in measured.get("executed_branches", [])),
        statements=summary.get("num_statements", 0),
        branches_total=summary.get("num_branches", 0),
    )


def _env(work: Path, import_root: Path, module_file: Path, probe_out: Path) -> dict[str, str]:
    """The worker's environment minus its own pytest/coverage settings, plus the guard's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_", "PYTHON"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(SANDBOX), str(import_root)]),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        ATTUNE_SANDBOX_ALLOW=str(work),
        ATTUNE_PROBE_MODULE=str(module_file),
        ATTUNE_PROBE_OUT=str(probe_out),
        TMPDIR=str(work),
        HOME=str(work),
    )
    return env


def run_test_file(
    source: str,
    module_file: Path,
    import_root: Path,
    timeout_s: float,
    *,
    python: str = sys.executable,
    drop_privileges: bool = False,
    file_name: str = "test_candidate.py",
) -> RunResult:
    """Run `source` (a pytest file) alone, with `module_file`'s coverage measured."""
    with tempfile.TemporaryDirectory(prefix="attune-candidate-") as tmp:
        work = Path(tmp).resolve()
        (work / file_name).write_text(source, encoding="utf-8")
        (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        probe_out = work / "probe.json"
        command = [
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "attune_probe",
            "-c", str(work / "pytest.ini"), "--rootdir", str(work),
            f"--basetemp={work / 'basetemp'}", file_name,
        ]  # fmt: skip
        if drop_privileges:
            os.chown(work, NOBODY, NOBODY)
            for child in work.iterdir():
                os.chown(child, NOBODY, NOBODY)
            command = [
                "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
                *command,
            ]  # fmt: skip
        code, output = run_group(
            command, work, _env(work, import_root, module_file.resolve(), probe_out), timeout_s
        )
        if code is None:
            return RunResult(status="timed-out", output=output[-OUTPUT_TAIL:])
        if not probe_out.is_file():
            return RunResult(status="crashed", output=output[-OUTPUT_TAIL:])
        probe = json.loads(probe_out.read_text(encoding="utf-8"))
    return RunResult(
        status="ran",
        tests={name: TestResult.model_validate(t) for name, t in probe["tests"].items()},
        coverage=_coverage(probe["coverage"]),
        missing_lines=probe["coverage"].get("missing_lines", []),
        output=output[-OUTPUT_TAIL:],
    )


def import_probe(module: str) -> str:
    """A test that only imports the module: whether it imports at all, and its totals."""
    return f"import {module}\n\n\ndef test_import():\n    assert {module} is not None\n"
