"""document-gen's report: the section 6 envelope (activities.reports builds it) plus
`coverage` (overall and per module), `style`, `drafts`, `reference`, `applied` and
`warnings`. Markdown leads with the coverage table and the drafts' patch; SARIF carries
the consistency findings (pydoclint's), not the list of undocumented definitions, which
the coverage table already says."""

from __future__ import annotations

import re
from typing import Any

from activities import reports
from activities.document_gen.measure import FileCoverage
from workflows.document_gen.models import CoverageSummary, DocReportRequest
from workflows.schemas import Finding, ReportWarning, SkippedFile
from workflows.security_audit.models import AuditSummary

MODULES_SHOWN = 30
PATCH_LINES_SHOWN = 120


def coverage_summary(files: list[FileCoverage]) -> CoverageSummary:
    total = sum(f.total for f in files)
    covered = sum(f.covered for f in files)
    percent = round(100 * covered / total, 1) if total else 100.0
    return CoverageSummary(total=total, covered=covered, percent=percent)


def _percent(f: FileCoverage) -> float:
    return round(100 * f.covered / f.total, 1) if f.total else 100.0


def document_report(
    *,
    request: DocReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    warnings: list[ReportWarning],
    artifacts: dict[str, str],
    coverage: list[FileCoverage],
    patch: str,
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
    overall = coverage_summary(coverage)
    report["coverage"] = {
        **overall.model_dump(mode="json"),
        "modules": [
            {"file": f.file, "total": f.total, "covered": f.covered, "percent": _percent(f)}
            for f in sorted(coverage, key=lambda f: f.file)
        ],
    }
    style = request.style
    report["style"] = {"style": style.style, "typed": style.typed, "source": style.source}
    report["style"]["votes"] = style.votes
    drafts = request.drafts
    report["drafts"] = {
        "drafted": drafts.drafted,
        "files": drafts.files,
        "written_by_llm": drafts.written_by_llm,
        "pydoclint_violations": drafts.violations,
        "patch": patch,
    }
    ref = request.reference
    report["reference"] = (
        {
            "markdown": ref.markdown_dir,
            "html": ref.html_dir,
            "modules": ref.modules,
            "markdown_files": ref.markdown_files,
            "html_files": ref.html_files,
        }
        if ref is not None
        else {"status": "failed", "reason": request.reference_error or ""}
    )
    report["applied"] = request.applied.model_dump(mode="json", exclude_none=True)
    report["rules"] = dict(sorted(_count(f.rule_id for f in findings).items()))
    return report


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def sarif_findings(report: dict[str, Any]) -> dict[str, Any]:
    """The report as SARIF sees it: the consistency findings only."""
    kept = [f for f in report["findings"] if f["category"] == "docstring-consistency"]
    return {**report, "findings": kept}


def render_document_markdown(report: dict[str, Any]) -> str:
    # A security-style risk score says nothing about documentation: coverage does.
    text = re.sub(r"^\*\*Risk score:.*\n\n?", "", reports.render_markdown(report), flags=re.M)
    cov = report["coverage"]
    out = [
        "## Docstring coverage",
        "",
        f"**{cov['percent']}%** documented ({cov['covered']} of {cov['total']} modules, "
        "classes, functions and methods, by interrogate's rules).",
        "",
    ]
    modules = sorted(cov["modules"], key=lambda m: (m["percent"], m["file"]))
    if modules:
        out += ["| Module | Documented | Total | Coverage |", "|---|---:|---:|---:|"]
        out += [
            f"| {reports._cell(m['file'])} | {m['covered']} | {m['total']} | {m['percent']}% |"
            for m in modules[:MODULES_SHOWN]
        ]
        if len(modules) > MODULES_SHOWN:
            out.append(
                f"\nLeast documented {MODULES_SHOWN} of {len(modules)}; report.json has all."
            )
        out.append("")
    style = report["style"]
    drafts = report["drafts"]
    out += [
        "## Drafts",
        "",
        f"Style: **{style['style']}** ({style['source']}"
        f"{', argument types in the docstring' if style['typed'] else ''}).",
        f"{drafts['drafted']} docstrings drafted in {drafts['files']} files "
        f"({drafts['written_by_llm']} with text by Claude); pydoclint on the drafts: "
        f"{drafts['pydoclint_violations']} violations.",
        "Every drafted summary starts with `TODO(attune draft):` until a person accepts it.",
        "",
    ]
    applied = report["applied"]
    if applied.get("status") in ("committed", "unchanged"):
        out += [
            f"Committed to branch `{applied['branch']}` ({applied.get('commit', '')[:12]}).",
            "",
        ]
    elif applied.get("status") in ("failed", "nothing-to-apply"):
        out += [f"Apply: {applied['status']} ({reports._inline(applied.get('reason', ''))}).", ""]
    if drafts["patch"]:
        lines = drafts["patch"].splitlines()
        fence = "`" * max(3, reports._longest_backtick_run(drafts["patch"]) + 1)
        out += [f"{fence}diff", *lines[:PATCH_LINES_SHOWN], fence]
        if len(lines) > PATCH_LINES_SHOWN:
            out.append(
                f"\nFirst {PATCH_LINES_SHOWN} of {len(lines)} lines; the patch file has all."
            )
        out.append("")
    ref = report["reference"]
    out += ["## API reference", ""]
    if "status" in ref:
        out.append(f"Not built: {reports._inline(ref['reason'])}")
    else:
        out.append(f"{ref['modules']} modules: Markdown in `{ref['markdown']}`")
        if ref["html"]:
            out[-1] += f", HTML (pdoc) in `{ref['html']}`"
    out.append("")
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    if not tail:
        return text.rstrip("\n") + "\n\n" + "\n".join(out)
    return head + "\n".join(out) + "\n" + marker + tail
