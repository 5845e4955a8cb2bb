"""The testing agent: runs the target's own test suite under coverage.py, for real,
and reports the coverage gaps test-generation would fill (it writes no test itself).

The suite runs in a subprocess with the interpreter that can import the target's
dependencies (its `.venv` when it has one), with coverage data, JUnit XML and byte
code kept out of the target. When the suite cannot run, the outcome says exactly
why; an empty or broken suite is never reported as a pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from activities.release_prep.project import target_python
from workflows.schemas import AgentResult

# pytest's documented exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html)
_NOT_RUN_REASONS = {
    2: "pytest was interrupted: errors during collection (import errors or syntax errors "
    "in test modules)",
    3: "pytest hit an internal error",
    4: "pytest was given an invalid command line or configuration",
    5: "no tests were found (pytest exit code 5)",
}
_MESSAGE_CHARS = 500
_TAIL_CHARS = 4000
MAX_NAMES_IN_DATA = 20
MAX_GAPS = 10


class FailedTest(BaseModel):
    nodeid: str
    kind: Literal["failure", "error"]
    message: str = ""


class CoverageGap(BaseModel):
    """A module's code the suite leaves uncovered: what test-generation would target."""

    file: str
    percent: float
    missing_lines: int
    missing_branches: int
    functions: list[str] = Field(description="Functions with uncovered lines or branches")


class TestOutcome(BaseModel):
    __test__: ClassVar[bool] = False  # a model, not a pytest test class

    status: Literal["passed", "failed", "not_run"]
    reason: str = ""
    interpreter: str
    command: list[str]
    exit_code: int | None = None
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[FailedTest] = Field(default_factory=list)
    coverage_percent: float | None = None
    gaps: list[CoverageGap] = Field(
        default_factory=list, description="The largest gaps in the shipped code, worst first"
    )
    duration_s: float = 0.0
    output_tail: str = ""


def _probe(python: str, target: Path) -> tuple[bool, bool]:
    """Whether `python` can import pytest and coverage (cwd=target, as the run will)."""
    code = (
        "import importlib.util as u;"
        "print(u.find_spec('pytest') is not None, u.find_spec('coverage') is not None)"
    )
    try:
        proc = subprocess.run(
            [python, "-c", code],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False, False
    words = proc.stdout.split()
    return words[:1] == ["True"], words[1:] == ["True"]


def _child_env(coverage_file: Path) -> dict[str, str]:
    """Our environment minus the worker's own pytest/coverage settings, plus the isolation."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_"))
    }
    env["COVERAGE_FILE"] = str(coverage_file)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(
    command: list[str], target: Path, env: dict[str, str], timeout_s: int
) -> tuple[int | None, str]:
    """Run in its own process group so a timeout also kills whatever the tests spawned."""
    proc = subprocess.Popen(
        command,
        cwd=target,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
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


def _nodeid(target: Path, classname: str, name: str) -> str:
    """`tests.test_x.TestK` + `test_b` -> `tests/test_x.py::TestK::test_b`."""
    dotted = [p for p in classname.split(".") if p] if classname else name.split(".")
    rest = [name] if classname else []
    for cut in range(len(dotted), 0, -1):
        module = Path(*dotted[:cut]).with_suffix(".py")
        if (target / module).is_file():
            return "::".join([module.as_posix(), *dotted[cut:], *rest])
    return "::".join([*dotted, *rest]) if classname else name


def _parse_junit(path: Path, target: Path) -> tuple[dict[str, int], list[FailedTest]]:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[FailedTest] = []
    for case in ET.parse(path).getroot().iter("testcase"):
        nodeid = _nodeid(target, case.get("classname", ""), case.get("name", ""))
        kind: Literal["failure", "error"] = "failure"
        element = case.find("failure")
        if element is None:
            kind, element = "error", case.find("error")
        if element is not None:
            counts["failed" if kind == "failure" else "errors"] += 1
            message = element.get("message") or (element.text or "")
            failures.append(FailedTest(nodeid=nodeid, kind=kind, message=message[:_MESSAGE_CHARS]))
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, failures


def _is_test_code(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(part in ("tests", "test", "testing") for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def coverage_gaps(files: dict[str, dict]) -> list[CoverageGap]:
    """The shipped modules with uncovered code, from coverage.py's JSON `files`, worst
    first, each with the functions test-generation would write tests for."""
    gaps = []
    for rel, data in files.items():
        summary = data["summary"]
        missing_lines = len(data["missing_lines"])
        missing_branches = summary.get("missing_branches", 0)
        if _is_test_code(rel) or not (missing_lines or missing_branches):
            continue
        functions = [
            name
            for name, f in data.get("functions", {}).items()
            if name and (f["missing_lines"] or f["summary"].get("missing_branches", 0))
        ]
        gaps.append(
            CoverageGap(
                file=rel,
                percent=round(float(summary["percent_covered"]), 1),
                missing_lines=missing_lines,
                missing_branches=missing_branches,
                functions=functions,
            )
        )
    gaps.sort(key=lambda g: (-(g.missing_lines + g.missing_branches), g.file))
    return gaps[:MAX_GAPS]


def _coverage(
    python: str, target: Path, env: dict[str, str], out: Path
) -> tuple[float | None, list[CoverageGap]]:
    proc = subprocess.run(
        [python, "-m", "coverage", "json", "-q", "-o", str(out)],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 or not out.is_file():
        return None, []
    report = json.loads(out.read_text())
    return round(float(report["totals"]["percent_covered"]), 2), coverage_gaps(report["files"])


def run_test_suite(target: Path, timeout_s: int) -> TestOutcome:
    """Run the target's tests under coverage; the outcome says whether they ran and how they did."""
    python = target_python(target)
    has_pytest, has_coverage = _probe(python, target)
    base = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if not has_pytest:
        return TestOutcome(
            status="not_run",
            reason=f"pytest cannot be imported by {python}",
            interpreter=python,
            command=[python, *base],
        )
    with tempfile.TemporaryDirectory(prefix="attune-tests-") as tmp:
        work = Path(tmp)
        junit = work / "junit.xml"
        env = _child_env(work / ".coverage")
        runner = ["-m", "coverage", "run", "--branch"] if has_coverage else []
        command = [python, *runner, *base, f"--junitxml={junit}"]
        started = time.monotonic()
        exit_code, output = _run(command, target, env, timeout_s)
        duration = round(time.monotonic() - started, 3)
        counts, failures = _parse_junit(junit, target) if junit.is_file() else ({}, [])
        coverage, gaps = (
            _coverage(python, target, env, work / "coverage.json")
            if has_coverage and exit_code in (0, 1)
            else (None, [])
        )
    status, reason = _verdict(exit_code, timeout_s, has_coverage)
    return TestOutcome(
        status=status,
        reason=reason,
        interpreter=python,
        command=command,
        exit_code=exit_code,
        failures=failures,
        coverage_percent=coverage,
        gaps=gaps,
        duration_s=duration,
        output_tail=output[-_TAIL_CHARS:],
        **counts,
    )


def _verdict(
    exit_code: int | None, timeout_s: int, has_coverage: bool
) -> tuple[Literal["passed", "failed", "not_run"], str]:
    if exit_code is None:
        return "not_run", f"the test suite did not finish within {timeout_s} s and was killed"
    if exit_code in _NOT_RUN_REASONS:
        return "not_run", _NOT_RUN_REASONS[exit_code]
    if exit_code not in (0, 1):
        return "not_run", f"pytest exited with unexpected code {exit_code}"
    no_coverage = "" if has_coverage else "coverage.py is not installed for the test interpreter"
    return ("passed" if exit_code == 0 else "failed"), no_coverage


def to_agent_result(outcome: TestOutcome, role: str) -> AgentResult:
    """Failing or erroring tests and a suite that could not run block the release."""
    names = [f.nodeid for f in outcome.failures]
    blockers: list[str] = []
    warnings: list[str] = []
    if outcome.status == "not_run":
        blockers.append(f"tests could not run: {outcome.reason}")
        summary = f"tests not run: {outcome.reason}"
    else:
        if outcome.failed or outcome.errors:
            shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
            blockers.append(
                f"{outcome.failed} failing and {outcome.errors} erroring tests: {shown}"
            )
        if outcome.reason:
            warnings.append(outcome.reason)
        cov = "n/a" if outcome.coverage_percent is None else f"{outcome.coverage_percent:.1f}%"
        summary = (
            f"{outcome.passed} passed, {outcome.failed} failed, {outcome.errors} errors, "
            f"{outcome.skipped} skipped; coverage {cov} in {outcome.duration_s:.1f} s"
        )
        if outcome.gaps:
            worst = outcome.gaps[0]
            summary += (
                f"; test-generation would fill gaps in {len(outcome.gaps)} module(s), "
                f"first {worst.file} ({worst.missing_lines} lines, "
                f"{worst.missing_branches} branches uncovered)"
            )
    return AgentResult(
        role=role,
        status="failed" if outcome.status == "not_run" else "ok",
        summary=summary,
        blockers=blockers,
        warnings=warnings,
        data={
            "status": outcome.status,
            "reason": outcome.reason,
            "passed": outcome.passed,
            "failed": outcome.failed,
            "errors": outcome.errors,
            "skipped": outcome.skipped,
            "coverage_percent": outcome.coverage_percent,
            "duration_s": outcome.duration_s,
            "failing": names[:MAX_NAMES_IN_DATA],
            "coverage_gaps": [g.model_dump(mode="json") for g in outcome.gaps],
        },
    )
