"""One finding per issue across engines, with fingerprints that survive edits.

attune, ruff and bandit overlap heavily (`pickle.loads` is S301, B301 and ATN130). Findings
of different tools on the same line for the same weakness become one finding that names
every tool; findings of one tool never merge, because two codes of one engine on a line are
two distinct observations and a dropped ruff code would be a silently lost result.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from itertools import zip_longest

from workflows.schemas import CONFIDENCE_RANK, SEVERITY_RANK, Finding

# Primary preference and the order of `tools`: attune's rules carry data-flow context and
# the most specific messages, ruff's S table has curated CWEs, bandit's CWEs are generic.
_TOOL_ORDER = {"attune": 0, "ruff": 1, "bandit": 2}

# CWEs that name the same weakness for grouping purposes (parent -> the specific child).
_CWE_FAMILY = {259: 798, 321: 798, 80: 79}
# Bandit files some tests under a generic or unrelated CWE; group them with the CWE the
# other engines use for the same check.
_RULE_CWE = {
    "bandit/B102": 94,  # exec: bandit says 78
    "bandit/B307": 94,  # eval: bandit says 78
    "bandit/B201": 489,  # flask debug: bandit says 94
    "bandit/B110": 390,
    "bandit/B112": 390,
    "bandit/B303": 328,
    "bandit/B324": 328,
    "bandit/B506": 502,  # yaml.load: bandit says 20
    "bandit/B607": 426,
    "bandit/B701": 79,
    "bandit/B702": 79,
    "bandit/B703": 79,
    **{f"bandit/B{n}": 611 for n in (*range(313, 321), *range(405, 412))},  # bandit: 20
}

_WHITESPACE = re.compile(r"\s+")


def _tool_rank(tool: str) -> tuple[int, str]:
    return _TOOL_ORDER.get(tool, len(_TOOL_ORDER)), tool


def issue_key(finding: Finding) -> str:
    """What the finding is about, independent of which engine said it: the canonical CWE,
    or the rule itself when there is no CWE (such findings never merge across tools)."""
    cwe = _RULE_CWE.get(f"{finding.tool}/{finding.rule_id}", finding.cwe)
    if cwe is None:
        return f"{finding.tool}/{finding.rule_id}"
    return f"CWE-{_CWE_FAMILY.get(cwe, cwe)}"


def _normalise(snippet: str) -> str:
    return _WHITESPACE.sub(" ", snippet).strip()


def fingerprint(f: Finding, occurrence: int) -> str:
    """Stable identity for baselines and suppressions. The line number is left out so that
    edits above the finding do not change it; `occurrence` tells identical lines apart."""
    material = "\x1f".join((issue_key(f), f.file, _normalise(f.snippet), str(occurrence)))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _primary(members: list[Finding]) -> Finding:
    """The most specific report: by engine (see _TOOL_ORDER), then the most severe."""
    return min(
        members,
        key=lambda f: (
            _tool_rank(f.tool),
            -SEVERITY_RANK[f.severity],
            -CONFIDENCE_RANK[f.confidence],
        ),
    )


def _combine(members: list[Finding]) -> Finding:
    if len(members) == 1:
        return members[0]
    primary = _primary(members)
    tools = sorted({t for f in members for t in (f.tool, *f.tools)}, key=_tool_rank)
    related = {r for f in members for r in f.related_rules}
    related.update(f"{f.tool}/{f.rule_id}" for f in members if f is not primary)
    related.discard(f"{primary.tool}/{primary.rule_id}")
    return primary.model_copy(
        update={
            "tools": tools,
            "related_rules": sorted(related, key=lambda r: (_tool_rank(r.split("/")[0]), r)),
            "severity": max((f.severity for f in members), key=SEVERITY_RANK.__getitem__),
            "confidence": max((f.confidence for f in members), key=CONFIDENCE_RANK.__getitem__),
        }
    )


def _merge_group(members: list[Finding]) -> list[Finding]:
    """Same file, line and issue: pair the n-th finding of each tool (by column) so that
    every tool contributes at most one finding to each merged result."""
    by_tool: dict[str, list[Finding]] = defaultdict(list)
    for f in members:
        by_tool[f.tool].append(f)
    if len(by_tool) == 1:
        return members
    columns = [
        sorted(by_tool[tool], key=lambda f: (f.column, f.rule_id, f.message))
        for tool in sorted(by_tool, key=_tool_rank)
    ]
    return [_combine([f for f in cluster if f is not None]) for cluster in zip_longest(*columns)]


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """Merge across engines, sort by (file, line, column, rule_id) and fingerprint."""
    groups: dict[tuple[str, int, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.file, f.line, issue_key(f))].append(f)
    merged = [f for members in groups.values() for f in _merge_group(members)]
    merged.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id, _tool_rank(f.tool), f.message))
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for f in merged:
        identity = (issue_key(f), f.file, _normalise(f.snippet))
        result.append(f.model_copy(update={"fingerprint": fingerprint(f, seen[identity])}))
        seen[identity] += 1
    return result


def _supersede(finding: Finding, flow: Finding) -> Finding:
    """The flow becomes the issue's primary report; the per-file rule moves to
    `related_rules`, every engine stays named, and the finding keeps its fingerprint,
    suppression and verdicts, so baselines and accepted risks still match it. The flow's
    confidence is its source's (request data high, a local user's input low): the traced
    path is better evidence of where the data comes from than a pattern's guess."""
    tools = sorted({*finding.tools, finding.tool, *flow.tools, flow.tool}, key=_tool_rank)
    related = {*finding.related_rules, *flow.related_rules, f"{finding.tool}/{finding.rule_id}"}
    related.discard(f"{flow.tool}/{flow.rule_id}")
    return flow.model_copy(
        update={
            "tools": tools,
            "related_rules": sorted(related, key=lambda r: (_tool_rank(r.split("/")[0]), r)),
            "severity": max(finding.severity, flow.severity, key=SEVERITY_RANK.__getitem__),
            "fingerprint": finding.fingerprint,
            "llm": finding.llm,
            "accepted_risk": finding.accepted_risk,
            "suppressed": finding.suppressed,
        }
    )


def merge_flow_findings(findings: list[Finding], flows: list[Finding]) -> list[Finding]:
    """Cross-function flow findings joined with the per-file ones, one finding per issue:
    a flow at the file, line and issue of a per-file finding supersedes it (an attune
    pattern finding first, then whichever engine's), so every ruff and bandit location
    stays in the report. Other flows are new findings with their own fingerprints."""
    at: dict[tuple[str, int, str], int] = {}
    for index, finding in enumerate(findings):
        key = (finding.file, finding.line, issue_key(finding))
        if key not in at or (finding.tool == "attune" and findings[at[key]].tool != "attune"):
            at[key] = index
    merged = list(findings)
    seen: Counter[tuple[str, str, str]] = Counter(
        (issue_key(f), f.file, _normalise(f.snippet)) for f in findings
    )
    new = []
    for flow in flows:
        index = at.pop((flow.file, flow.line, issue_key(flow)), None)
        if index is not None:
            merged[index] = _supersede(merged[index], flow)
            continue
        identity = (issue_key(flow), flow.file, _normalise(flow.snippet))
        new.append(flow.model_copy(update={"fingerprint": fingerprint(flow, seen[identity])}))
        seen[identity] += 1
    merged.extend(new)
    merged.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id, _tool_rank(f.tool), f.message))
    return merged
