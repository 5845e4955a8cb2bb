"""performance-audit's report: the section 6 envelope (activities.reports builds it) plus
`profile`, `impacts`, `rules`, `profiling` and `warnings`; Markdown and SARIF from the
shared writers, with the rules tagged as performance rather than security."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from activities import reports
from activities.performance_audit.profiling import NO_PROFILE, render_profile_markdown
from workflows.performance_audit.models import PerfReportRequest
from workflows.schemas import Finding, ReportWarning, SkippedFile
from workflows.security_audit.models import AuditSummary

_IMPACT = re.compile(r"\(impact: (?P<impact>[a-z-]+)\)")


def impact_of(finding: Finding) -> str:
    match = _IMPACT.search(finding.message)
    return match.group("impact") if match else "unknown"


def impact_counts(findings: list[Finding]) -> dict[str, int]:
    return dict(sorted(Counter(impact_of(f) for f in findings).items()))


def performance_report(
    *,
    request: PerfReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    warnings: list[ReportWarning],
    artifacts: dict[str, str],
    profiling: dict[str, Any] | None = None,
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
        warnings=[*request.discovery.warnings, *warnings],
    )
    report["profile"] = request.profile
    report["impacts"] = impact_counts(findings)
    report["rules"] = dict(sorted(Counter(f.rule_id for f in findings).items()))
    report["profiling"] = profiling or {"status": "skipped", "reason": NO_PROFILE}
    return report


def render_performance_markdown(report: dict[str, Any]) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM advice")
    out = ["## Impact", "", f"Rule profile: **{report['profile']}**.", ""]
    if report["impacts"]:
        out += ["| Impact | Findings |", "|---|---:|"]
        out += [f"| {impact} | {count} |" for impact, count in report["impacts"].items()]
    else:
        out.append("No performance findings.")
    out += ["", *render_profile_markdown(report["profiling"])]
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    if not tail:
        return text.rstrip("\n") + "\n\n" + "\n".join(out)
    return head + "\n".join(out) + "\n" + marker + tail


def render_performance_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            properties = rule["properties"]
            properties["tags"] = [t for t in properties["tags"] if t != "security"]
            properties.pop("security-severity", None)
    return sarif
