"""seo-optimization's report: the section 6 envelope (activities.reports builds it) plus
`site`, `lighthouse` (with its agreement per audit), `by_audit`, `drafts`, `patch`,
`applied` and `warnings`; Markdown and SARIF from the shared writers, with the rules
tagged as SEO rather than security."""

from __future__ import annotations

from collections import Counter
from typing import Any

from activities import reports
from activities.seo_optimization.fixes import Draft
from workflows.schemas import Finding, SkippedFile
from workflows.security_audit.models import AuditSummary
from workflows.seo_optimization.models import SeoReportRequest

LIGHTHOUSE_DOCS = "https://developer.chrome.com/docs/lighthouse/seo/"


def seo_report(
    *,
    request: SeoReportRequest,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    drafts: list[Draft],
    patch: str,
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
    )
    site = request.site
    lighthouse = request.lighthouse
    warnings = [w.model_dump(mode="json", exclude_none=True) for w in site.warnings]
    if lighthouse.status != "ok" or lighthouse.failed_pages:
        code = "lighthouse-missing" if lighthouse.status == "skipped" else "lighthouse-failed"
        if lighthouse.reason != "lighthouse=off":
            warnings.append(
                {"code": code, "message": f"Lighthouse did not run: {lighthouse.reason}"}
                if lighthouse.status != "ok"
                else {"code": code, "message": lighthouse.reason}
            )
    report["url"] = request.url
    report["site"] = {
        "kind": site.kind,
        "root": site.root,
        "origin": site.origin,
        "pages": site.page_count,
        "built_with": site.built_with,
        "robots_txt": site.robots_status,
        "sitemap": site.sitemap is not None,
    }
    report["lighthouse"] = {
        "status": lighthouse.status,
        "reason": lighthouse.reason,
        "version": lighthouse.version,
        "pages": lighthouse.pages,
        "failed_pages": lighthouse.failed_pages,
        "agreement": request.site_check.agreement,
    }
    report["by_audit"] = dict(sorted(Counter(f.rule_id for f in findings).items()))
    report["drafts"] = [d.model_dump(mode="json") for d in drafts]
    report["patch"] = patch
    report["applied"] = request.applied.model_dump(mode="json")
    report["warnings"] = warnings
    return report


def render_seo_markdown(report: dict[str, Any]) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM drafts")
    site = report["site"]
    out = [
        "## Site",
        "",
        f"- Kind: **{site['kind']}**, {site['pages']} pages checked"
        + (f" (built with `{site['built_with']}`)" if site["built_with"] else ""),
        f"- robots.txt: {site['robots_txt'] or 'not reachable'}; sitemap: "
        f"{'yes' if site['sitemap'] else 'none'}",
    ]
    lighthouse = report["lighthouse"]
    if lighthouse["status"] == "ok":
        out.append(
            f"- Lighthouse {lighthouse['version']}: {lighthouse['pages']} pages audited"
            + (f", {lighthouse['failed_pages']} failed" if lighthouse["failed_pages"] else "")
        )
    else:
        out.append(
            f"- Lighthouse: **{lighthouse['status']}** ({reports._inline(lighthouse['reason'])})"
        )
    out.append("")
    if lighthouse["agreement"]:
        out += ["| Audit | Static and Lighthouse agree | Pages |", "|---|---:|---:|"]
        for audit, row in lighthouse["agreement"].items():
            share = 100 * row["agree"] / row["pages"] if row["pages"] else 100
            out.append(f"| {audit} | {share:.1f}% | {row['pages']} |")
        out.append("")
    if report["by_audit"]:
        out += ["| Check | Findings |", "|---|---:|"]
        out += [f"| {rule} | {count} |" for rule, count in report["by_audit"].items()]
        out.append("")
    out += _drafts_markdown(report)
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    if not tail:
        return text.rstrip("\n") + "\n\n" + "\n".join(out)
    return head + "\n".join(out) + "\n" + marker + tail


def _drafts_markdown(report: dict[str, Any]) -> list[str]:
    drafts = report["drafts"]
    if not drafts:
        return []
    out = [
        "## Drafts",
        "",
        "Drafted text for missing titles and descriptions. **Review every draft before "
        "publishing**: offline drafts are the page's own first paragraph or heading.",
        "",
        "| File | Field | Draft | Source | In the patch |",
        "|---|---|---|---|---|",
    ]
    for draft in drafts:
        written = "yes" if draft["written"] else (draft["note"] or "no")
        out.append(
            f"| {reports._code(draft['file'], in_table=True)} | {draft['field']} | "
            f"{reports._cell(draft['text'])} | {draft['source']} | {reports._cell(written)} |"
        )
    out.append("")
    applied = report["applied"]
    if applied["status"] in ("committed", "unchanged"):
        out += [
            f"Committed to branch `{applied['branch']}` ({(applied['commit'] or '')[:12]}).",
            "",
        ]
    elif applied["status"] == "failed":
        out += [f"Apply failed: {reports._inline(applied['reason'])}", ""]
    if report["patch"]:
        fence = "`" * max(3, reports._longest_backtick_run(report["patch"]) + 1)
        out += ["### Patch", "", f"{fence}diff", report["patch"].rstrip("\n"), fence, ""]
    return out


def render_seo_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            properties = rule["properties"]
            properties["tags"] = ["seo"]
            properties.pop("security-severity", None)
            rule.setdefault("helpUri", f"{LIGHTHOUSE_DOCS}{rule['id']}/")
    return sarif
