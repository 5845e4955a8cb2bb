"""ruff's performance families (PERF, FURB, C4, ASYNC) as attune findings.

Run by the shared runner (`activities.code_facts.lint`): on explicit paths, `--isolated`,
so the target's own configuration cannot switch rules off; this module is the rule table.
The default profile selects the rules that point at real cost and are rarely noise; the
strict profile turns on every rule of the four families, preview rules included.
"""

from __future__ import annotations

from pathlib import Path

from activities.code_facts.lint import Lint, RuleMeta, RuleSet, run_lint
from workflows.schemas import Confidence, Finding, Severity

FAMILIES = ("PERF", "FURB", "C4", "ASYNC")
CATEGORY = "performance"


def _m(impact: str, severity: Severity = "low", confidence: Confidence = "high") -> RuleMeta:
    return RuleMeta(severity, confidence, CATEGORY, tag=impact)


# The default profile: these rules, and no other. Left out as noisy or as style rather
# than cost (strict has them): PERF203 (try/except in a loop, free since Python 3.11),
# PERF401 (manual list comprehension: often clearer as a loop), C408 (`dict()` calls),
# C417 (`map` is not slower), ASYNC109/115/116 (API shape), ASYNC240 (pathlib calls in
# async code: on attune itself 29 of 33 default findings, nearly all small local reads),
# most FURB rules (readability).
DEFAULT_RULES: dict[str, RuleMeta] = {
    "PERF101": _m("allocation"),  # list() of something already iterable, in a for
    "PERF102": _m("repeated-work"),  # .items() with one half unused
    "PERF402": _m("loop-overhead"),  # manual list copy
    "PERF403": _m("loop-overhead"),  # manual dict comprehension
    "FURB122": _m("io"),  # write() in a for loop instead of writelines
    "FURB129": _m("io"),  # readlines() in a for loop
    "FURB132": _m("repeated-work"),  # check-and-remove from a set
    "FURB161": _m("repeated-work"),  # bin(x).count("1") instead of int.bit_count
    "FURB187": _m("allocation"),  # list reversed by slicing copy
    "FURB192": _m("algorithmic"),  # sorted()[0] instead of min()
    "C400": _m("allocation"),
    "C401": _m("allocation"),
    "C402": _m("allocation"),
    "C403": _m("allocation"),
    "C404": _m("allocation"),
    "C405": _m("allocation"),
    "C406": _m("allocation"),
    "C409": _m("allocation"),
    "C410": _m("allocation"),
    "C411": _m("allocation"),
    "C413": _m("allocation"),
    "C414": _m("allocation"),
    "C415": _m("allocation"),
    "C416": _m("allocation"),
    "C418": _m("allocation"),
    "C419": _m("allocation"),
    "C420": _m("allocation"),
    "ASYNC105": _m("blocking-io", "medium", "medium"),
    "ASYNC110": _m("busy-wait", "low", "medium"),  # polling with sleep in a while loop
    "ASYNC210": _m("blocking-io", "high"),  # blocking HTTP call in async def
    "ASYNC212": _m("blocking-io", "high"),
    "ASYNC220": _m("blocking-io", "medium"),  # subprocess in async def
    "ASYNC221": _m("blocking-io", "medium"),
    "ASYNC222": _m("blocking-io", "medium"),
    "ASYNC230": _m("blocking-io", "low", "medium"),  # open(): often a small local file
    "ASYNC250": _m("blocking-io", "high"),  # input() in async def
    "ASYNC251": _m("blocking-io", "high"),  # time.sleep in async def
}
# Strict only: the impact they would have, at info severity (often noise, see above).
STRICT_RULES: dict[str, RuleMeta] = {
    "PERF203": _m("loop-overhead", "info", "medium"),
    "PERF401": _m("loop-overhead", "info", "medium"),
    "C408": _m("allocation", "info", "medium"),
    "C417": _m("allocation", "info", "medium"),
    "ASYNC240": _m("blocking-io", "info", "medium"),
}
STRICT_DEFAULT = _m("efficiency", "info", "medium")
RULE_FIX = {
    "ASYNC110": "wait on an asyncio.Event or Condition instead of polling with sleep",
    "PERF203": "move the try/except outside the loop when every iteration may fail alike",
    "PERF401": "build the list with a comprehension",
}
GENERIC_FIX = {
    "PERF": "restructure the loop as ruff suggests",
    "FURB": "use the faster idiom ruff names",
    "C4": "drop the intermediate collection",
    "ASYNC": "use the async API, or run the blocking call with asyncio.to_thread",
}


RULES = RuleSet(
    select=tuple(DEFAULT_RULES),
    strict=FAMILIES,
    meta={**DEFAULT_RULES, **STRICT_RULES},
    fallback=STRICT_DEFAULT,
    target_version="py313",
)


def run_ruff(root: Path, files: list[str], profile: str = "default") -> list[Finding]:
    """ruff's performance findings for `files` (relative to `root`)."""
    return [as_finding(lint) for lint in run_lint(root, files, RULES, profile)]


def _family(code: str) -> str:
    return next((f for f in FAMILIES if code.startswith(f)), "")


def as_finding(lint: Lint) -> Finding:
    """A performance finding: the impact class and the fix in the message."""
    meta = RULES.rate(lint.code)
    fix = lint.fix_message or RULE_FIX.get(lint.code) or GENERIC_FIX.get(_family(lint.code), "")
    if lint.url:
        fix = f"{fix} ({lint.url})" if fix else lint.url
    return Finding(
        rule_id=lint.code,
        tool="ruff",
        tools=["ruff"],
        category=meta.category,
        severity=meta.severity,
        confidence=meta.confidence,
        cwe=None,
        file=lint.file,
        line=lint.line,
        column=lint.column,
        end_line=lint.end_line,
        message=f"{lint.message} (impact: {meta.tag}). Fix: {fix}",
        snippet=lint.snippet,
    )
