"""The risk model that ranks files into hotspots.

For each analysed file, three signals, each normalised to [0, 1] by its largest value
among the analysed files (so the score needs no calibration per project; history of
files that are not analysed, such as docs or files deleted since, sets no scale):

    c = complexity / max complexity    (sum of the functions' cyclomatic complexity)
    h = churn / max churn              (lines added + deleted in the history window)
    x = fixes / max fixes              (fix commits touching the file in the window)

    score = 100 * c * (1 + h) * (1 + x) / 4          (0..100)

Complexity is the base: simple code that changes a lot is rarely where bugs hide, while
complex code that also churns and keeps needing fixes is (Nagappan & Ball's churn
metrics, Tornhill's hotspots). Churn and past fixes each at most double it. Without git
history `h` and `x` are 0 and a file scores at most 25: complexity alone is a quarter of
the evidence. Files with no functions (no complexity) are not hotspots. Ties rank by
path. Every hotspot lists the reasons behind its score; the bug-pattern findings in the
file are named as a reason but do not enter the score, so the ranking and the patterns
stay two independent opinions.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from workflows.bug_predict.models import Hotspot
from workflows.code_facts import FileHistory, FileMetrics
from workflows.schemas import Finding


def rank_hotspots(
    metrics: list[FileMetrics],
    history: list[FileHistory] | None,
    findings: list[Finding],
    until: datetime | None = None,
) -> list[Hotspot]:
    """Every file with a positive score, riskiest first."""
    analysed = {m.file for m in metrics}
    # Only the analysed files set the scale: the history also holds files the ranking
    # never sees (README.md, notebooks, files deleted since), and one of those holding
    # the most churn or fixes would keep every ranked file's h or x below 1.
    by_file = {h.file: h for h in history or [] if h.file in analysed}
    max_complexity = max((m.complexity for m in metrics), default=0)
    max_churn = max((h.churn for h in by_file.values()), default=0)
    max_fixes = max((h.fixes for h in by_file.values()), default=0)
    patterns = Counter(f.file for f in findings)
    hotspots: list[Hotspot] = []
    for m in metrics:
        if max_complexity == 0 or m.complexity == 0:
            continue
        past = by_file.get(m.file)
        c = m.complexity / max_complexity
        h = past.churn / max_churn if past and max_churn else 0.0
        x = past.fixes / max_fixes if past and max_fixes else 0.0
        score = round(100 * c * (1 + h) * (1 + x) / 4, 2)
        hotspots.append(
            Hotspot(file=m.file, score=score, reasons=_reasons(m, past, patterns[m.file], until))
        )
    hotspots.sort(key=lambda s: (-s.score, s.file))
    return hotspots


def _reasons(
    m: FileMetrics, past: FileHistory | None, patterns: int, until: datetime | None
) -> list[str]:
    reasons = [
        f"cyclomatic complexity {m.complexity} over {m.functions} functions"
        + (f" (highest {m.max_complexity} in {m.max_function})" if m.max_complexity > 1 else "")
    ]
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
        if past.first_commit is not None and until is not None:
            days = max((until - past.first_commit).days, 0)
            if days < 90:
                reasons.append(f"new: added {days} days ago")
    if patterns:
        reasons.append(f"{patterns} bug pattern{'s' if patterns != 1 else ''} found")
    return reasons
