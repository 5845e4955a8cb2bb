"""code-review's report: the section 6 envelope (activities.reports builds it) plus `mode`,
`profile`, `change`, `categories`, `complexity` (on a diff, per changed file and function),
`dead_code`, `type_check`, `cache`, `fixes` and `warnings`; Markdown and SARIF from the
shared writers, with the rules tagged by review category rather than security."""

from __future__ import annotations

from collections import Counter
from typing import Any

from activities import reports
from activities.code_review.rules import CATEGORIES
from workflows.code_review.models import FileDelta, ReviewReportRequest
from workflows.schemas import Finding, ReportWarning, SkippedFile
from workflows.security_audit.models import AuditSummary

DELTAS_IN_MARKDOWN = 30


def category_counts(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.category for f in findings)
    return {c: counts.get(c, 0) for c in CATEGORIES} | {
        c: n for c, n in sorted(counts.items()) if c not in CATEGORIES
    }


def _complexity(deltas: list[FileDelta]) -> dict[str, Any]:
    base = sum(d.base or 0 for d in deltas)
    head = sum(d.head for d in deltas)
    return {
        "base": base,
        "head": head,
        "change": head - base,
        "files": [
            {
                "file": d.file,
                "status": d.status,
                "base": d.base,
                "head": d.head,
                "change": d.head - (d.base or 0),
                "functions": [
                    {**f.model_dump(mode="json"), "change": f.change} for f in d.functions
                ],
            }
            for d in deltas
        ],
    }


def review_report(
    *,
    request: ReviewReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    deltas: list[FileDelta],
    artifacts: dict[str, str],
) -> dict[str, Any]:
    report = reports.build_report(
        workflow=request.workflow,
        workflow_id=request.workflow_id,
        run_id=request.run_id,
        status="completed",
        target=request.target,
        started_at=request.started_at,
        duration_s=duration_s,
        summary=summary,
        findings=findings,
        skipped=skipped,
        llm=request.llm,
        artifacts=artifacts,
        warnings=[*request.discovery.warnings, *_warnings(request)],
    )
    changes = request.changes
    report["mode"] = request.mode
    report["profile"] = request.profile
    report["change"] = (
        changes.model_dump(mode="json", exclude={"changes"}) if changes is not None else None
    )
    report["categories"] = category_counts(findings)
    report["rules"] = dict(sorted(Counter(f.rule_id for f in findings).items()))
    report["complexity"] = _complexity(deltas) if request.mode == "diff" else None
    report["dead_code"] = {"status": request.dead_code.status, "tool": request.dead_code.tool}
    report["type_check"] = {
        "status": request.types.status,
        "tool": request.types.tool,
        "reason": request.types.reason,
        "errors": request.types.findings.count,
    }
    report["cache"] = {"hits": request.cache_hits, "misses": request.cache_misses}
    report["fixes"] = sum(1 for f in findings if f.fix_diff)
    return report


def _delta_lines(complexity: dict[str, Any]) -> list[str]:
    out = [
        "## Change in complexity",
        "",
        f"Cyclomatic complexity of the changed files: {complexity['base']} in base, "
        f"{complexity['head']} in head ({complexity['change']:+d}).",
        "",
    ]
    rows = [(entry["file"], fn) for entry in complexity["files"] for fn in entry["functions"]]
    if not rows:
        return [*out, "No function's complexity changed.", ""]
    out += ["| File | Function | Base | Head | Change |", "|---|---|---:|---:|---:|"]
    for file, fn in rows[:DELTAS_IN_MARKDOWN]:
        base = "new" if fn["base"] is None else fn["base"]
        head = "removed" if fn["head"] is None else fn["head"]
        out.append(
            f"| {reports._code(file, in_table=True)} | {reports._code(fn['name'], in_table=True)} "
            f"| {base} | {head} | {fn['change']:+d} |"
        )
    if len(rows) > DELTAS_IN_MARKDOWN:
        out.append(f"\n_{len(rows) - DELTAS_IN_MARKDOWN} more in report.json._")
    return [*out, ""]


def _warnings(request: ReviewReportRequest) -> list[ReportWarning]:
    warnings = []
    changes = request.changes
    if changes is not None and changes.status == "skipped":
        warnings.append(ReportWarning(code="changes-unknown", message=changes.reason))
    for name, check in (("dead-code", request.dead_code), ("type-check", request.types)):
        if check.status != "ok":
            warnings.append(ReportWarning(code=f"{name}-{check.status}", message=check.reason))
    return warnings


def render_review_markdown(report: dict[str, Any]) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM review")
    change = report["change"]
    if report["mode"] == "diff" and change and change["status"] == "ok":
        scope = f"the change {change['base'][:12]}..{change['head'][:12]} ({change['base_ref']})"
    else:
        scope = "whole files"
    out = [
        "## Review",
        "",
        f"Reviewed: {scope}; rule profile **{report['profile']}**.",
        "",
        "| Category | Findings |",
        "|---|---:|",
        *(f"| {c} | {n} |" for c, n in report["categories"].items()),
        "",
        f"{report['fixes']} findings come with a suggested fix (a diff under the finding).",
        "",
    ]
    types = report["type_check"]
    if types["status"] == "ok":
        out.append(f"Type check ({types['tool']}): {types['errors']} errors reported.")
    else:
        out.append(f"Type check {types['status']}: {reports._inline(types['reason'])}.")
    out.append("")
    if report["complexity"] is not None:
        out += _delta_lines(report["complexity"])
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    return head + "\n".join(out) + "\n" + marker + tail


def render_review_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            properties = rule["properties"]
            properties["tags"] = [t for t in properties["tags"] if t != "security"]
            properties.pop("security-severity", None)
    return sarif
