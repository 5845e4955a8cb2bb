"""The risk model that ranks files into hotspots.

Two steps: which kind of file it is, then how recently it last changed, ties broken by
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

**Order** within a kind: the file's newest change in the git history window first (the
latest commit touching it), then complexity, then path. **Score** (0..100) says how
fresh that change is:

    score = 100 * 0.5 ** (age / 7 days)
            (age = time from the file's newest change to the newest change of any
            analysed file)

so a file the newest commit touched scores 100, one last changed a week earlier 50,
however long ago that commit was: the score needs no calibration per project. The
score depends on the newest change alone and falls with its age, so it agrees with the
order; the half-life only sets how the number reads, not the order.

Why the last change alone: bugs are introduced by changes and found soon after them.
Kim et al.'s FixCache ("Predicting faults from cached history", ICSE 2007) loads files
into a cache when they are fixed or changed and evicts the least recently used, so what
it holds is a most-recently-changed list; Hassan and Holt's "most recently modified" top
ten (ICSM 2005) is the same order. One commit often touches several files; among them the
more complex ranks first, as larger files hold more faults (Ostrand, Weyuker and Bell,
"Where the bugs are", ISSTA 2004; complexity measures size in decisions). The weighted
time damp model (Graves et al., TSE 2000), which sums every change discounted
exponentially with age, approaches this order as its half-life shrinks; it is the model
this one replaced (half-life 7 days, fix commits counted twice, times (1 + c) / 2).

On the BugsInPy development set (`benchmarks/bug_predict.py`, two projects) no half-life
from 6 hours to 90 days and fix weight from 1 to 4, with or without the complexity
factor, beat this order on both projects, and the setting best on either project was
worse than it on the other. On a second check, 135 other fix commits of the same two
histories (the source files each changed, ranked at its parent), this order was the
best of them on both projects. Google's time-weighted fix score (Lewis et al., ICSE
2013) and rank averages of recency with size or complexity ranked lower overall on both
sets. So there is no half-life, fix weight or product with complexity to tune; fix
commits, churn and authors are shown as reasons but do not enter the order.

A file the window never touched scores 0 and ranks, after every changed file of its
kind, by complexity; a file without functions (no complexity) is not a hotspot. Without
git history, complexity alone ranks: `score = 100 * c / 4` (c = complexity over the
largest among the analysed files; at most 25, a quarter of the evidence). Ties rank by
complexity, then path.

Every hotspot lists the reasons behind its score; the bug-pattern findings in the file are
named as a reason but do not enter the score, so the ranking and the patterns stay two
independent opinions.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from math import inf

from activities.code_facts.kinds import Kind, file_kinds
from workflows.bug_predict.models import Hotspot
from workflows.code_facts import FileHistory, FileMetrics
from workflows.schemas import Finding

HALF_LIFE_DAYS = 7.0


def freshness(past: FileHistory, now: datetime) -> float:
    """0.5 ** (age of the newest change / `HALF_LIFE_DAYS`): 1 for a file the window's
    newest commit touched, 0 for one the window never touched."""
    if not past.changed_at:
        return 0.0
    age_days = max((now - past.changed_at[0]).total_seconds(), 0.0) / 86400
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def rank_hotspots(
    metrics: list[FileMetrics],
    history: list[FileHistory] | None,
    findings: list[Finding],
) -> list[Hotspot]:
    """Every file with functions: source before support before tests, riskiest first
    within each."""
    analysed = {m.file for m in metrics}
    kinds = file_kinds(sorted(analysed))
    # Only the analysed files end the window: the history also holds files the ranking
    # never sees (README.md, notebooks, files deleted since), and a later change to one of
    # those would keep every ranked file's score below 100.
    by_file = {h.file: h for h in history or [] if h.file in analysed}
    now = max((t for h in by_file.values() for t in h.changed_at), default=None)
    fresh = {f: freshness(h, now) for f, h in by_file.items()} if now is not None else {}
    max_complexity = max((m.complexity for m in metrics), default=0)
    patterns = Counter(f.file for f in findings)
    ranked: list[tuple[Kind, float, int, Hotspot]] = []
    for m in metrics:
        if max_complexity == 0 or m.complexity == 0:
            continue
        past = by_file.get(m.file)
        if history is None:
            score = order = 100 * m.complexity / max_complexity / 4
        else:
            score = 100 * fresh.get(m.file, 0.0)
            # The newest change's time orders, not the score: a change months old has a
            # freshness too small to show (or, years old, to hold in a float) but still
            # ranks above none.
            order = past.changed_at[0].timestamp() if past and past.changed_at else -inf
        reasons = _reasons(m, past, kinds[m.file], patterns[m.file], now)
        hotspot = Hotspot(file=m.file, score=round(score, 2), reasons=reasons)
        ranked.append((kinds[m.file], order, m.complexity, hotspot))
    # Files changed by the same commit, and files the window never touched, rank by
    # complexity.
    ranked.sort(key=lambda r: (r[0], -r[1], -r[2], r[3].file))
    return [hotspot for *_key, hotspot in ranked]


def _reasons(
    m: FileMetrics,
    past: FileHistory | None,
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
            f"last changed {days} day{'s' if days != 1 else ''} before the newest commit "
            f"(the most recently changed files rank first)"
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
