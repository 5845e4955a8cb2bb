"""The risk model that ranks files into hotspots.

Two steps: which kind of file it is, then how recently and how often it changed, scaled by
how complex it is.

**Kind.** Source files rank first, then support files, then tests, whatever their scores:

- a *test* lives under `tests/`, `test/` or `testing/`, or is `test_*.py`, `*_test.py` or
  `conftest.py`;
- a *support* file lives under `docs/`, `examples/`, `benchmarks/` or `scripts/`, or,
  when the target has packages (directories with an `__init__.py`), under none of them:
  `setup.py`, release scripts, loose tools;
- everything else is *source*.

A fix changes the code that misbehaved, which is source: benchmarks of real bugs (BugsInPy,
Defects4J) locate bugs in source files only, and a test or example changed in the same
commit is the fix's evidence, not the bug's place. Tests and support files still rank
(a target that is only tests gets a useful list), after the source.

**Score** (0..100), from the git history window and the metrics:

    heat = sum over the window's commits touching the file of w * 0.5 ** (age / 7 days)
           (w = 2 for a fix commit, 1 otherwise; age = time from the commit to the
           window's end, the newest commit)
    h = heat / max heat       c = complexity / max complexity
    score = 100 * h * (1 + c) / 2

Recent change is the strongest predictor: bugs are introduced by changes and found soon
after them (Kim et al.'s FixCache: temporal and changed-entity locality; Graves et al.'s
weighted time damp model, which discounts old changes exponentially; Google's bug
predictor, which weighs fix commits by recency). A one-week half-life lets last week's
changes outweigh a busy month long past, so a file changed yesterday outranks one that
changed often last year. Past fixes count twice (the bug cache: code that needed fixing
tends to need it again). Complexity at most doubles the score: among files changed as
recently, the more complex holds more places for a bug. The scales are the largest values
among the analysed files, so the score needs no calibration per project.

A file the window never touched scores 0 and ranks, after every changed file of its
kind, by complexity; a file without functions (no complexity) is not a hotspot. Without
git history, complexity alone ranks: `score = 100 * c / 4` (at most 25, a quarter of the
evidence). Ties rank by complexity, then path.

Every hotspot lists the reasons behind its score; the bug-pattern findings in the file are
named as a reason but do not enter the score, so the ranking and the patterns stay two
independent opinions.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from activities.code_facts.kinds import Kind, file_kinds
from workflows.bug_predict.models import Hotspot
from workflows.code_facts import FileHistory, FileMetrics
from workflows.schemas import Finding

HALF_LIFE_DAYS = 7.0
FIX_WEIGHT = 2.0


def heat(past: FileHistory, now: datetime) -> float:
    """Changes in the window, each discounted by half per `HALF_LIFE_DAYS` of age; fix
    commits weigh `FIX_WEIGHT`."""
    fixes = Counter(past.fixed_at)
    total = 0.0
    for moment in past.changed_at:
        weight = FIX_WEIGHT if fixes[moment] > 0 else 1.0
        fixes[moment] -= 1
        age_days = max((now - moment).total_seconds(), 0.0) / 86400
        total += weight * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return total


def rank_hotspots(
    metrics: list[FileMetrics],
    history: list[FileHistory] | None,
    findings: list[Finding],
    until: datetime | None = None,
) -> list[Hotspot]:
    """Every file with functions: source before support before tests, riskiest first
    within each."""
    analysed = {m.file for m in metrics}
    kinds = file_kinds(sorted(analysed))
    # Only the analysed files set the scale: the history also holds files the ranking
    # never sees (README.md, notebooks, files deleted since), and one of those holding
    # the most changes would keep every ranked file's h below 1.
    by_file = {h.file: h for h in history or [] if h.file in analysed}
    moments = [t for h in by_file.values() for t in h.changed_at]
    now = until if until is not None else max(moments, default=None)
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    heats = {f: heat(h, now) for f, h in by_file.items()} if now is not None else {}
    max_heat = max(heats.values(), default=0.0)
    max_complexity = max((m.complexity for m in metrics), default=0)
    patterns = Counter(f.file for f in findings)
    ranked: list[tuple[Kind, float, int, Hotspot]] = []
    for m in metrics:
        if max_complexity == 0 or m.complexity == 0:
            continue
        c = m.complexity / max_complexity
        if history is None:
            score = 100 * c / 4
        else:
            h = heats.get(m.file, 0.0) / max_heat if max_heat else 0.0
            score = 100 * h * (1 + c) / 2
        past = by_file.get(m.file)
        reasons = _reasons(m, past, heats.get(m.file), kinds[m.file], patterns[m.file], now)
        hotspot = Hotspot(file=m.file, score=round(score, 2), reasons=reasons)
        ranked.append((kinds[m.file], score, m.complexity, hotspot))
    # The exact score ranks (a change months old has a heat too small to show in two
    # decimals but still above none); files the window never touched rank by complexity.
    ranked.sort(key=lambda r: (r[0], -r[1], -r[2], r[3].file))
    return [hotspot for *_key, hotspot in ranked]


def _reasons(
    m: FileMetrics,
    past: FileHistory | None,
    heat_value: float | None,
    kind: Kind,
    patterns: int,
    now: datetime | None,
) -> list[str]:
    reasons = []
    if kind is Kind.TEST:
        reasons.append("test file: ranked after source and support files")
    elif kind is Kind.SUPPORT:
        reasons.append("outside the packages (docs, examples, scripts): ranked after source")
    if past is not None and now is not None and past.changed_at:
        days = max((now - past.changed_at[0]).days, 0)
        reasons.append(
            f"last changed {days} day{'s' if days != 1 else ''} before the newest commit; "
            f"recency-weighted changes {heat_value or 0.0:.2f} "
            f"(half-life {HALF_LIFE_DAYS:g} days, fixes count {FIX_WEIGHT:g}x)"
        )
    reasons.append(
        f"cyclomatic complexity {m.complexity} over {m.functions} functions"
        + (f" (highest {m.max_complexity} in {m.max_function})" if m.max_complexity > 1 else "")
    )
    if m.max_nesting >= 4:
        reasons.append(f"nesting {m.max_nesting} deep")
    if m.max_length >= 80:
        reasons.append(f"a function {m.max_length} lines long")
    if past is not None:
        reasons.append(
            f"churn {past.churn} lines (+{past.added} -{past.deleted}) in {past.commits} "
            f"commit{'s' if past.commits != 1 else ''} "
            f"by {past.authors} author{'s' if past.authors != 1 else ''}"
        )
        if past.fixes:
            reasons.append(f"{past.fixes} fix commit{'s' if past.fixes != 1 else ''}")
        if past.first_commit is not None and now is not None:
            days = max((now - past.first_commit).days, 0)
            if days < 90:
                reasons.append(f"new: added {days} days ago")
    if patterns:
        reasons.append(f"{patterns} bug pattern{'s' if patterns != 1 else ''} found")
    return reasons
