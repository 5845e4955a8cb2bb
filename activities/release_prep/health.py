"""The health agent: lint with ruff and type-check where the target asks for it.

Unlike the security scanners, ruff runs here with the target's own configuration:
this is the project's own bar. The syntax-level rules are always added on top,
since code that does not parse or names what does not exist must not ship.

Judgement:

- blocker: ruff syntax errors and rules E9, F63, F7, F82 (syntax errors, invalid
  comparisons, misplaced statements, undefined names); ruff unable to run at all.
  Not in a branch for another Python version (`if PY2:`, `if sys.version_info...`)
  nor an undefined Python 2 builtin (six's `basestring`): compat code, one warning.
- warning: every other ruff rule, with counts by code; type-check errors; a type
  checker that is configured but not installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field
from ruff import find_ruff_bin

from activities.code_facts.typecheck import type_check, type_checked_by
from activities.release_prep.evidence import Judged
from activities.release_prep.project import module_files, python2_only, version_guarded
from workflows.schemas import AgentResult

BLOCKING_PREFIXES = ("E9", "F63", "F7", "F82")
SYNTAX_ERROR = "invalid-syntax"  # ruff's code for a file it cannot parse
MAX_VIOLATIONS = 500
MAX_CODES_IN_DATA = 20


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


class HealthOutcome(Judged):
    ruff_ran: bool
    ruff_error: str = ""
    total: int = 0
    by_code: dict[str, int] = Field(default_factory=dict)
    blocking: list[Violation] = Field(default_factory=list)
    violations: list[Violation] = Field(default_factory=list)
    type_checks: list[TypeCheck] = Field(default_factory=list)


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


def check_health(target: Path) -> HealthOutcome:
    """Lint, and type-check with whatever checker the target configures."""
    violations, error = run_ruff(target)
    outcome = HealthOutcome(ruff_ran=not error, ruff_error=error)
    if error:
        outcome.block("ruff could not run", command="ruff check .", output_tail=error)
    counts = Counter(v.code for v in violations)
    outcome.total = len(violations)
    outcome.by_code = dict(counts.most_common())
    outcome.blocking = [
        v
        for v in violations
        if is_blocking(v.code)
        and not version_guarded(target, v.file, v.line)
        and not python2_only(v.message)
    ]
    outcome.violations = violations[:MAX_VIOLATIONS]
    if outcome.blocking:
        first = outcome.blocking[0]
        outcome.block(
            f"{len(outcome.blocking)} syntax-level ruff error(s), e.g. {first.file}:{first.line} "
            f"{first.code} {first.message}",
            file=first.file,
            line=first.line,
            command=f"ruff check --extend-select {','.join(BLOCKING_PREFIXES)} .",
            output_tail="\n".join(
                f"{v.file}:{v.line} {v.code} {v.message}" for v in outcome.blocking[:20]
            ),
        )
    guarded = [v for v in violations if is_blocking(v.code) and v not in outcome.blocking]
    if guarded:
        outcome.warnings.append(
            f"{len(guarded)} syntax-level ruff error(s) in code for other Python versions "
            f"(e.g. {guarded[0].file}:{guarded[0].line} {guarded[0].code}) do not block"
        )
    others = {code: n for code, n in outcome.by_code.items() if not is_blocking(code)}
    if others:
        top = ", ".join(f"{code} x{n}" for code, n in list(others.items())[:10])
        outcome.warnings.append(f"{sum(others.values())} other ruff violation(s): {top}")
    _type_check(target, outcome)
    return outcome


def _type_check(target: Path, outcome: HealthOutcome) -> None:
    """The shared type-check fact (code_facts.typecheck), run only where the project
    configures a checker: elsewhere its errors are the checker's limits, not bugs."""
    if type_checked_by(target) is None:
        return
    files = [p.relative_to(target).as_posix() for p in module_files(target)]
    checked = type_check(target, files)
    outcome.type_checks.append(
        TypeCheck(
            tool=checked.tool or "type checker",
            ran=checked.status == "ok",
            errors=len(checked.errors),
            reason=checked.reason,
        )
    )
    for check in outcome.type_checks:
        if not check.ran:
            outcome.warnings.append(f"type check not run: {check.reason}")
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
            "blocker_details": outcome.details_data(),
        },
    )
