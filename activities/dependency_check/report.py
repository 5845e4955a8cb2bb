"""dependency-check's report: the section 6 envelope (activities.reports builds it) plus
`database` (source and age), `dependencies`, `vulnerabilities`, `hygiene` and `warnings`;
Markdown and SARIF from the shared writers, hygiene rules not tagged as security."""

from __future__ import annotations

from collections import Counter
from typing import Any

from activities import reports
from workflows.schemas import Finding, LLMSummary, ReportWarning, SkippedFile

HYGIENE_CATEGORIES = {
    "missing-dependency",
    "unused-dependency",
    "transitive-dependency",
    "misplaced-dev-dependency",
    "stdlib-dependency",
}
OSV_PAGE = "https://osv.dev/vulnerability/"
NO_LLM = LLMSummary(
    status="skipped",
    reason="dependency-check makes no LLM calls: advisories come from the local OSV database",
)


def dependency_report(
    *,
    envelope: dict[str, Any],
    findings: list[Finding],
    skipped: list[SkippedFile],
    database: dict[str, Any],
    dependencies: list[dict[str, Any]],
    files: list[str],
    vulnerabilities: list[dict[str, Any]],
    hygiene: dict[str, Any],
    warnings: list[ReportWarning],
) -> dict[str, Any]:
    report = reports.build_report(
        **envelope, findings=findings, skipped=skipped, llm=NO_LLM, warnings=warnings
    )
    report["database"] = database
    report["files"] = files
    report["dependencies"] = dependencies
    report["vulnerabilities"] = vulnerabilities
    report["hygiene"] = hygiene
    return report


def render_dependency_markdown(report: dict[str, Any]) -> str:
    text = reports.render_markdown(report).replace("## LLM triage", "## LLM")
    db = report["database"]
    out = ["## Advisory database", ""]
    if db["status"] == "ok":
        age = f"{db['age_days']:.0f} days" if db.get("age_days") is not None else "unknown"
        out += [
            f"- Source: {reports._inline(db['source'])}",
            f"- Advisories: {db['advisories']}; newest {db.get('newest_advisory') or 'unknown'}",
            f"- **Age: {age}** (imported {db.get('imported_at')})",
        ]
    else:
        out.append("- **No database**: vulnerabilities were not checked.")
    out += ["", "## Dependencies", ""]
    per_file = Counter(d["file"] for d in report["dependencies"])
    if per_file:
        out += ["| File | Entries |", "|---|---:|"]
        out += [f"| {reports._code(f, in_table=True)} | {n} |" for f, n in sorted(per_file.items())]
    else:
        out.append("No dependency files found.")
    out += ["", "## Vulnerable dependencies", ""]
    if report["vulnerabilities"]:
        out += ["| Where | Requirement | Status | Ids | Fixed |", "|---|---|---|---|---|"]
        for v in report["vulnerabilities"]:
            requirement = v["package"] + (v["specifier"] or " (any)")
            out.append(
                f"| {reports._code(f'{v["file"]}:{v["line"]}', in_table=True)} "
                f"| {reports._cell(requirement)} | {v['status']} "
                f"| {reports._cell(', '.join(v['ids']))} | {v.get('fixed') or '-'} |"
            )
    else:
        out.append("None found." if db["status"] == "ok" else "Not checked.")
    out += ["", *_hygiene_markdown(report["hygiene"])]
    marker = "## Findings"
    head, _, tail = text.partition(marker)
    return head + "\n".join(out) + "\n" + marker + tail


def _hygiene_markdown(hygiene: dict[str, Any]) -> list[str]:
    out = ["## Hygiene", ""]
    for key, title in (
        ("deptry", "Unused/missing/transitive (deptry)"),
        ("confusion", "Dependency confusion"),
    ):
        part = hygiene.get(key, {})
        reason = f": {reports._inline(part['reason'])}" if part.get("reason") else ""
        out.append(f"- {title}: **{part.get('status', 'skipped')}**{reason}")
    licences = hygiene.get("licences", {})
    out.append(
        f"- Licences: **{licences.get('status', 'skipped')}**"
        + (f": {reports._inline(licences['reason'])}" if licences.get("reason") else "")
    )
    packages = licences.get("packages", {})
    if packages:
        out += ["", "| Package | Installed | Licence |", "|---|---|---|"]
        for name, info in sorted(packages.items()):
            out.append(
                f"| {reports._cell(name)} | {info.get('version') or 'not installed'} "
                f"| {reports._cell(info.get('license') or 'unknown')} |"
            )
    return [*out, ""]


def render_dependency_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    sarif = reports.render_sarif(report, tool_version)
    categories = {f["rule_id"]: f["category"] for f in report["findings"]}
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            if categories.get(rule["id"]) == "vulnerable-dependency" and "-" in rule["id"]:
                uri = f"{OSV_PAGE}{rule['id']}"
                text = rule["fullDescription"]["text"]
                rule["helpUri"] = uri
                rule["help"] = {"text": f"{text} See {uri}", "markdown": f"{text} [OSV]({uri})"}
            if categories.get(rule["id"]) in HYGIENE_CATEGORIES:
                properties = rule["properties"]
                properties["tags"] = [t for t in properties["tags"] if t != "security"]
                properties.pop("security-severity", None)
    return sarif
