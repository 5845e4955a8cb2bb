"""The release recommendation: go only when no rule below blocks.

Rules (every blocker and warning names the agent it comes from):

- Every agent must have run: a `failed` agent blocks, a `skipped` one warns, and a
  missing result from a REQUIRED_ROLES agent (security, testing, version, docs) blocks.
- Security (`security` agent, `data["counts"]` by severity or `data["critical"]` /
  `data["high"]`): more than MAX_CRITICAL (0) critical findings blocks; more than
  MAX_HIGH (3) high findings blocks; any high finding at all warns. Counts that are
  missing warn: the audit's result cannot be judged. Findings in tests and fixtures
  never block (security-audit's quiet policy, issue 13, keeps them out of its counts;
  when the audit's report can be read, `security_counts` recounts it that way, so a
  report written before that policy is judged the same): they are one warning.
- Tests (`testing` agent): failing or erroring tests block (the agent reports them).
  A suite that could not run is the agent's one warning that needs a person, never a
  blocker of its own. Coverage under the project's own `fail_under` blocks; under
  COVERAGE_TARGET (80%) warns.
- Version (`version` agent): a version that is missing, not PEP 440, already tagged,
  not above the latest tag, or not a major bump over breaking changes under SemVer
  blocks (the agent reports these).
- Docs (`docs` agent): no changelog entry for the version blocks.
- Health (`health` agent): ruff syntax-level errors (E9, F63, F7, F82) block.
- Review (`review` agent, code-review): its findings warn, as one line with their
  count; only high-severity correctness findings (`data["high_correctness"]`: undefined
  names, pylint errors, code that cannot run) block, outside tests and branches for
  another Python version (`review_counts` recounts its report so).
- Bugs (`bugs` agent, bug-predict): critical or high bug patterns (a missing `await`,
  a swallowed exception...) warn with their count; the patterns are precise but a
  person judges whether one stops the release, so they never block.

Blockers and warnings an agent reports itself are carried over as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from activities.release_prep.project import is_test_path, python2_only, version_guarded
from workflows.release_prep.models import Recommendation
from workflows.schemas import AgentResult, BlockerDetail

Blocker = tuple[str, dict[str, Any]]
"""A blocker's message and its evidence (file, line, command, output_tail)."""
SECURITY, TESTING, VERSION, DOCS, HEALTH = "security", "testing", "version", "docs", "health"
REVIEW, BUGS = "review", "bugs"
REQUIRED_ROLES = (SECURITY, TESTING, VERSION, DOCS)
MAX_CRITICAL = 0
MAX_HIGH = 3
COVERAGE_TARGET = 80.0

RULES = [
    f"every agent runs; {', '.join(REQUIRED_ROLES)} are required",
    f"security: at most {MAX_CRITICAL} critical and {MAX_HIGH} high findings",
    "security: findings in tests and fixtures do not block",
    "testing: no failing or erroring tests; a suite that cannot run warns (needs a person)",
    f"testing: coverage at least the project's fail_under (warning under {COVERAGE_TARGET:.0f}%)",
    "version: PEP 440, not yet tagged, above the latest tag; major for breaking changes (SemVer)",
    "docs: the changelog has an entry for the version",
    "health: no ruff syntax-level errors (E9, F63, F7, F82)",
    "review: no high-severity correctness findings (other review findings warn)",
    "bugs: critical or high bug patterns warn",
]


def _severity_count(data: dict[str, Any], severity: str) -> int | None:
    """From `counts` (a severity with no findings may be absent: 0), else a flat key."""
    counts = data.get("counts")
    value = counts.get(severity, 0) if isinstance(counts, dict) else data.get(severity)
    return int(value) if isinstance(value, int | float) else None


def _security(result: AgentResult) -> tuple[list[Blocker], list[str]]:
    critical = _severity_count(result.data, "critical")
    high = _severity_count(result.data, "high")
    if critical is None or high is None:
        return [], ["security: no finding counts by severity in its result"]
    blockers: list[Blocker] = []
    warnings: list[str] = []
    first = result.data.get("first_blocking") or {}
    evidence = {"file": first.get("file"), "line": first.get("line")}
    if critical > MAX_CRITICAL:
        blockers.append(
            (f"security: {critical} critical finding(s) (at most {MAX_CRITICAL})", evidence)
        )
    if high > MAX_HIGH:
        blockers.append((f"security: {high} high finding(s) (at most {MAX_HIGH})", evidence))
    elif high:
        warnings.append(f"security: {high} high finding(s)")
    in_tests = result.data.get("in_tests")
    if in_tests:
        warnings.append(
            f"security: {in_tests} critical or high finding(s) in tests or fixtures do not block"
        )
    return blockers, warnings


def _report_findings(result: AgentResult) -> tuple[Path, list[dict[str, Any]]] | None:
    """(target, open findings) of the agent's report.json; None when it cannot be read."""
    try:
        document = json.loads(Path(result.data["report"]).read_text(encoding="utf-8"))
        findings = document["findings"]
    except (TypeError, KeyError, OSError, ValueError):
        return None
    open_findings = [
        f for f in findings if f.get("suppressed") is None and f.get("accepted_risk") is None
    ]
    return Path(str(document.get("target", "."))), open_findings


def _not_shipped(target: Path, finding: dict[str, Any]) -> bool:
    """Test code or data, or code for another Python version."""
    file = str(finding.get("file", ""))
    return (
        is_test_path(file)
        or version_guarded(target, file, int(finding.get("line") or 0))
        or python2_only(str(finding.get("message", "")))
    )


def security_counts(result: AgentResult) -> AgentResult:
    """The security agent's counts recounted from its audit report: findings that are
    suppressed, accepted, or in tests and fixtures leave the counts (they are counted
    apart as `in_tests`); dependency findings stay. Unchanged when the report cannot
    be read (a remote store, an older run)."""
    read = _report_findings(result)
    if read is None:
        return result
    _, findings = read
    counts: dict[str, int] = {}
    in_tests = 0
    first: dict[str, Any] | None = None
    for finding in findings:
        severity = finding.get("severity", "info")
        if is_test_path(str(finding.get("file", ""))):
            in_tests += severity in ("critical", "high")
            continue
        counts[severity] = counts.get(severity, 0) + 1
        if severity in ("critical", "high") and first is None:
            first = {"file": finding.get("file"), "line": finding.get("line")}
    dependencies = result.data.get("dependencies") or {}
    for severity, n in (dependencies.get("counts") or {}).items():
        counts[severity] = counts.get(severity, 0) + int(n)
    data = {**result.data, "counts": counts, "in_tests": in_tests, "first_blocking": first}
    return result.model_copy(update={"data": data})


def review_counts(result: AgentResult) -> AgentResult:
    """code-review's high-severity correctness findings recounted from its report, without
    those in tests or in branches for another Python version (counted as `not_shipped`)."""
    read = _report_findings(result)
    if read is None:
        return result
    target, findings = read
    serious = [
        f
        for f in findings
        if f.get("category") == "correctness" and f.get("severity") in ("critical", "high")
    ]
    kept = [f for f in serious if not _not_shipped(target, f)]
    first = {"file": kept[0].get("file"), "line": kept[0].get("line")} if kept else None
    data = {
        **result.data,
        "high_correctness": len(kept),
        "not_shipped": len(serious) - len(kept),
        "first_blocking": first,
    }
    return result.model_copy(update={"data": data})


def _coverage(result: AgentResult) -> tuple[list[Blocker], list[str]]:
    if result.data.get("status") == "not_run":
        return [], []  # the agent's own warning says why, once
    percent = result.data.get("coverage_percent")
    if not isinstance(percent, int | float):
        return [], []
    floor = result.data.get("coverage_fail_under")
    if isinstance(floor, int | float) and percent < floor:
        message = f"testing: coverage {percent:.1f}% is under the project's fail_under {floor:g}%"
        return [(message, {})], []
    if percent < COVERAGE_TARGET:
        return [], [f"testing: coverage {percent:.1f}% is under {COVERAGE_TARGET:.0f}%"]
    return [], []


def _review(result: AgentResult) -> tuple[list[Blocker], list[str]]:
    high = result.data.get("high_correctness")
    counts = result.data.get("counts")
    total = sum(counts.values()) if isinstance(counts, dict) else 0
    blockers: list[Blocker] = []
    first = result.data.get("first_blocking") or {}
    if isinstance(high, int) and high > 0:
        evidence = {"file": first.get("file"), "line": first.get("line")}
        blockers.append((f"review: {high} high-severity correctness finding(s)", evidence))
    warnings = [f"review: {total} code-review finding(s): {result.summary}"] if total else []
    if result.data.get("not_shipped"):
        warnings.append(
            f"review: {result.data['not_shipped']} high-severity correctness finding(s) in "
            "tests or in code for another Python version do not block"
        )
    return blockers, warnings


def _bugs(result: AgentResult) -> tuple[list[Blocker], list[str]]:
    serious = sum(_severity_count(result.data, s) or 0 for s in ("critical", "high"))
    if not serious:
        return [], []
    return [], [f"bugs: {serious} critical or high bug pattern(s): {result.summary}"]


def _agent(role: str, result: AgentResult) -> tuple[list[Blocker], list[str]]:
    details = result.data.get("blocker_details") or []
    blockers: list[Blocker] = []
    for index, text in enumerate(result.blockers):
        detail = details[index] if index < len(details) else {}
        evidence = {k: v for k, v in detail.items() if k not in ("message", "agent")}
        blockers.append((f"{role}: {text}", evidence))
    warnings = [f"{role}: {w}" for w in result.warnings]
    if result.status == "failed":
        if not blockers:
            blockers.append((f"{role}: the agent failed to run: {result.summary}", {}))
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
    """Apply the rules in this module's docstring to every agent's result: one blocker
    per problem, each with its evidence."""
    found: list[Blocker] = [
        (f"{role}: no result (required agent)", {})
        for role in REQUIRED_ROLES
        if role not in results
    ]
    warnings: list[str] = []
    for role, result in results.items():
        role_blockers, role_warnings = _agent(role, result)
        found += role_blockers
        warnings += role_warnings
    unique = list(dict(found).items())
    return Recommendation(
        verdict="no-go" if unique else "go",
        blockers=[message for message, _ in unique],
        blocker_details=[
            BlockerDetail(agent=message.split(":", 1)[0], message=message, **evidence)
            for message, evidence in unique
        ],
        warnings=list(dict.fromkeys(warnings)),
        rules=list(RULES),
    )
