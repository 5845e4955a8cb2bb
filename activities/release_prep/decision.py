"""The release recommendation: go only when no rule below blocks.

Rules (every blocker and warning names the agent it comes from):

- Every agent must have run: a `failed` agent blocks, a `skipped` one warns, and a
  missing result from a REQUIRED_ROLES agent (security, testing, version, docs) blocks.
- Security (`security` agent, `data["counts"]` by severity or `data["critical"]` /
  `data["high"]`): more than MAX_CRITICAL (0) critical findings blocks; more than
  MAX_HIGH (3) high findings blocks; any high finding at all warns. Counts that are
  missing warn: the audit's result cannot be judged.
- Tests (`testing` agent): failing or erroring tests, or a suite that could not run,
  block (the agent reports these). Line+branch coverage under COVERAGE_FLOOR (60%)
  blocks, under COVERAGE_TARGET (80%) warns, unknown coverage warns.
- Version (`version` agent): invalid semver or a version that does not increase over
  the latest tag blocks (the agent reports these).
- Docs (`docs` agent): no CHANGELOG entry for the version blocks.
- Health (`health` agent): ruff syntax-level errors (E9, F63, F7, F82) block.
- Review (`review` agent, code-review): its findings warn, as one line with their
  count; only high-severity correctness findings (`data["high_correctness"]`: undefined
  names, pylint errors, code that cannot run) block.
- Bugs (`bugs` agent, bug-predict): critical or high bug patterns (a missing `await`,
  a swallowed exception...) warn with their count; the patterns are precise but a
  person judges whether one stops the release, so they never block.

Blockers and warnings an agent reports itself are carried over as they are.
"""

from __future__ import annotations

from typing import Any

from workflows.release_prep.models import Recommendation
from workflows.schemas import AgentResult

SECURITY, TESTING, VERSION, DOCS, HEALTH = "security", "testing", "version", "docs", "health"
REVIEW, BUGS = "review", "bugs"
REQUIRED_ROLES = (SECURITY, TESTING, VERSION, DOCS)
MAX_CRITICAL = 0
MAX_HIGH = 3
COVERAGE_FLOOR = 60.0
COVERAGE_TARGET = 80.0

RULES = [
    f"every agent runs; {', '.join(REQUIRED_ROLES)} are required",
    f"security: at most {MAX_CRITICAL} critical and {MAX_HIGH} high findings",
    "testing: no failing or erroring tests; the suite must run",
    f"testing: coverage at least {COVERAGE_FLOOR:.0f}% (warning under {COVERAGE_TARGET:.0f}%)",
    "version: valid semver, higher than the latest tag",
    "docs: the CHANGELOG has an entry for the version",
    "health: no ruff syntax-level errors (E9, F63, F7, F82)",
    "review: no high-severity correctness findings (other review findings warn)",
    "bugs: critical or high bug patterns warn",
]


def _severity_count(data: dict[str, Any], severity: str) -> int | None:
    """From `counts` (a severity with no findings may be absent: 0), else a flat key."""
    counts = data.get("counts")
    value = counts.get(severity, 0) if isinstance(counts, dict) else data.get(severity)
    return int(value) if isinstance(value, int | float) else None


def _security(result: AgentResult) -> tuple[list[str], list[str]]:
    critical = _severity_count(result.data, "critical")
    high = _severity_count(result.data, "high")
    if critical is None or high is None:
        return [], ["security: no finding counts by severity in its result"]
    blockers, warnings = [], []
    if critical > MAX_CRITICAL:
        blockers.append(f"security: {critical} critical finding(s) (at most {MAX_CRITICAL})")
    if high > MAX_HIGH:
        blockers.append(f"security: {high} high finding(s) (at most {MAX_HIGH})")
    elif high:
        warnings.append(f"security: {high} high finding(s)")
    return blockers, warnings


def _coverage(result: AgentResult) -> tuple[list[str], list[str]]:
    percent = result.data.get("coverage_percent")
    if not isinstance(percent, int | float):
        return [], ["testing: coverage unknown"]
    if percent < COVERAGE_FLOOR:
        return [f"testing: coverage {percent:.1f}% is under the {COVERAGE_FLOOR:.0f}% floor"], []
    if percent < COVERAGE_TARGET:
        return [], [f"testing: coverage {percent:.1f}% is under {COVERAGE_TARGET:.0f}%"]
    return [], []


def _review(result: AgentResult) -> tuple[list[str], list[str]]:
    high = result.data.get("high_correctness")
    counts = result.data.get("counts")
    total = sum(counts.values()) if isinstance(counts, dict) else 0
    blockers = []
    if isinstance(high, int) and high > 0:
        blockers.append(f"review: {high} high-severity correctness finding(s)")
    warnings = [f"review: {total} code-review finding(s): {result.summary}"] if total else []
    return blockers, warnings


def _bugs(result: AgentResult) -> tuple[list[str], list[str]]:
    serious = sum(_severity_count(result.data, s) or 0 for s in ("critical", "high"))
    if not serious:
        return [], []
    return [], [f"bugs: {serious} critical or high bug pattern(s): {result.summary}"]


def _agent(role: str, result: AgentResult) -> tuple[list[str], list[str]]:
    blockers = [f"{role}: {b}" for b in result.blockers]
    warnings = [f"{role}: {w}" for w in result.warnings]
    if result.status == "failed":
        blockers.insert(0, f"{role}: the agent failed to run: {result.summary}")
        return blockers, warnings
    if result.status == "skipped":
        return blockers, [f"{role}: the agent was skipped: {result.summary}", *warnings]
    judge = {SECURITY: _security, TESTING: _coverage, REVIEW: _review, BUGS: _bugs}.get(role)
    if judge is not None:
        extra_blockers, extra_warnings = judge(result)
        blockers += extra_blockers
        warnings += extra_warnings
    return blockers, warnings


def recommend(results: dict[str, AgentResult]) -> Recommendation:
    """Apply the rules in this module's docstring to every agent's result."""
    blockers = [
        f"{role}: no result (required agent)" for role in REQUIRED_ROLES if role not in results
    ]
    warnings: list[str] = []
    for role, result in results.items():
        role_blockers, role_warnings = _agent(role, result)
        blockers += role_blockers
        warnings += role_warnings
    return Recommendation(
        verdict="no-go" if blockers else "go",
        blockers=blockers,
        warnings=warnings,
        rules=list(RULES),
    )
