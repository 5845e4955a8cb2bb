"""The refactoring plan: every item with its place, evidence, effort and benefit, ranked.

Each item has a benefit (0-100) from its own evidence:

    hotspot              100 * sqrt(c * h)   c, h = file complexity, churn / their max
    long-function        30 * max(length / 60, complexity / 15) + 10 per nesting level over 3
    deep-nesting         15 * (nesting - 2)
    long-parameter-list  10 * (parameters - 3)
    duplication          3 * duplicated lines * (copies - 1)
    dead-code            (20 + its lines) * (confidence - 50) / 50

(each capped at 100, and halved in test code, which pays a refactoring back less than
the code it tests), an effort S, M or L (cost 1, 1.5, 2) with the reason, and

    score = benefit * (1 + h) / cost

where h is the churn of the item's file relative to the most churned analysed file,
counting only files committed at least twice in the window (one commit adds a file, it
does not change it): code that changes often pays back a refactoring sooner
(Tornhill's hotspots), and of two items with the same benefit the cheaper comes first.
vulture's confidence scales dead code down hard: at 60% a name is often used where
vulture cannot see it (a decorator registers it, a framework calls it), and a big
function is no quick win if it is not dead. Without git history h is 0, hotspots are
left out and the report says why. Unused imports are not items: the patch removes them.
"""

from __future__ import annotations

import math
from hashlib import sha256

from activities.code_facts.duplication import CloneClass
from activities.code_facts.kinds import is_test
from activities.refactor_plan.analysis import FileFacts
from workflows.code_facts import DeadCode, FileHistory, FunctionMetrics
from workflows.refactor_plan.models import Effort, Location, PlanItem
from workflows.schemas import Finding

LONG_FUNCTION_LINES = 60
COMPLEX_FUNCTION = 15
DEEP_NESTING = 4
LONG_PARAMETERS = 6
HOTSPOT_MIN_BENEFIT = 30.0
MIN_COMMITS_FOR_CHURN = 2
"""A file committed once in the window was added (or imported), not changed: its lines
are no churn, or a fresh import of a project would rank every file by its size."""
LARGE_FILE_NLOC = 500
COST: dict[str, float] = {"S": 1, "M": 1.5, "L": 2}
RULES: dict[str, str] = {
    "hotspot": "ATRP001",
    "long-function": "ATRP002",
    "deep-nesting": "ATRP003",
    "long-parameter-list": "ATRP004",
    "duplication": "ATRP005",
    "dead-code": "ATRP006",
}
SCORING = (
    "score = benefit * (1 + h) / cost; h = the file's churn / the most churned file's; "
    "cost S=1, M=1.5, L=2; test code at half benefit"
)


def _capped(points: float) -> float:
    return min(100.0, round(points, 2))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def build_plan(
    facts: list[FileFacts],
    history: list[FileHistory] | None,
    clones: list[CloneClass],
    dead: list[DeadCode],
) -> list[PlanItem]:
    """Every item, highest score first, ranked from 1."""
    analysed = {f.metrics.file for f in facts}
    past = {
        h.file: h
        for h in history or []
        if h.file in analysed and h.commits >= MIN_COMMITS_FOR_CHURN
    }
    max_churn = max((h.churn for h in past.values()), default=0)

    def churn(file: str) -> float:
        return past[file].churn / max_churn if file in past and max_churn else 0.0

    items: list[tuple[PlanItem, float]] = []
    items += [(i, churn(i.file)) for i in _hotspots(facts, past, max_churn)]
    for fact in facts:
        for fn in fact.functions:
            items += [(i, churn(i.file)) for i in _function_items(fact.metrics.file, fn)]
    for clone in clones:
        items.append((_duplication(clone), max(churn(side.file) for side in clone.sides)))
    items += [(_dead(d), churn(d.file)) for d in dead if d.kind != "import"]
    plan = []
    for item, h in items:
        if is_test(item.file):
            item.benefit_points = round(item.benefit_points / 2, 2)
            item.evidence.append("in test code: half the benefit")
        item.score = round(item.benefit_points * (1 + h) / COST[item.effort], 2)
        plan.append(item)
    plan.sort(key=lambda i: (-i.score, i.file, i.line, i.kind))
    for rank, item in enumerate(plan, 1):
        item.rank = rank
    return plan


def _hotspots(
    facts: list[FileFacts], past: dict[str, FileHistory], max_churn: int
) -> list[PlanItem]:
    max_complexity = max((f.metrics.complexity for f in facts), default=0)
    if not max_churn or not max_complexity:
        return []
    items = []
    for fact in facts:
        m, h = fact.metrics, past.get(fact.metrics.file)
        if h is None or not m.complexity:
            continue
        benefit = 100 * math.sqrt((m.complexity / max_complexity) * (h.churn / max_churn))
        if benefit < HOTSPOT_MIN_BENEFIT:
            continue
        items.append(
            PlanItem(
                kind="hotspot",
                title=f"Simplify {m.file}: complex and changed often",
                file=m.file,
                line=1,
                evidence=[
                    f"cyclomatic complexity {m.complexity} over {_plural(m.functions, 'function')}"
                    f" (highest {m.max_complexity} in {m.max_function})",
                    f"churn {h.churn} lines (+{h.added} -{h.deleted}) in "
                    f"{_plural(h.commits, 'commit')} by {_plural(h.authors, 'author')}",
                    *([f"{_plural(h.fixes, 'fix commit')}"] if h.fixes else []),
                ],
                effort="L" if m.nloc >= LARGE_FILE_NLOC else "M",
                effort_reason=f"{m.nloc} lines of code that keep changing: restructure them "
                "in steps, each with its tests",
                benefit=f"the code changed most often gets simpler: {_plural(h.commits, 'commit')}"
                " in the window touched it",
                benefit_points=min(100.0, round(benefit, 2)),
            )
        )
    return items


def _function_items(file: str, fn: FunctionMetrics) -> list[PlanItem]:
    items = []
    where = {"file": file, "line": fn.line, "end_line": fn.line + fn.length - 1}
    long = fn.length >= LONG_FUNCTION_LINES or fn.complexity >= COMPLEX_FUNCTION
    shape = f"{fn.length} lines, cyclomatic complexity {fn.complexity}, nesting {fn.nesting}"
    if long:
        size = max(fn.length / LONG_FUNCTION_LINES, fn.complexity / COMPLEX_FUNCTION)
        big = fn.length >= 150 or fn.complexity >= 30
        items.append(
            PlanItem(
                kind="long-function",
                title=f"Split {fn.name}()",
                symbol=fn.name,
                evidence=[shape],
                effort="L" if big else "M",
                effort_reason=(
                    f"{fn.length} lines with {fn.complexity} paths through them: several "
                    "helpers to extract, and tests for the paths"
                    if big
                    else "a few helpers to extract; the callers stay as they are"
                ),
                benefit="smaller functions, each testable alone; "
                f"{fn.complexity} paths spread over named steps",
                benefit_points=_capped(30 * size + 10 * max(0, fn.nesting - 3)),
                **where,
            )
        )
    elif fn.nesting >= DEEP_NESTING:
        items.append(
            PlanItem(
                kind="deep-nesting",
                title=f"Flatten {fn.name}()",
                symbol=fn.name,
                evidence=[shape],
                effort="S" if fn.length < 40 else "M",
                effort_reason=f"guard clauses and early returns in a {fn.length}-line function",
                benefit=f"{fn.nesting} levels of nesting down to two or three: "
                "each branch reads on its own",
                benefit_points=_capped(15 * (fn.nesting - 2)),
                **where,
            )
        )
    if fn.parameters >= LONG_PARAMETERS:
        items.append(
            PlanItem(
                kind="long-parameter-list",
                title=f"Group the {fn.parameters} parameters of {fn.name}()",
                symbol=fn.name,
                evidence=[f"{fn.parameters} parameters (self and cls count, as lizard counts)"],
                effort="M",
                effort_reason="every caller changes with the signature",
                benefit="a parameter object or a narrower function: calls that read and "
                "fewer ways to pass arguments in the wrong order",
                benefit_points=_capped(10 * (fn.parameters - 3)),
                **where,
            )
        )
    return items


def _duplication(clone: CloneClass) -> PlanItem:
    first, others = clone.sides[0], clone.sides[1:]
    lines, copies = clone.lines, len(clone.sides)
    effort: Effort = "S" if lines <= 15 else "M" if lines <= 50 else "L"
    if copies > 2:
        where = f"{copies} places"
    else:
        where = "this file" if others[0].file == first.file else others[0].file
    places = ", ".join(f"{s.file}:{s.line}-{s.end_line}" for s in clone.sides)
    return PlanItem(
        kind="duplication",
        title=f"Extract {lines} lines duplicated in {where}",
        file=first.file,
        line=first.line,
        end_line=first.end_line,
        related=[Location(file=s.file, line=s.line, end_line=s.end_line) for s in others],
        evidence=[
            f"{places} match token for token ({clone.tokens} tokens, names and literals aside)"
        ],
        effort=effort,
        effort_reason=f"{lines} lines into one function the {copies} places call"
        + (", with the differing names and values as parameters" if lines > 15 else ""),
        benefit=f"one place to change and fix instead of {copies}; "
        f"about {lines * (copies - 1)} lines fewer",
        benefit_points=_capped(3 * lines * (copies - 1)),
    )


def _dead(item: DeadCode) -> PlanItem:
    lines = item.end_line - item.line + 1
    sure = item.confidence >= 100
    return PlanItem(
        kind="dead-code",
        title=f"Delete the {item.message}",
        file=item.file,
        line=item.line,
        end_line=item.end_line,
        symbol=item.name,
        evidence=[f"{item.message} (vulture, {item.confidence}% confidence)"],
        effort="S",
        effort_reason="a deletion"
        + ("" if sure else ", after checking nothing uses it dynamically or from outside"),
        benefit=f"{_plural(lines, 'line')} fewer to read and keep working",
        benefit_points=_capped((20 + lines) * max(0, item.confidence - 50) / 50),
    )


def plan_findings(plan: list[PlanItem]) -> list[Finding]:
    """The plan's items as findings, for SARIF and the shared summary."""
    return [
        Finding(
            rule_id=RULES[item.kind],
            tool="attune",
            tools=["attune"],
            category="maintainability",
            severity="medium" if item.score >= 50 else "low",
            confidence="medium"
            if item.kind == "dead-code" and "100%" not in item.evidence[0]
            else "high",
            file=item.file,
            line=item.line,
            end_line=item.end_line,
            message=f"{item.title} (effort {item.effort}: {item.effort_reason}; "
            f"benefit: {item.benefit})",
            snippet="; ".join(item.evidence),
            fingerprint=sha256(
                f"{item.kind}|{item.file}|{item.symbol or item.line}".encode()
            ).hexdigest()[:16],
        )
        for item in plan
    ]
