"""The review of a change: the agents' findings kept to the lines it changes, a verdict
with its reasons, and the GitHub review that carries them.

Verdict policy (documented in the README and every report):

- `request_changes`: a critical or high finding on a changed line, with high or medium
  confidence or with a traced flow (untrusted data seen reaching the sink: even a local
  user's `input()` reaching `eval` is a path a reviewer sends back);
- `comment`: any other finding of low severity or above on a changed line, or an agent
  that did not finish (an unchecked change is never approved in silence);
- `approve`: otherwise. Info findings are shown as comments but move no verdict.

Only open findings count (`Finding.is_open`): suppressed and accepted ones stay in the
report, without a comment, and move no verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workflows.code_facts import ChangeSet
from workflows.pr_review.models import ReviewComment, Verdict
from workflows.schemas import SEVERITY_RANK, AgentResult, Finding

BLOCKING_SEVERITIES = frozenset({"critical", "high"})
BLOCKING_CONFIDENCES = frozenset({"high", "medium"})
COMMENT_SEVERITIES = frozenset({"critical", "high", "medium", "low"})
GITHUB_EVENTS: dict[Verdict, str] = {
    "approve": "APPROVE",
    "comment": "COMMENT",
    "request_changes": "REQUEST_CHANGES",
}
PLACES_SHOWN = 3
POLICY = (
    "request_changes on a critical/high finding with high/medium confidence or a traced "
    "flow on a changed line, unless Claude's triage judged it a false positive; comment on "
    "any other low-or-worse finding there, or on an agent that did not finish; approve "
    "otherwise"
)


def changed_lines(change: ChangeSet) -> dict[str, set[int]]:
    return {f.file: set(f.lines) for f in change.files if f.status != "D"}


def anchor(finding: Finding, lines: dict[str, set[int]]) -> int | None:
    """The changed line a finding sits on: its own line when changed, else the first
    changed line of its span; None when the change does not touch it."""
    touched = lines.get(finding.file)
    if not touched:
        return None
    if finding.line in touched:
        return finding.line
    end = max(finding.end_line or finding.line, finding.line)
    return next((n for n in range(finding.line, end + 1) if n in touched), None)


def on_changed_lines(
    findings: Iterable[tuple[str, Finding]], change: ChangeSet
) -> list[tuple[str, Finding, int]]:
    """(agent, finding, line) for the findings on changed lines, most severe first; a
    finding two agents both report (same fingerprint) is kept once."""
    lines = changed_lines(change)
    kept: dict[tuple[str, int, str], tuple[str, Finding, int]] = {}
    for agent, finding in findings:
        line = anchor(finding, lines)
        if line is None:
            continue
        key = (finding.file, line, finding.fingerprint or f"{finding.tool}/{finding.rule_id}")
        kept.setdefault(key, (agent, finding, line))
    return sorted(
        kept.values(),
        key=lambda k: (-SEVERITY_RANK[k[1].severity], k[1].file, k[2], k[1].rule_id),
    )


def verdict(
    kept: list[tuple[str, Finding, int]], agents: dict[str, AgentResult]
) -> tuple[Verdict, list[str]]:
    """The verdict under POLICY and every reason for it, blocking ones first. Suppressed
    and accepted findings stay in the report and move no verdict."""
    kept = [k for k in kept if k[1].is_open]
    blocking = [
        (a, f, n)
        for a, f, n in kept
        if f.severity in BLOCKING_SEVERITIES
        and (f.confidence in BLOCKING_CONFIDENCES or f.flow)
        and not (f.llm is not None and f.llm.verdict == "false_positive")
    ]
    other = [
        (a, f, n)
        for a, f, n in kept
        if (a, f, n) not in blocking and f.severity in COMMENT_SEVERITIES
    ]
    reasons = _grouped(blocking) + _grouped(other)
    unfinished = [
        f"{role} did not finish ({result.status}): {result.summary}"
        for role, result in agents.items()
        if result.status != "ok"
    ]
    reasons += unfinished
    if blocking:
        return "request_changes", reasons
    if other or unfinished:
        return "comment", reasons
    return "approve", ["no finding of low severity or above on a changed line"]


def _grouped(kept: list[tuple[str, Finding, int]]) -> list[str]:
    """One reason per agent and rule at one severity and confidence, naming where: a rule
    that fires on thirty changed lines is one reason, not thirty."""
    groups: dict[tuple[str, str, str, str], list[tuple[Finding, int]]] = {}
    for agent, finding, line in kept:
        key = (finding.severity, finding.rule_id, finding.confidence, agent)
        groups.setdefault(key, []).append((finding, line))
    reasons = []
    for (severity, rule, confidence, agent), places in groups.items():
        where = ", ".join(f"{f.file}:{n}" for f, n in places[:PLACES_SHOWN])
        if len(places) > PLACES_SHOWN:
            where += f" and {len(places) - PLACES_SHOWN} more"
        count = f"{len(places)} changed lines: " if len(places) > 1 else ""
        reasons.append(
            f"{severity} {rule} ({confidence} confidence, {agent}) at {count}{where}: "
            f"{_first_sentence(places[0][0].message)}"
        )
    return reasons


def github_review(
    chosen: Verdict, reasons: list[str], kept: list[tuple[str, Finding, int]], prefix: str
) -> dict[str, Any]:
    """The body of GitHub's "create a review" call (POST /repos/{o}/{r}/pulls/{n}/reviews):
    one inline comment per open finding, on the changed line of the head version."""
    body = [f"**attune pr-review: {chosen.replace('_', ' ')}**", ""]
    body += [f"- {reason}" for reason in reasons]
    body += ["", f"Policy: {POLICY}."]
    comments = [
        ReviewComment(path=f"{prefix}{f.file}", line=n, body=comment_body(a, f)).model_dump()
        for a, f, n in kept
        if f.is_open
    ]
    return {"event": GITHUB_EVENTS[chosen], "body": "\n".join(body), "comments": comments}


def comment_body(agent: str, finding: Finding) -> str:
    cwe = f" (CWE-{finding.cwe})" if finding.cwe else ""
    return (
        f"**{finding.severity}** · {finding.confidence} confidence · `{finding.rule_id}`{cwe} "
        f"from {agent}\n\n{finding.message}"
    )


def _first_sentence(text: str) -> str:
    head = text.strip().split("\n", 1)[0]
    return head if len(head) <= 160 else head[:157] + "..."
