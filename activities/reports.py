"""Audit summaries and the three report formats: Markdown for people, JSON for tools, SARIF.

Pure functions of the findings, so the report activity stays a thin wrapper and everything
here is tested without Temporal.

Open findings
-------------
A finding is open unless it is an accepted risk (project memory) or suppressed (an inline
comment, the test-code policy, a ``--baseline``): ``Finding.is_open``. Every finding stays
in the JSON and the SARIF (as a SARIF suppression, with its reason) and in the Markdown's
own sections; only open findings enter the severity counts, the top files, the risk score,
and so ``--fail-on`` and every verdict built on the counts.

Risk score (0-100)
------------------
The score says how bad the worst open finding is, then how much of it there is: a band
per severity, and a place in the band that grows with volume but never leaves it.

1. A finding's *band* is its severity, one step lower when its confidence is low (a
   low-confidence high is a possible issue, banded as a medium), never below low.
2. The worst band among the open findings sets the range (info alone scores 0)::

       low 1-14, medium ("moderate") 15-39, high 40-74, critical 75-100

3. ``V`` adds up ``CONFIDENCE_FACTOR`` (high 1, medium 0.7, low 0.4) over the findings in
   that band only; ``score = floor + round((ceiling - floor) * (1 - exp(-V / 5)))``.

So a project with no open high or critical finding stays "moderate" (at most 39) however
many medium and low findings it has: volume of lesser findings never outranks one real
hole. Worked examples (tests/test_reports.py computes each line below and the README's):

    one confident medium                       19
    300 confident mediums and 500 lows         39
    one confident high                         46
    one low-confidence high (banded medium)    17
    four confident highs                       59
    ten confident highs and 300 mediums        69
    one confident critical                     80

A file's score in ``top_files`` ranks files, not projects: the sum over its open findings
of ``SEVERITY_WEIGHT[severity] * CONFIDENCE_FACTOR[confidence]`` (critical 10, high 5,
medium 2, low 0.5, info 0). LLM verdicts enter neither, so the score is the same with or
without an API key and cannot be talked down by a model.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter

from activities.target import local_target, shown_target
from workflows.schemas import (
    CONFIDENCE_RANK,
    SEVERITIES,
    SEVERITY_RANK,
    Finding,
    FlowStep,
    LLMSummary,
    ReportWarning,
    SkippedFile,
)
from workflows.security_audit.models import AuditSummary, TopFile

SEVERITY_WEIGHT: dict[str, float] = {
    "critical": 10.0,
    "high": 5.0,
    "medium": 2.0,
    "low": 0.5,
    "info": 0.0,
}
CONFIDENCE_FACTOR: dict[str, float] = {"high": 1.0, "medium": 0.7, "low": 0.4}
FINDINGS = TypeAdapter(list[Finding])
RISK_BANDS: dict[str, tuple[int, int]] = {
    "low": (1, 14),
    "medium": (15, 39),
    "high": (40, 74),
    "critical": (75, 100),
}
RISK_BAND_NAMES: dict[str, str] = {
    "low": "low",
    "medium": "moderate",
    "high": "high",
    "critical": "critical",
}
VOLUME_SCALE = 5.0
TOP_FILES = 10

REPORT_FILES: dict[str, str] = {
    "markdown": "report.md",
    "json": "report.json",
    "sarif": "report.sarif",
}

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "attune/v1"
# Stands in until the project publishes a homepage; SARIF viewers link the tool name here.
# SARIF has three levels; GitHub code scanning ranks security alerts by `security-severity`
# (CVSS-like: >= 9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low). Info findings get no
# security-severity, so GitHub files them as notes rather than as security alerts.
SARIF_LEVEL: dict[str, str] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
SECURITY_SEVERITY: dict[str, str] = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
}
# SARIF's threadFlowLocation kinds (spec 3.38.8) for each hop of a taint path.
SARIF_FLOW_KINDS: dict[str, list[str]] = {
    "source": ["taint"],
    "call": ["call"],
    "return": ["return"],
    "sink": ["taint", "danger"],
}
# A suppression reason starting so is a comment in the code (nosec, a noqa of an S rule,
# attune: ignore[RULE]): SARIF's `inSource`; any other reason is `external`.
INLINE_SUPPRESSION = "inline:"
TOOL_DOCS: dict[str, str] = {
    "ruff": "https://docs.astral.sh/ruff/rules/",
    "bandit": "https://bandit.readthedocs.io/en/latest/plugins/index.html",
}

_MD_EXAMPLES = 5


def finding_weight(finding: Finding) -> float:
    """The finding's share of its file's score in `top_files` (see the module docstring)."""
    return SEVERITY_WEIGHT[finding.severity] * CONFIDENCE_FACTOR[finding.confidence]


def risk_band(finding: Finding) -> str:
    """The severity a finding scores at: one step lower at low confidence, never below low."""
    if finding.confidence != "low" or finding.severity in ("low", "info"):
        return finding.severity
    return SEVERITIES[SEVERITIES.index(finding.severity) + 1]


def risk_score(findings: Iterable[Finding]) -> int:
    """0-100 from the open findings: the worst band, then the volume in it (module docstring)."""
    volume: dict[str, float] = defaultdict(float)
    for f in findings:
        if f.is_open:
            volume[risk_band(f)] += CONFIDENCE_FACTOR[f.confidence]
    worst = next((band for band in SEVERITIES if band in RISK_BANDS and volume[band]), None)
    if worst is None:
        return 0
    floor, ceiling = RISK_BANDS[worst]
    return floor + round((ceiling - floor) * (1 - math.exp(-volume[worst] / VOLUME_SCALE)))


def risk_level(score: int) -> str:
    """The band's name a score falls in ("none" at 0)."""
    return next(
        (
            RISK_BAND_NAMES[band]
            for band, (floor, ceiling) in RISK_BANDS.items()
            if floor <= score <= ceiling
        ),
        "none",
    )


def summarize(findings: list[Finding], files_scanned: int, files_skipped: int) -> AuditSummary:
    """Counts, top files and risk score of the open findings; the others are counted apart
    (`suppressed`, then `accepted_risks`), so `findings_total` is open + both."""
    open_findings = [f for f in findings if f.is_open]
    counts = Counter(f.severity for f in open_findings)
    per_file: dict[str, float] = defaultdict(float)
    per_file_count: Counter[str] = Counter()
    for f in open_findings:
        per_file[f.file] += finding_weight(f)
        per_file_count[f.file] += 1
    # A file whose findings are all info carries no risk, so it is not a "top" file.
    ranked = sorted(
        (file for file, score in per_file.items() if score > 0),
        key=lambda file: (-per_file[file], -per_file_count[file], file),
    )
    suppressed = sum(f.suppressed is not None for f in findings)
    return AuditSummary(
        counts={s: counts.get(s, 0) for s in SEVERITIES},
        risk_score=risk_score(open_findings),
        top_files=[
            TopFile(file=file, findings=per_file_count[file], score=round(per_file[file], 2))
            for file in ranked[:TOP_FILES]
        ],
        files_scanned=files_scanned,
        files_skipped=files_skipped,
        findings_total=len(findings),
        accepted_risks=len(findings) - len(open_findings) - suppressed,
        suppressed=suppressed,
    )


def build_report(
    *,
    workflow: str,
    workflow_id: str,
    run_id: str,
    status: str,
    target: str,
    started_at: datetime,
    duration_s: float,
    summary: AuditSummary,
    findings: list[Finding],
    skipped: list[SkippedFile],
    llm: LLMSummary,
    artifacts: dict[str, str],
    warnings: Sequence[ReportWarning] = (),
) -> dict[str, Any]:
    """The report document (DESIGN section 6) as plain JSON-ready data, with the
    `warnings` of section 10 (a flow's own, after its discovery's)."""
    if started_at.tzinfo is None:
        # Workflow time is UTC; a naive value would otherwise serialise without an offset.
        started_at = started_at.replace(tzinfo=UTC)
    return {
        "workflow": workflow,
        "workflow_id": workflow_id,
        "run_id": run_id,
        "status": status,
        "target": target,
        "started_at": started_at.isoformat(),
        "duration_s": round(duration_s, 3),
        "summary": summary.model_dump(mode="json"),
        "findings": [f.model_dump(mode="json") for f in findings],
        "skipped": [s.model_dump(mode="json") for s in skipped],
        "warnings": [w.model_dump(mode="json", exclude_none=True) for w in warnings],
        "llm": llm.model_dump(mode="json"),
        "artifacts": dict(artifacts),
    }


# --------------------------------------------------------------------------- Markdown


def render_markdown(report: dict[str, Any], *, max_findings_per_severity: int = 200) -> str:
    """A report a person reads top-down: verdict first, then where to look, then details.

    Each severity lists at most `max_findings_per_severity` findings (report.json has them
    all), so a noisy scan still yields a document a browser and a reviewer can open.
    """
    summary = AuditSummary.model_validate(report["summary"])
    findings = [Finding.model_validate(f) for f in report["findings"]]
    skipped = [SkippedFile.model_validate(s) for s in report.get("skipped", [])]
    llm = LLMSummary.model_validate(report["llm"])

    out: list[str] = [
        f"# attune {report['workflow']}: {_code(report['target'])}",
        "",
        "| | |",
        "|---|---|",
        f"| Status | **{report['status']}** |",
        f"| Workflow id | {_code(report['workflow_id'], in_table=True)} "
        f"(run {_code(report['run_id'], in_table=True)}) |",
        f"| Started | {report['started_at']} |",
        f"| Duration | {_duration(report['duration_s'])} |",
        f"| Files | {summary.files_scanned} scanned, {summary.files_skipped} skipped |",
        "",
        "## Summary",
        "",
        "| Severity | Findings |",
        "|---|---:|",
        *(f"| {s} | {summary.counts.get(s, 0)} |" for s in SEVERITIES),
        *([f"| suppressed | {summary.suppressed} |"] if summary.suppressed else []),
        *([f"| accepted risk | {summary.accepted_risks} |"] if summary.accepted_risks else []),
        f"| **total** | **{summary.findings_total}** |",
        "",
        f"**Risk score: {summary.risk_score}/100 ({risk_level(summary.risk_score)}).** "
        f"{_risk_explanation()}",
        "",
    ]

    if summary.top_files:
        out += ["## Top files", "", "| File | Findings | Score |", "|---|---:|---:|"]
        out += [
            f"| {_code(t.file, in_table=True)} | {t.findings} | {t.score:g} |"
            for t in summary.top_files
        ]
        out.append("")

    out += _markdown_warnings(report.get("warnings", []))
    out += ["## Findings", ""]
    listed = [f for f in findings if f.suppressed is None]
    if not listed:
        out += ["No open findings." if findings else "No findings.", ""]
    by_severity: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(listed, key=_finding_order):
        by_severity[f.severity].append(f)
    for severity in SEVERITIES:
        group = by_severity.get(severity)
        if not group:
            continue
        out += [f"### {severity.capitalize()} ({len(group)})", ""]
        for f in group[:max_findings_per_severity]:
            out += _markdown_finding(f)
        if len(group) > max_findings_per_severity:
            hidden = len(group) - max_findings_per_severity
            out += [f"_{hidden} more {severity} findings are listed in report.json._", ""]

    out += _markdown_suppressed(
        [f for f in findings if f.suppressed is not None], max_findings_per_severity
    )
    if skipped:
        out += _markdown_skipped(skipped)
    out += _markdown_llm(llm)

    artifacts = report.get("artifacts") or {}
    if artifacts:
        out += ["## Artifacts", ""]
        out += [f"- {name}: {_code(path)}" for name, path in sorted(artifacts.items())]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _risk_explanation() -> str:
    bands = ", ".join(
        f"{RISK_BAND_NAMES[band]} {floor}-{ceiling}"
        for band, (floor, ceiling) in RISK_BANDS.items()
    )
    return (
        f"The worst open finding sets the band ({bands}; a low-confidence finding counts one "
        "severity lower) and the number of findings in that band the place in it, with "
        f"diminishing returns: one confident high scores {_risk_of(high=1)}, four "
        f"{_risk_of(high=4)}, and no number of mediums passes {RISK_BANDS['medium'][1]}."
    )


def _risk_of(**counts: int) -> int:
    return risk_score(
        Finding(
            rule_id="EXAMPLE",
            tool="attune",
            category="example",
            severity=severity,  # type: ignore[arg-type]
            confidence="high",
            file="example.py",
            line=line,
            message="example",
        )
        for severity, n in counts.items()
        for line in range(1, n + 1)
    )


def _markdown_finding(f: Finding) -> list[str]:
    line, column, end_line = _span(f)
    location = f"{f.file}:{line}" + (f"-{end_line}" if end_line > line else "")
    lines = [
        f"#### {_code(f.rule_id)} {_inline(f.message)}",
        "",
        f"- Location: {_code(location)} (column {column})",
        f"- Tools: {', '.join(_tools(f))}"
        + (f" (also {', '.join(_code(r) for r in f.related_rules)})" if f.related_rules else ""),
        f"- CWE: {_cwe_link(f.cwe)}" if f.cwe else "- CWE: none assigned",
        f"- Category: {f.category}; confidence: {f.confidence}",
    ]
    if f.accepted_risk is not None:
        lines.append(f"- **Accepted risk** (project memory): {_inline(f.accepted_risk)}")
    lines += _markdown_flow(f)
    if f.llm:
        verdict = f.llm.verdict.replace("_", " ")
        lines.append(f"- LLM triage ({f.llm.tier}): **{verdict}**. {_inline(f.llm.rationale)}")
        if f.llm.remediation:
            lines.append(f"- Remediation: {_inline(f.llm.remediation)}")
    lines.append("")
    if f.snippet.strip():
        fence = "`" * max(3, _longest_backtick_run(f.snippet) + 1)
        language = "python" if f.file.endswith((".py", ".pyi")) else ""
        lines += [f"{fence}{language}", f.snippet.rstrip("\n"), fence, ""]
    if f.fix_diff:
        fence = "`" * max(3, _longest_backtick_run(f.fix_diff) + 1)
        lines += ["Suggested fix:", "", f"{fence}diff", f.fix_diff.rstrip("\n"), fence, ""]
    return lines


def _markdown_flow(f: Finding) -> list[str]:
    """The taint path, source first, one `file:line` per hop."""
    if not f.flow:
        return []
    lines = ["- Path: " + " -> ".join(f"{step.kind} {_code(_step_at(step))}" for step in f.flow)]
    lines += [
        f"  {number}. {step.kind} {_code(_step_at(step))}: {_inline(step.note)}"
        for number, step in enumerate(f.flow, 1)
    ]
    return lines


def _step_at(step: FlowStep) -> str:
    return f"{step.file}:{max(1, step.line)}"


def _markdown_suppressed(suppressed: list[Finding], cap: int) -> list[str]:
    """Suppressed findings apart from the open ones, grouped by reason (most common first),
    each group capped at `cap` like a severity."""
    if not suppressed:
        return []
    by_reason: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(suppressed, key=_finding_order):
        by_reason[f.suppressed or "suppressed"].append(f)
    out = [
        f"## Suppressed ({len(suppressed)})",
        "",
        "Reported, but out of the counts and the risk score.",
        "",
    ]
    for reason, group in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out += [f"### {_inline(reason)} ({len(group)})", ""]
        for f in group[:cap]:
            line, _, _ = _span(f)
            out.append(
                f"- {f.severity} {_code(f.rule_id)} at {_code(f'{f.file}:{line}')}: "
                f"{_inline(f.message)}"
            )
        if len(group) > cap:
            out.append(f"- _{len(group) - cap} more are listed in report.json._")
        out.append("")
    return out


def _markdown_warnings(warnings: list[dict[str, Any]]) -> list[str]:
    if not warnings:
        return []
    out = ["## Warnings", ""]
    for warning in warnings:
        where = f"{warning['file']}:{warning.get('line') or 1}: " if warning.get("file") else ""
        out.append(f"- {_inline(where + warning['message'])}")
    return [*out, ""]


def _markdown_skipped(skipped: list[SkippedFile]) -> list[str]:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for s in skipped:
        by_reason[s.reason].append(s.path)
    out = ["## Skipped files", "", "| Reason | Files | Examples |", "|---|---:|---|"]
    for reason, paths in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        examples = ", ".join(_code(p, in_table=True) for p in sorted(paths)[:_MD_EXAMPLES])
        more = f" and {len(paths) - _MD_EXAMPLES} more" if len(paths) > _MD_EXAMPLES else ""
        out.append(f"| {_cell(reason)} | {len(paths)} | {examples}{more} |")
    return [*out, ""]


def _markdown_llm(llm: LLMSummary) -> list[str]:
    out = ["## LLM triage", "", f"- Status: **{llm.status}**"]
    if llm.reason:
        out.append(f"- Reason: {_inline(llm.reason)}")
    if llm.calls_by_tier:
        out.append(
            "- Calls: " + ", ".join(f"{t} {n}" for t, n in sorted(llm.calls_by_tier.items()))
        )
    if llm.tokens:
        out.append("- Tokens: " + ", ".join(f"{k} {v:,}" for k, v in sorted(llm.tokens.items())))
    if llm.status != "skipped" or llm.cost_usd:
        out.append(
            f"- Cost: ${llm.cost_usd:.4f} (all at the top tier: ${llm.baseline_cost_usd:.4f}; "
            f"saved ${llm.savings_usd:.4f})"
        )
    return [*out, ""]


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min {secs} s" if hours else f"{minutes} min {secs} s"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _code(text: str, *, in_table: bool = False) -> str:
    """Inline code that survives backticks in the text; in a table, pipes too (GFM splits
    cells before it parses code spans)."""
    text = text.replace("\n", " ")
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _inline(text: str) -> str:
    """Scanner and model text on one line, with angle brackets kept from becoming HTML."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _cwe_link(cwe: int) -> str:
    return f"[CWE-{cwe}]({_cwe_uri(cwe)})"


def _cwe_uri(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


def _span(f: Finding) -> tuple[int, int, int]:
    """(line, column, end line), 1-based and ordered: some engines report 0 for "the whole
    file" or a missing column, which SARIF rejects and people misread."""
    line = max(1, f.line)
    return line, max(1, f.column), max(line, f.end_line or line)


def _tools(f: Finding) -> list[str]:
    return list(dict.fromkeys([f.tool, *f.tools]))


def _finding_order(f: Finding) -> tuple[int, int, str, int, int, str]:
    return (
        -SEVERITY_RANK[f.severity],
        -CONFIDENCE_RANK[f.confidence],
        f.file,
        f.line,
        f.column,
        f.rule_id,
    )


# --------------------------------------------------------------------------- SARIF


def render_sarif(report: dict[str, Any], tool_version: str) -> dict[str, Any]:
    """One SARIF 2.1.0 run for GitHub code scanning and any SARIF viewer.

    `automationDetails.id` is "attune/<workflow>/<workflow id>": GitHub takes everything
    before the last slash as the analysis category, so successive runs of one workflow
    replace each other's alerts instead of piling up.
    """
    findings = sorted(
        (Finding.model_validate(f) for f in report["findings"]),
        key=lambda f: (f.file, f.line, f.column, f.rule_id, f.fingerprint),
    )
    rules, rule_index = _sarif_rules(findings)
    started = datetime.fromisoformat(report["started_at"])
    ended = started + timedelta(seconds=float(report["duration_s"]))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "attune",
                "semanticVersion": tool_version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"attune/{report['workflow']}/{report['workflow_id']}"},
        "originalUriBaseIds": {SRCROOT: {"uri": _srcroot_uri(report["target"])}},
        "invocations": [
            {
                "executionSuccessful": report["status"] in ("completed", "awaiting_approval"),
                "startTimeUtc": _sarif_time(started),
                "endTimeUtc": _sarif_time(ended),
            }
        ],
        "results": [_sarif_result(f, rule_index[f.rule_id]) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _sarif_rules(findings: Iterable[Finding]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One rule per rule id, described by its first (most severe, then first-located) finding."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule_id].append(f)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        worst = max(group, key=lambda f: SEVERITY_RANK[f.severity])
        tools = list(dict.fromkeys(t for f in group for t in _tools(f)))
        cwe = next((f.cwe for f in group if f.cwe), None)
        tags = ["security", "-".join(worst.category.lower().split())]
        if cwe:
            tags.append(f"external/cwe/cwe-{cwe}")
        properties: dict[str, Any] = {
            "tags": tags,
            "precision": max((f.confidence for f in group), key=CONFIDENCE_RANK.__getitem__),
            "tools": tools,
        }
        if worst.severity in SECURITY_SEVERITY:
            properties["security-severity"] = SECURITY_SEVERITY[worst.severity]
        short = _sentence(_first_sentence(worst.message))
        full = _sentence(
            f"{_sentence(worst.message)} Reported by {', '.join(tools)}"
            + (f"; CWE-{cwe}" if cwe else "")
        )
        rule: dict[str, Any] = {
            "id": rule_id,
            "name": _rule_name(worst.category, rule_id),
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "defaultConfiguration": {"level": SARIF_LEVEL[worst.severity]},
            "properties": properties,
        }
        help_uri = _cwe_uri(cwe) if cwe else TOOL_DOCS.get(worst.tool)
        if help_uri:
            rule["helpUri"] = help_uri
            rule["help"] = {
                "text": f"{full} See {help_uri}",
                "markdown": f"{full} [More]({help_uri})",
            }
        index[rule_id] = len(rules)
        rules.append(rule)
    return rules, index


def _sarif_result(f: Finding, rule_index: int) -> dict[str, Any]:
    line, column, end_line = _span(f)
    region: dict[str, Any] = {"startLine": line, "startColumn": column, "endLine": end_line}
    if f.snippet.strip():
        region["snippet"] = {"text": f.snippet}
    properties: dict[str, Any] = {
        "tools": _tools(f),
        "related_rules": f.related_rules,
        "confidence": f.confidence,
        "severity": f.severity,
        "category": f.category,
        "cwe": f.cwe,
    }
    if f.llm:
        properties["llm"] = f.llm.model_dump(mode="json")
    if f.fix_diff:
        properties["fix_diff"] = f.fix_diff
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": _sentence(f.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _relative_uri(f.file), "uriBaseId": SRCROOT},
                    "region": region,
                }
            }
        ],
        "properties": properties,
    }
    if f.flow:
        result["codeFlows"] = [_sarif_code_flow(f)]
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    suppressions = []
    if f.suppressed is not None:
        kind = "inSource" if f.suppressed.startswith(INLINE_SUPPRESSION) else "external"
        suppressions.append({"kind": kind, "justification": f.suppressed or "suppressed"})
    if f.accepted_risk is not None:
        justification = f.accepted_risk or "accepted risk"
        suppressions.append({"kind": "external", "justification": justification})
    if suppressions:
        result["suppressions"] = suppressions
    return result


def _sarif_code_flow(f: Finding) -> dict[str, Any]:
    """The taint path as one codeFlow of one threadFlow, source to sink, each hop a
    threadFlowLocation with its place and what happens there."""
    locations = [
        {
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": _relative_uri(step.file), "uriBaseId": SRCROOT},
                    "region": {"startLine": max(1, step.line), "startColumn": max(1, step.column)},
                },
                "message": {"text": _sentence(step.note)},
            },
            "kinds": SARIF_FLOW_KINDS[step.kind],
            "executionOrder": order,
            "properties": {"step": step.kind},
        }
        for order, step in enumerate(f.flow, 1)
    ]
    source, sink = f.flow[0], f.flow[-1]
    message = (
        f"Untrusted data from {source.file}:{max(1, source.line)} reaches "
        f"{sink.file}:{max(1, sink.line)} in {len(f.flow)} steps."
    )
    return {"message": {"text": message}, "threadFlows": [{"locations": locations}]}


def _srcroot_uri(target: str) -> str:
    """file:// URI of the directory finding paths are relative to, with the trailing slash
    SARIF requires of a base URI. A single-file audit is relative to the file's folder.
    A snapshot's root is the path on the starter's machine, where the SARIF is read."""
    path = Path(shown_target(target)).absolute()
    if local_target(target).is_file():
        path = path.parent
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _relative_uri(file: str) -> str:
    return quote(PurePosixPath(file).as_posix().lstrip("/"), safe="/")


def _sarif_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sentence(text: str) -> str:
    """SARIF viewers show messages as sentences (validator rule SARIF2001)."""
    text = " ".join(text.split()) or "No description"
    return text if text.endswith((".", "!", "?")) else text + "."


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _rule_name(category: str, rule_id: str) -> str:
    """A PascalCase identifier, the form SARIF viewers expect of `rule.name`."""
    words = re.findall(r"[A-Za-z0-9]+", category) or re.findall(r"[A-Za-z0-9]+", rule_id)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else f"Rule{name}"


# --------------------------------------------------------------------------- files


def artifact_paths(out_dir: Path) -> dict[str, str]:
    """Where `write_reports` puts each format, so a report can name them before they exist."""
    root = out_dir.absolute()
    return {kind: str(root / name) for kind, name in REPORT_FILES.items()}


def write_reports(report: dict[str, Any], out_dir: Path, tool_version: str) -> dict[str, str]:
    """Write all three formats; each appears whole or not at all (temp file + os.replace),
    so a crash mid-write never leaves a truncated report for a retried activity to trust."""
    paths = artifact_paths(out_dir)
    Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
    contents = {
        "markdown": render_markdown(report),
        "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        "sarif": json.dumps(render_sarif(report, tool_version), indent=2, ensure_ascii=False)
        + "\n",
    }
    for kind, text in contents.items():
        _atomic_write(Path(paths[kind]), text)
    return paths


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp's 0600 would hide reports from teammates
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
