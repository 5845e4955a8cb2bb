"""One finding per issue in quality-checks' merged report, whichever checks found it.

The checks overlap: code-review's ruff B006 and bug-predict's ATNB001 are the same
mutable default, security-audit's S110 and bug-predict's ATNB007 the same swallowed
exception, and a ruff rule two checks both select is reported twice. Findings of
different checks on the same file and line about the same concept become one, the most
severe, naming every check and tool. Two findings of one check are never merged: a check
that reports a line twice saw two things.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import zip_longest
from typing import Any

from activities.security_audit.scanners.merge import issue_key
from workflows.schemas import SEVERITY_RANK, Finding

# Rules of different engines that name one concept (CWE-tagged findings group by CWE).
SAME_CONCEPT: dict[str, str] = {
    "ruff/B006": "mutable-default",
    "attune/ATNB001": "mutable-default",
    "ruff/B023": "late-binding-closure",
    "attune/ATNB002": "late-binding-closure",
    "ruff/PLR0124": "self-comparison",
    "attune/ATNB003": "self-comparison",
    "ruff/F632": "is-literal",
    "attune/ATNB004": "is-literal",
    "attune/ATNB005": "unreachable-code",
    "vulture/dead-unreachable_code": "unreachable-code",
    "ruff/A002": "shadowed-builtin",
    "attune/ATNB006": "shadowed-builtin",
}


def concept(finding: Finding) -> str:
    rule = f"{finding.tool}/{finding.rule_id}"
    return SAME_CONCEPT.get(rule) or issue_key(finding)


def _merge(members: list[tuple[str, Finding]]) -> dict[str, Any]:
    # An issue one check leaves open stays open, whatever another check suppressed.
    check, primary = max(members, key=lambda m: (m[1].is_open, SEVERITY_RANK[m[1].severity]))
    tools = list(dict.fromkeys(t for _, f in members for t in (f.tool, *f.tools)))
    related = {r for _, f in members for r in f.related_rules}
    related.update(f"{f.tool}/{f.rule_id}" for _, f in members if f is not primary)
    related.discard(f"{primary.tool}/{primary.rule_id}")
    merged = primary.model_copy(update={"tools": tools, "related_rules": sorted(related)})
    if merged.fix_diff is None:
        merged.fix_diff = next((f.fix_diff for _, f in members if f.fix_diff), None)
    checks = list(dict.fromkeys(c for c, _ in members))
    return {"check": check, "checks": checks, **merged.model_dump(mode="json")}


def dedupe(found: list[tuple[str, Finding]]) -> list[dict[str, Any]]:
    """(check, finding) pairs as report entries, one per issue, in file and line order."""
    groups: dict[tuple[str, int, str], dict[str, list[Finding]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for check, finding in found:
        groups[(finding.file, finding.line, concept(finding))][check].append(finding)
    entries = []
    for by_check in groups.values():
        columns = [[(c, f) for f in by_check[c]] for c in by_check]
        for cluster in zip_longest(*columns):
            entries.append(_merge([m for m in cluster if m is not None]))
    entries.sort(key=lambda e: (e["file"], e["line"], e["column"], e["rule_id"], e["check"]))
    return entries
