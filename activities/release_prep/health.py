"""The health agent: lint with ruff and type-check where the target asks for it.

Unlike the security scanners, ruff runs here with the target's own configuration:
this is the project's own bar. The syntax-level rules are always added on top,
since code that does not parse or names what does not exist must not ship.

Judgement:

- blocker: ruff syntax errors and rules E9, F63, F7, F82 (syntax errors, invalid
  comparisons, misplaced statements, undefined names); ruff unable to run at all.
- warning: every other ruff rule, with counts by code; type-check errors; a type
  checker that is configured but not installed.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field
from ruff import find_ruff_bin

from activities.release_prep.project import find_packages, read_pyproject, target_python
from workflows.schemas import AgentResult

BLOCKING_PREFIXES = ("E9", "F63", "F7", "F82")
SYNTAX_ERROR = "invalid-syntax"  # ruff's code for a file it cannot parse
MAX_VIOLATIONS = 500
MAX_CODES_IN_DATA = 20
TYPE_CHECK_TIMEOUT_S = 600
_MYPY_ERROR = re.compile(r"^[^:\n]+:\d+(?::\d+)?: error: ", re.MULTILINE)


class Violation(BaseModel):
    code: str
    file: str
    line: int
    message: str


class TypeCheck(BaseModel):
    tool: str
    ran: bool
    errors: int = 0
    reason: str = ""
    output_tail: str = ""


class HealthOutcome(BaseModel):
    ruff_ran: bool
    ruff_error: str = ""
    total: int = 0
    by_code: dict[str, int] = Field(default_factory=dict)
    blocking: list[Violation] = Field(default_factory=list)
    violations: list[Violation] = Field(default_factory=list)
    type_checks: list[TypeCheck] = Field(default_factory=list)
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def _ruff_bin() -> str:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else find_ruff_bin()


def is_blocking(code: str) -> bool:
    return code == SYNTAX_ERROR or code.startswith(BLOCKING_PREFIXES)


def run_ruff(target: Path) -> tuple[list[Violation], str]:
    """All violations under the target's config plus the blocking rules; (violations, error)."""
    proc = subprocess.run(
        [
            _ruff_bin(),
            "check",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--extend-select",
            ",".join(BLOCKING_PREFIXES),
            ".",
        ],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        return [], proc.stderr.strip() or f"ruff exited {proc.returncode}"
    violations = [
        Violation(
            code=item.get("code") or SYNTAX_ERROR,
            file=Path(item["filename"]).resolve().relative_to(target.resolve()).as_posix(),
            line=item["location"]["row"],
            message=item["message"],
        )
        for item in json.loads(proc.stdout or "[]")
    ]
    return violations, ""


def _mypy_configured(target: Path, pyproject: dict) -> bool:
    if "mypy" in pyproject.get("tool", {}):
        return True
    if (target / "mypy.ini").is_file() or (target / ".mypy.ini").is_file():
        return True
    setup_cfg = configparser.ConfigParser()
    try:
        setup_cfg.read(target / "setup.cfg", encoding="utf-8")
    except configparser.Error:
        return False
    return setup_cfg.has_section("mypy")


def _pyright_configured(target: Path, pyproject: dict) -> bool:
    return "pyright" in pyproject.get("tool", {}) or (target / "pyrightconfig.json").is_file()


def run_mypy(target: Path) -> TypeCheck:
    python = target_python(target)
    probe = subprocess.run(
        [python, "-c", "import mypy"], cwd=target, capture_output=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        return TypeCheck(tool="mypy", ran=False, reason="mypy configured but not installed")
    paths = [p.relative_to(target).as_posix() for p in find_packages(target)] or ["."]
    with tempfile.TemporaryDirectory(prefix="attune-mypy-") as cache:
        proc = subprocess.run(
            [python, "-m", "mypy", "--cache-dir", cache, "--no-color-output", *paths],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=TYPE_CHECK_TIMEOUT_S,
            check=False,
        )
    return TypeCheck(
        tool="mypy",
        ran=True,
        errors=len(_MYPY_ERROR.findall(proc.stdout)),
        output_tail=proc.stdout[-4000:],
    )


def run_pyright(target: Path) -> TypeCheck:
    pyright = shutil.which("pyright")
    if pyright is None:
        return TypeCheck(tool="pyright", ran=False, reason="pyright configured but not on PATH")
    proc = subprocess.run(
        [pyright, "--outputjson"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=TYPE_CHECK_TIMEOUT_S,
        check=False,
    )
    try:
        errors = int(json.loads(proc.stdout)["summary"]["errorCount"])
    except (ValueError, KeyError, TypeError):
        return TypeCheck(tool="pyright", ran=False, reason="pyright gave no JSON summary")
    return TypeCheck(tool="pyright", ran=True, errors=errors)


def check_health(target: Path) -> HealthOutcome:
    """Lint, and type-check with whatever checker the target configures."""
    violations, error = run_ruff(target)
    outcome = HealthOutcome(ruff_ran=not error, ruff_error=error)
    if error:
        outcome.blockers.append(f"ruff could not run: {error[:300]}")
    counts = Counter(v.code for v in violations)
    outcome.total = len(violations)
    outcome.by_code = dict(counts.most_common())
    outcome.blocking = [v for v in violations if is_blocking(v.code)]
    outcome.violations = violations[:MAX_VIOLATIONS]
    if outcome.blocking:
        first = outcome.blocking[0]
        outcome.blockers.append(
            f"{len(outcome.blocking)} syntax-level ruff error(s), e.g. {first.file}:{first.line} "
            f"{first.code} {first.message}"
        )
    others = {code: n for code, n in outcome.by_code.items() if not is_blocking(code)}
    if others:
        top = ", ".join(f"{code} x{n}" for code, n in list(others.items())[:10])
        outcome.warnings.append(f"{sum(others.values())} other ruff violation(s): {top}")
    _type_check(target, outcome)
    return outcome


def _type_check(target: Path, outcome: HealthOutcome) -> None:
    pyproject = read_pyproject(target)
    if _mypy_configured(target, pyproject):
        outcome.type_checks.append(run_mypy(target))
    if _pyright_configured(target, pyproject):
        outcome.type_checks.append(run_pyright(target))
    for check in outcome.type_checks:
        if not check.ran:
            outcome.warnings.append(check.reason)
        elif check.errors:
            outcome.warnings.append(f"{check.tool} reports {check.errors} error(s)")


def to_agent_result(outcome: HealthOutcome, role: str) -> AgentResult:
    """Counts by code (the most frequent MAX_CODES_IN_DATA) and type-check error counts."""
    if outcome.ruff_ran:
        summary = f"ruff: {outcome.total} violation(s), {len(outcome.blocking)} blocking"
    else:
        summary = "ruff could not run"
    checks = [f"{c.tool} {c.errors if c.ran else 'not run'}" for c in outcome.type_checks]
    if checks:
        summary += "; type checks: " + ", ".join(checks)
    return AgentResult(
        role=role,
        status="ok" if outcome.ruff_ran else "failed",
        summary=summary,
        blockers=outcome.blockers,
        warnings=outcome.warnings,
        data={
            "ruff_total": outcome.total,
            "ruff_blocking": len(outcome.blocking),
            "ruff_by_code": dict(list(outcome.by_code.items())[:MAX_CODES_IN_DATA]),
            "type_checks": {c.tool: (c.errors if c.ran else None) for c in outcome.type_checks},
        },
    )
