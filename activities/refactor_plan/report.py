"""refactor-plan's report: the section 6 envelope (activities.reports builds it) plus
`plan`, `patches`, `applied`, `history`, `cache` and `warnings`; Markdown with the plan as a ranked
table and each item's details; SARIF from the shared writer, tagged as maintainability."""

from __future__ import annotations

from typing import Any

from activities import reports
from activities.refactor_plan.plan import SCORING
from workflows.refactor_plan.models import PlanItem, PlanReportRequest
from workflows.schemas import Finding, ReportWarning, SkippedFile
from workflows.security_audit.models import AuditSummary

DETAILED = 10


def plan_report(
    *,
    request: PlanReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    plan: list[PlanItem],
    clones: int,
    dead_code: int,
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
    history, patches = request.history, request.patches
    report["plan"] = [item.model_dump(mode="json") for item in plan]
    report["scoring"] = SCORING
    report["patches"] = {
        "status": patches.status,
        "reason": patches.reason,
        "python_version": patches.python_version,
        "python_source": patches.python_source,
        "files": [p.model_dump(mode="json") for p in patches.files],
    }
    report["applied"] = request.applied.model_dump(mode="json")
    report["history"] = {
        "status": history.status,
        "reason": history.reason,
        "since": history.since.isoformat() if history.since else None,
        "until": history.until.isoformat() if history.until else None,
        "commits": history.commits,
    }
    report["facts"] = {"clone_classes": clones, "dead_code": dead_code}
    report["cache"] = {"hits": request.cache_hits, "misses": request.cache_misses}
    return report


def _where(item: dict[str, Any]) -> str:
    last = item.get("end_line")
    end = f"-{last}" if last and last != item["line"] else ""
    return f"{item['file']}:{item['line']}{end}"


def _warnings(request: PlanReportRequest) -> list[ReportWarning]:
    warnings = []
    if request.history.status == "skipped":
        message = f"hotspots left out: {request.history.reason}"
        warnings.append(ReportWarning(code="history-skipped", message=message))
    if request.patches.status == "failed":
        warnings.append(ReportWarning(code="patches-failed", message=request.patches.reason))
    if request.applied.status == "failed":
        warnings.append(ReportWarning(code="apply-failed", message=request.applied.reason))
    return warnings


def render_plan_markdown(report: dict[str, Any], top: int) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM explanation")
    plan = report["plan"]
    history = report["history"]
    out = ["## Refactoring plan", ""]
    if history["status"] == "ok":
        out.append(f"Git history {history['since'][:10]} to {history['until'][:10]}: "
                   f"{history['commits']} commits.")  # fmt: skip
    else:
        out.append(f"Hotspots left out: {reports._inline(history['reason'])}.")
    out += ["", f"Ranking: `{report['scoring']}`.", ""]
    if plan:
        out += ["| # | Kind | Location | Item | Effort | Score |", "|---:|---|---|---|---|---:|"]
        for item in plan[:top]:
            out.append(
                f"| {item['rank']} | {item['kind']} | {reports._code(_where(item), in_table=True)}"
                f" | {reports._cell(item['title'])} | {item['effort']} | {item['score']:g} |"
            )
        if len(plan) > top:
            out.append(f"\n{len(plan) - top} more items in report.json.")
        out.append("")
        for item in plan[:DETAILED]:
            out += [f"### {item['rank']}. {reports._inline(item['title'])}", ""]
            out.append(f"- Location: {reports._code(_where(item))}")
            for twin in item["related"]:
                out.append(f"- Also at: {reports._code(_where(twin))}")
            out += [f"- Evidence: {reports._inline(e)}" for e in item["evidence"]]
            out.append(f"- Effort: {item['effort']}, {reports._inline(item['effort_reason'])}")
            out.append(f"- Benefit: {reports._inline(item['benefit'])}")
            out.append("")
    else:
        out += ["Nothing to plan: no item passed the thresholds.", ""]
    out += _patch_section(report)
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    return head + "\n".join(out) + "\n" + marker + tail


def _patch_section(report: dict[str, Any]) -> list[str]:
    patches, applied = report["patches"], report["applied"]
    out = ["## Mechanical patches", ""]
    if patches["status"] == "failed":
        return [*out, f"Not made: {reports._inline(patches['reason'])}.", ""]
    if not patches["files"]:
        return [*out, "ruff has no safe fix of unused imports or old syntax here.", ""]
    version = patches["python_version"]
    scope = (
        f"unused imports (F401) and syntax modernisation (UP) for {version}"
        if version
        else "unused imports (F401)"
    )
    out.append(f"ruff's safe fixes of {scope} ({reports._inline(patches['python_source'])}), in "
               f"{reports._code(report['artifacts'].get('patch', 'refactor.patch'))}:")  # fmt: skip
    out += ["", "| File | Fixes | Lines |", "|---|---|---|"]
    for p in patches["files"]:
        rules = ", ".join(f"{code} x{n}" for code, n in p["rules"].items()) or "follow-up fixes"
        out.append(f"| {reports._code(p['file'], in_table=True)} | {rules} | "
                   f"+{p['added']} -{p['removed']} |")  # fmt: skip
    out.append("")
    status = applied["status"]
    if status in ("committed", "unchanged"):
        out.append(f"Committed to the branch `{applied['branch']}` ({applied['commit'][:12]}), "
                   "on top of HEAD; the working tree and the index were not touched.")  # fmt: skip
    elif status == "not-requested":
        out.append("Not applied: run with `--apply` to commit them to a new branch.")
    else:
        out.append(f"Not applied ({status}): {reports._inline(applied['reason'])}.")
    return [*out, ""]


def render_plan_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            properties = rule["properties"]
            properties["tags"] = [t for t in properties["tags"] if t != "security"]
            properties.pop("security-severity", None)
    return sarif
