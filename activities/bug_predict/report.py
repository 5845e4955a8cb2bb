"""bug-predict's report: the section 6 envelope (activities.reports builds it) plus
`hotspots`, `history`, `metrics`, `cache` and `warnings`; Markdown and SARIF from the shared
writers, with the hotspots added and the rules tagged as bugs rather than security."""

from __future__ import annotations

from typing import Any

from activities import reports
from activities.bug_predict.risk import HALF_LIFE_DAYS
from workflows.bug_predict.models import BugReportRequest, Hotspot
from workflows.code_facts import FileMetrics
from workflows.schemas import Finding, ReportWarning, SkippedFile
from workflows.security_audit.models import AuditSummary

RISK_MODEL = (
    "source files before support files before tests; within each, the most recently"
    " changed first, then the most complex; score = 100 * 0.5 ** (days from the file's"
    f" last change to the newest change / {HALF_LIFE_DAYS:g}); no history: 100 * c / 4,"
    " c = complexity / max"
)


def bug_report(
    *,
    request: BugReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    metrics: list[FileMetrics],
    hotspots: list[Hotspot],
    artifacts: dict[str, str],
    type_check: dict[str, Any],
) -> dict[str, Any]:
    history_warnings = []
    if request.history.status == "skipped":
        history_warnings.append(
            ReportWarning(code="history-skipped", message=request.history.reason)
        )
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
        warnings=[*request.discovery.warnings, *history_warnings],
    )
    history = request.history
    report["hotspots"] = [h.model_dump(mode="json") for h in hotspots]
    report["risk_model"] = RISK_MODEL
    report["history"] = {
        "status": history.status,
        "reason": history.reason,
        "since": history.since.isoformat() if history.since else None,
        "until": history.until.isoformat() if history.until else None,
        "commits": history.commits,
        "fix_commits": history.fix_commits,
        "files": history.files.count if history.files else 0,
    }
    report["metrics"] = {
        "files": len(metrics),
        "functions": sum(m.functions for m in metrics),
        "complexity": sum(m.complexity for m in metrics),
        "nloc": sum(m.nloc for m in metrics),
        "max_complexity": max((m.max_complexity for m in metrics), default=0),
    }
    report["type_check"] = type_check
    report["cache"] = {"hits": request.cache_hits, "misses": request.cache_misses}
    return report


def render_bug_markdown(report: dict[str, Any]) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM explanation")
    history = report["history"]
    out = ["## Hotspots", ""]
    if history["status"] == "ok":
        out.append(
            f"Git history {history['since'][:10]} to {history['until'][:10]}: "
            f"{history['commits']} commits, {history['fix_commits']} of them fixes."
        )
    else:
        out.append(f"Git history skipped: {reports._inline(history['reason'])}.")
    typed = report["type_check"]
    if typed["status"] == "ok":
        out.append(f"Type errors from {typed['tool']} are among the findings.")
    else:
        out.append(f"Type check {typed['status']}: {reports._inline(typed['reason'])}.")
    out += ["", f"Risk model: `{RISK_MODEL}`.", ""]
    if report["hotspots"]:
        out += ["| # | File | Score | Reasons |", "|---:|---|---:|---|"]
        for rank, spot in enumerate(report["hotspots"], 1):
            reasons = reports._cell("; ".join(spot["reasons"]))
            out.append(
                f"| {rank} | {reports._code(spot['file'], in_table=True)} | "
                f"{spot['score']:g} | {reasons} |"
            )
    else:
        out.append("No hotspots: no analysed file has any function complexity.")
    out.append("")
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    return head + "\n".join(out) + "\n" + marker + tail


def render_bug_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            properties = rule["properties"]
            properties["tags"] = [t for t in properties["tags"] if t != "security"]
            properties.pop("security-severity", None)
    return sarif
