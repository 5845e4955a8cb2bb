"""The tier routing policy: which Claude tier a task starts on, and where it goes next.

Deterministic and free of I/O, so workflows can call it. Haiku takes classification,
triage and threshold checks; Sonnet structured analysis and code; Opus architecture
and coordination, or code changes that span several files.
"""

from __future__ import annotations

from workflows.schemas import TIERS, Tier

HAIKU_TASKS = frozenset({"triage", "classification", "routing", "threshold"})
OPUS_TASKS = frozenset({"architecture", "coordination", "design"})
MULTI_FILE = 3


def start_tier(kind: str, files_spanned: int = 1) -> Tier:
    if kind in HAIKU_TASKS:
        return "haiku"
    if kind in OPUS_TASKS or files_spanned >= MULTI_FILE:
        return "opus"
    return "sonnet"


def rank(tier: Tier) -> int:
    return TIERS.index(tier)


def next_tier(tier: Tier) -> Tier | None:
    position = rank(tier) + 1
    return TIERS[position] if position < len(TIERS) else None


def highest(tiers: list[Tier]) -> Tier | None:
    return max(tiers, key=rank) if tiers else None
