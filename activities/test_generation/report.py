"""test-generation's report: the section 6 envelope plus `coverage` (before and after per
module), `tests` (kept, rejected by reason, the files written), `engines`, `baseline`,
`isolation`, `warnings` and `skipped`. Possible bugs are findings (category
`possible-bug`), so they reach Markdown, JSON and SARIF like any flow's findings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from activities import reports
from workflows.schemas import Finding
from workflows.test_generation.models import ModuleOutcome, PossibleBug

RULE_ID = "ATNT001"
TOOL = "attune-test-generation"
REJECT_REASONS = (
    "fails",
    "flaky",
    "no-new-coverage",
    "timed-out",
    "possible-bug",
    "broken-in-file",
)


def bug_findings(outcomes: list[ModuleOutcome], import_root: Path, base: Path) -> list[Finding]:
    """Possible bugs as findings on the line of the module that raised: one per line and
    exception type, however many tests (of one engine or several) ran into it."""
    findings = []
    for outcome in outcomes:
        path = (import_root / outcome.file).resolve()
        file = path.relative_to(base).as_posix() if path.is_relative_to(base) else outcome.file
        groups: dict[tuple[int, str], list[PossibleBug]] = {}
        for bug in outcome.bugs:
            groups.setdefault((bug.line, bug.exception.partition(":")[0]), []).append(bug)
        for (line, kind), bugs in groups.items():
            first = next((b for b in bugs if b.inputs), bugs[0])
            where = first.function or outcome.module
            inputs = f" on {first.inputs}" if first.inputs else ""
            tests = ", ".join(f"{b.test} ({b.engine})" for b in bugs)
            material = "\x1f".join((outcome.module, where, kind))
            findings.append(
                Finding(
                    rule_id=RULE_ID,
                    tool=TOOL,
                    category="possible-bug",
                    severity="medium",
                    confidence="medium",
                    file=file,
                    line=line,
                    message=f"{where} raises {first.exception}{inputs}; tests: {tests}",
                    snippet=first.body,
                    fingerprint=hashlib.sha256(material.encode()).hexdigest()[:32],
                )
            )
    findings.sort(key=lambda f: (f.file, f.line, f.fingerprint))
    return findings


def coverage_rows(outcomes: list[ModuleOutcome]) -> list[dict[str, Any]]:
    rows = []
    for o in outcomes:
        rows.append(
            {
                "module": o.module,
                "file": o.file,
                "status": o.status,
                "before": _coverage(o.before),
                "after": _coverage(o.after),
                "kept": len(o.kept),
                "rejected": dict(sorted(Counter(r.reason for r in o.rejected).items())),
                "possible_bugs": len(o.bugs),
                "test_file": o.test_file,
            }
        )
    return rows


def _coverage(c: Any) -> dict[str, Any]:
    return {
        "percent": c.percent(),
        "lines_covered": len(c.lines),
        "statements": c.statements,
        "branches_covered": len(c.branches),
        "branches": c.branches_total,
    }


def rejected_counts(outcomes: list[ModuleOutcome]) -> dict[str, int]:
    counts = Counter(r.reason for o in outcomes for r in o.rejected)
    return {reason: counts.get(reason, 0) for reason in REJECT_REASONS}


def render_markdown(report: dict[str, Any]) -> str:
    """The shared report with the coverage table, the counts and the engines before the
    findings."""
    text = reports.render_markdown(report)
    tests = report["tests"]
    out = [
        "## Coverage",
        "",
        f"Coverage before: {report['baseline']['status']}"
        + (f" ({report['baseline']['reason']})" if report["baseline"]["reason"] else "")
        + ". Percentages are coverage.py's, lines and branches together.",
        "",
    ]
    if report["coverage"]:
        out += [
            "| Module | Before | After | Lines | Branches | Kept | Possible bugs |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in report["coverage"]:
            before, after = row["before"], row["after"]
            out.append(
                f"| {reports._code(row['module'], in_table=True)} | {before['percent']:.1f}% "
                f"| {after['percent']:.1f}% "
                f"| {before['lines_covered']} -> {after['lines_covered']} / {after['statements']} "
                f"| {before['branches_covered']} -> {after['branches_covered']} / "
                f"{after['branches']} | {row['kept']} | {row['possible_bugs']} |"
            )
    else:
        out.append("No module to write tests for.")
    rejected = ", ".join(f"{n} {reason}" for reason, n in tests["rejected"].items() if n)
    out += [
        "",
        f"**{tests['kept']} tests kept**; rejected: {rejected or 'none'}.",
        "",
        f"Isolation: {report['isolation'] or 'no candidate ran'}.",
        "",
    ]
    if tests["files"]:
        out += ["Test files:", "", *(f"- {reports._code(f)}" for f in tests["files"]), ""]
    out += ["## Engines", "", "| Module | Engine | Status | Candidates | Reason |"]
    out.append("|---|---|---|---:|---|")
    for module, runs in report["engines"].items():
        for run in runs:
            out.append(
                f"| {reports._code(module, in_table=True)} | {run['engine']} | {run['status']} "
                f"| {run['candidates']} | {reports._inline(run['reason'])} |"
            )
    out.append("")
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    if not tail:
        return text.rstrip("\n") + "\n\n" + "\n".join(out)
    return head + "\n".join(out) + "\n" + marker + tail
