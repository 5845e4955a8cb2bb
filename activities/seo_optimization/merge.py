"""From per-page audit outcomes (static, and Lighthouse's when it ran) to findings, and
the agreement between the two per audit.

A failure both report is one finding with both tools. One only Lighthouse reports
becomes a finding of its own (it saw the rendered page: CSS, scripts, redirects); one
only the static check reports stays, at low confidence, saying Lighthouse passed it.
"""

from __future__ import annotations

from collections import defaultdict

from activities.seo_optimization.checks import AuditItem, AuditOutcome
from activities.seo_optimization.site import SitePage, seo_finding
from workflows.schemas import Finding, Severity

SEVERITY: dict[str, Severity] = {
    "is-crawlable": "high",
    "http-status-code": "high",
    "document-title": "medium",
    "meta-description": "medium",
    "viewport": "medium",
    "canonical": "medium",
    "hreflang": "medium",
    "image-alt": "medium",
    "structured-data": "medium",
    "robots-txt": "medium",
    "crawlable-anchors": "low",
    "link-text": "low",
}
LIGHTHOUSE_ONLY = {
    "document-title": "Lighthouse: the document has no title",
    "meta-description": "Lighthouse: the document has no meta description",
    "viewport": "Lighthouse: no viewport meta tag with width or initial-scale",
    "http-status-code": "Lighthouse: the page has an unsuccessful HTTP status code",
    "crawlable-anchors": "Lighthouse: links are not crawlable",
    "link-text": "Lighthouse: links do not have descriptive text",
    "hreflang": "Lighthouse: the document doesn't have a valid hreflang",
    "canonical": "Lighthouse: the document doesn't have a valid rel=canonical",
    "is-crawlable": "Lighthouse: the page is blocked from indexing",
    "robots-txt": "Lighthouse: robots.txt is not valid",
    "image-alt": "Lighthouse: image elements do not have [alt] attributes",
}


def fails(result: str | None) -> bool:
    return result == "fail"


def page_findings(
    page: SitePage,
    audits: list[AuditOutcome],
    lighthouse: dict[str, str] | None,
    robots_reported: set[str],
) -> list[Finding]:
    """Findings of one page. robots.txt problems belong to the site, so they are reported
    once (`robots_reported` remembers them) against robots.txt itself."""
    findings: list[Finding] = []
    static = {a.audit: a for a in audits}
    for audit, outcome in static.items():
        seen_by_lighthouse = lighthouse is not None and audit in lighthouse
        lighthouse_fails = seen_by_lighthouse and fails(lighthouse.get(audit))
        if outcome.result == "fail":
            file = "robots.txt" if audit == "robots-txt" else page.file
            for item in outcome.items or [AuditItem(message=f"{audit} failed")]:
                if audit == "robots-txt":
                    if item.message in robots_reported:
                        continue
                    robots_reported.add(item.message)
                message = item.message if audit == "robots-txt" else f"{item.message} ({page.url})"
                finding = seo_finding(
                    audit,
                    SEVERITY.get(audit, "low"),
                    file,
                    item.model_copy(update={"message": message}),
                    confidence="high" if lighthouse_fails or not seen_by_lighthouse else "low",
                )
                if lighthouse_fails:
                    finding.tools = ["attune", "lighthouse"]
                elif seen_by_lighthouse:
                    finding.message += " [Lighthouse passed this page]"
                findings.append(finding)
        elif lighthouse_fails:
            item = AuditItem(message=f"{LIGHTHOUSE_ONLY.get(audit, audit)} ({page.url})")
            findings.append(
                seo_finding(audit, SEVERITY.get(audit, "low"), page.file, item, tool="lighthouse")
            )
    return findings


def agreement(
    static: dict[str, dict[str, str]], lighthouse: dict[str, dict[str, str]]
) -> dict[str, dict[str, int]]:
    """Per audit: pages both judged, and on how many they agree on failing or not."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"agree": 0, "pages": 0})
    for page, verdicts in lighthouse.items():
        ours = static.get(page)
        if ours is None:
            continue
        for audit, theirs in verdicts.items():
            if audit not in ours:
                continue
            row = table[audit]
            row["pages"] += 1
            row["agree"] += fails(ours[audit]) == fails(theirs)
    return dict(sorted(table.items()))
