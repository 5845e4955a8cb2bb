"""The tier routing policy: which Claude tier a task starts on, and where it goes next.

Deterministic and free of I/O, so workflows can call it. Haiku takes classification,
triage and threshold checks; Sonnet structured analysis and code; Opus architecture
and coordination, or code changes that span several files.
"""

from __future__ import annotations

from workflows.schemas import TIERS, Tier

HAIKU_TASKS = frozenset({"triage", "classification", "routing", "threshold", "summarization"})
OPUS_TASKS = frozenset({"architecture", "coordination", "design", "synthesis"})
MULTI_FILE = 3
MANY_SOURCES = 4
LONG_QUESTION_WORDS = 30
# fmt: off
JUDGEMENT_WORDS = frozenset({
    "compare", "comparison", "versus", "vs", "tradeoff", "tradeoffs", "trade-off", "trade-offs",
    "pros", "cons", "should", "recommend", "better", "worse", "why", "design", "architecture",
    "strategy", "evaluate", "choose", "alternatives"
})
# fmt: on


def start_tier(kind: str, files_spanned: int = 1) -> Tier:
    if kind in HAIKU_TASKS:
        return "haiku"
    if kind in OPUS_TASKS or files_spanned >= MULTI_FILE:
        return "opus"
    return "sonnet"


def complex_question(question: str, sources: int) -> tuple[bool, str]:
    """Whether a research question needs Opus's synthesis, and why: it asks for a
    judgement (compare, trade-offs, should, why, design...), asks several questions, is
    long, or spans MANY_SOURCES sources or more. Otherwise Sonnet's analysis answers it."""
    words = [w.strip(".,;:!?()\"'") for w in question.lower().split()]
    judging = sorted(JUDGEMENT_WORDS.intersection(words))
    if judging:
        return True, f"asks for a judgement ({', '.join(judging)})"
    if question.count("?") >= 2:
        return True, "asks several questions"
    if len(words) >= LONG_QUESTION_WORDS:
        return True, f"{len(words)} words long"
    if sources >= MANY_SOURCES:
        return True, f"spans {sources} sources"
    return False, f"one factual question over {sources} sources"


def rank(tier: Tier) -> int:
    return TIERS.index(tier)


def next_tier(tier: Tier) -> Tier | None:
    position = rank(tier) + 1
    return TIERS[position] if position < len(TIERS) else None


def highest(tiers: list[Tier]) -> Tier | None:
    return max(tiers, key=rank) if tiers else None
