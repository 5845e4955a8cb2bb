"""The testing agent: runs the target's own test suite in the target's own environment,
for real, and reports the coverage gaps test-generation would fill.

The environment comes from how the project tests itself (activities.release_prep.
testenv): a venv with those requirements, keyed by their hash, built once under
`$ATTUNE_HOME/test-envs` by activities.tool_envs and reused by every later run. The
project itself is installed for each run from a copy of its tree into a temporary
folder (`pip install --no-deps --target`), so generated files (setuptools-scm's
`_version.py`), entry points and metadata exist as in a developer's checkout, and
nothing is written into the target; `SETUPTOOLS_SCM_PRETEND_VERSION` stands in for
the tags a VCS-versioned build would read. Coverage runs when the project configures
it. `test_cmd` replaces the command (run with the environment's `bin` first on PATH).

When the suite cannot run, the outcome says exactly why (the environment could not be
built, a module or plugin is missing, the command line is wrong, no tests), once; an
empty or broken suite is never reported as a pass.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from activities.release_prep.evidence import Judged, tail
from activities.release_prep.project import is_test_path, read_pyproject
from activities.release_prep.testenv import TestEnvPlan, coverage_fail_under, plan_test_env
from activities.release_prep.versioning import read_version
from activities.tool_envs import PipSources, ToolEnvError, tool_env
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
    file: str | None = None
    line: int | None = None


class CoverageGap(BaseModel):
    """A module's code the suite leaves uncovered: what test-generation would target."""

    file: str
    percent: float
    missing_lines: int
    missing_branches: int
    functions: list[str] = Field(description="Functions with uncovered lines or branches")


class TestOutcome(Judged):
    __test__: ClassVar[bool] = False  # a model, not a pytest test class

    status: Literal["passed", "failed", "not_run"]
    reason: str = ""
    environment: str = ""
    interpreter: str
    command: list[str]
    exit_code: int | None = None
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[FailedTest] = Field(default_factory=list)
    coverage_percent: float | None = None
    coverage_fail_under: float | None = None
    gaps: list[CoverageGap] = Field(
        default_factory=list, description="The largest gaps in the shipped code, worst first"
    )
    duration_s: float = 0.0
    output_tail: str = ""


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
            line = case.get("line")  # xunit1 only; pytest writes it 0-based
            failures.append(
                FailedTest(
                    nodeid=nodeid,
                    kind=kind,
                    message=message[:_MESSAGE_CHARS],
                    file=case.get("file"),
                    line=int(line) + 1 if line and line.isdigit() else None,
                )
            )
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, failures


def coverage_gaps(files: dict[str, dict]) -> list[CoverageGap]:
    """The shipped modules with uncovered code, from coverage.py's JSON `files`, worst
    first, each with the functions test-generation would write tests for."""
    gaps = []
    for rel, data in files.items():
        summary = data["summary"]
        missing_lines = len(data["missing_lines"])
        missing_branches = summary.get("missing_branches", 0)
        if is_test_path(rel) or not (missing_lines or missing_branches):
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


def _copy_tree(target: Path, into: Path) -> Path:
    """The target's files without VCS data, environments and caches: what a build reads."""
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "venv", ".tox", ".nox", "__pycache__", "*.pyc", "build", "dist"
    )
    return Path(shutil.copytree(target, into, ignore=ignore, symlinks=True))


def install_project(
    python: str, target: Path, work: Path, timeout_s: int
) -> tuple[Path | None, str]:
    """The project built from a copy of its tree into `work/site`; (site, why not)."""
    found = read_version(target)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # A build from a copy has no git tags: setuptools-scm and hatch-vcs take this instead.
    env["SETUPTOOLS_SCM_PRETEND_VERSION"] = (found.version if found else None) or "0.0.0"
    site = work / "site"
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        str(site),
        *PipSources.from_env().args(),
        str(_copy_tree(target, work / "src")),
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"installing the project took over {timeout_s} s"
    if done.returncode != 0:
        return None, tail(done.stderr or done.stdout, 600)
    return site, ""


def _source_path(target: Path) -> Path:
    return target / "src" if (target / "src").is_dir() else target


def _command(
    python: str, plan: TestEnvPlan, test_cmd: str | None, junit: Path
) -> tuple[list[str], bool]:
    """The command to run and whether it is pytest (so JUnit XML can be asked for)."""
    report = ["-p", "no:cacheprovider", "-o", "junit_family=xunit1", f"--junitxml={junit}"]
    if test_cmd:
        words = shlex.split(test_cmd)
        if words[:1] == ["pytest"]:
            return [python, "-m", "pytest", *words[1:], *report], True
        if words[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
            return [python, "-m", "pytest", *words[3:], *report], True
        if words[:1] in (["python"], ["python3"]):
            return [python, *words[1:]], False
        return words, False
    runner = ["-m", "coverage", "run", "-m", "pytest"] if plan.coverage else ["-m", "pytest"]
    return [python, *runner, "-q", *report], True


_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
_UNITTEST = re.compile(r"^Ran (\d+) tests? in", re.M)
_MISSING = re.compile(r"No module named '?[\w.]+'?")
_USAGE = re.compile(r"^[^\n:]*: error: .*$", re.M)  # argparse's complaint, after its usage line


def _counts_from_output(output: str) -> dict[str, int]:
    """Counts from pytest's summary line, or unittest's `Ran N tests`, when there is no XML."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    lines = [line for line in output.splitlines() if _SUMMARY.search(line)]
    if lines:
        for number, word in _SUMMARY.findall(lines[-1]):
            key = {"error": "errors", "xfailed": "skipped", "xpassed": "passed"}.get(word, word)
            counts[key] = counts.get(key, 0) + int(number)
        return counts
    ran = _UNITTEST.findall(output)
    if ran:
        failures = re.search(r"FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?", output)
        failed = int(failures[1] or 0) if failures else 0
        errors = int(failures[2] or 0) if failures else 0
        counts.update(passed=int(ran[-1]) - failed - errors, failed=failed, errors=errors)
    return counts


def _cause(exit_code: int, output: str) -> str:
    """Why the tests did not run, in the words a person can act on."""
    base = _NOT_RUN_REASONS.get(exit_code, f"the test command exited with code {exit_code}")
    missing = _MISSING.search(output)
    if missing:
        return f"{base}: {missing[0]} (a plugin or dependency the test environment lacks)"
    usage = _USAGE.search(output) if exit_code == 4 else None
    if usage:
        return f"{base}: {usage[0].strip()[:300]}"
    return base


def _build_env(target: Path, plan: TestEnvPlan, timeout_s: int) -> tuple[str, str]:
    """(python, description) of the environment; ToolEnvError when it cannot be built."""
    if plan.existing_python is not None:
        if plan.coverage:  # measured only when the project's own venv has coverage.py
            probe = [plan.existing_python, "-c", "import coverage"]
            plan.coverage = subprocess.run(probe, capture_output=True, check=False).returncode == 0
        return plan.existing_python, plan.description
    env = tool_env(plan.requirements, timeout=timeout_s, kind="test-envs")
    how = "reused" if env.reused else "built"
    listed = ", ".join(plan.requirements[:12]) + (" ..." if len(plan.requirements) > 12 else "")
    return str(env.python), f"{plan.description}: venv {env.path.name} ({how}) with {listed}"


def run_test_suite(
    target: Path, timeout_s: int, test_cmd: str | None = None, env_timeout_s: int = 900
) -> TestOutcome:
    """Run the target's tests in its own environment; the outcome says whether they ran
    and how they did."""
    plan = plan_test_env(target)
    fail_under = coverage_fail_under(target, read_pyproject(target))
    try:
        python, environment = _build_env(target, plan, env_timeout_s)
    except ToolEnvError as err:
        outcome = TestOutcome(
            status="not_run",
            reason=f"the test environment could not be built ({plan.description}): {err}",
            environment=plan.description,
            interpreter="",
            command=["pip", "install", *plan.requirements],
            output_tail=str(err)[-_TAIL_CHARS:],
        )
        return outcome
    with tempfile.TemporaryDirectory(prefix="attune-tests-") as tmp:
        work = Path(tmp)
        site, not_installed = (
            (None, "")
            if plan.existing_python
            else install_project(python, target, work, env_timeout_s)
        )
        if not_installed:
            environment += f"; project not installed ({not_installed.splitlines()[-1][:200]}), "
            environment += "its source on PYTHONPATH"
        junit = work / "junit.xml"
        env = _child_env(work / ".coverage")
        paths = (
            [str(site)] if site else ([] if plan.existing_python else [str(_source_path(target))])
        )
        if paths:
            env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            )
        env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
        env["VIRTUAL_ENV"] = str(Path(python).parent.parent)
        command, is_pytest = _command(python, plan, test_cmd, junit)
        started = time.monotonic()
        try:
            exit_code, output = _run(command, target, env, timeout_s)
        except OSError as err:
            exit_code, output = 127, str(err)
        duration = round(time.monotonic() - started, 3)
        if junit.is_file():
            counts, failures = _parse_junit(junit, target)
        else:
            counts, failures = _counts_from_output(output), []
        measured = plan.coverage and is_pytest and not test_cmd and exit_code in (0, 1)
        coverage, gaps = (
            _coverage(python, target, env, work / "coverage.json") if measured else (None, [])
        )
        if site is not None:
            source = _source_path(target).relative_to(target).as_posix()
            for gap in gaps:
                if gap.file.startswith(f"{site}/"):
                    inside = gap.file.removeprefix(f"{site}/")
                    gap.file = inside if source == "." else f"{source}/{inside}"
    status, reason = _verdict(exit_code, timeout_s, output, is_pytest, sum(counts.values()))
    return TestOutcome(
        status=status,
        reason=reason,
        environment=environment,
        interpreter=python,
        command=command,
        exit_code=exit_code,
        failures=failures,
        coverage_percent=coverage,
        coverage_fail_under=fail_under,
        gaps=gaps,
        duration_s=duration,
        output_tail=output[-_TAIL_CHARS:],
        **counts,
    )


def _verdict(
    exit_code: int | None, timeout_s: int, output: str, is_pytest: bool, ran: int
) -> tuple[Literal["passed", "failed", "not_run"], str]:
    if exit_code is None:
        return "not_run", f"the test suite did not finish within {timeout_s} s and was killed"
    if exit_code == 127:
        return "not_run", f"the test command could not be started: {output.strip()[:300]}"
    if is_pytest and exit_code not in (0, 1):
        return "not_run", _cause(exit_code, output)
    if not is_pytest and exit_code not in (0, 1) and not ran:
        return "not_run", _cause(exit_code, output)
    if ran == 0:
        return "not_run", _cause(exit_code, output) if exit_code else "the command ran no tests"
    return ("passed" if exit_code == 0 else "failed"), ""


def to_agent_result(outcome: TestOutcome, role: str) -> AgentResult:
    """Failing or erroring tests block, once, with the first failure's place and the
    output's tail; a suite that could not run is one warning that needs a person."""
    names = [f.nodeid for f in outcome.failures]
    command = shlex.join(outcome.command)
    warnings: list[str] = []
    if outcome.status == "not_run":
        warnings.append(f"tests could not run, a person must look: {outcome.reason}")
        summary = f"tests not run: {outcome.reason}"
    else:
        if outcome.failed or outcome.errors:
            shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
            first = outcome.failures[0] if outcome.failures else None
            outcome.block(
                f"{outcome.failed} failing and {outcome.errors} erroring tests"
                + (f": {shown}" if shown else ""),
                file=first.file if first else None,
                line=first.line if first else None,
                command=command,
                output_tail=outcome.output_tail,
            )
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
    tests_run = outcome.passed + outcome.failed + outcome.errors + outcome.skipped
    return AgentResult(
        role=role,
        status="ok",
        summary=summary,
        blockers=outcome.blockers,
        warnings=[*warnings, *outcome.warnings],
        data={
            "status": outcome.status,
            "reason": outcome.reason,
            "needs_person": outcome.status == "not_run",
            "tests_run": tests_run,
            "passed": outcome.passed,
            "failed": outcome.failed,
            "errors": outcome.errors,
            "skipped": outcome.skipped,
            "duration_s": outcome.duration_s,
            "environment": outcome.environment,
            "command": command,
            "coverage_percent": outcome.coverage_percent,
            "coverage_fail_under": outcome.coverage_fail_under,
            "failing": names[:MAX_NAMES_IN_DATA],
            "coverage_gaps": [g.model_dump(mode="json") for g in outcome.gaps],
            "blocker_details": outcome.details_data(),
        },
    )
