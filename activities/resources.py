"""What a worker hands every flow's activity factory: shared, long-lived resources."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from activities.artifacts import ArtifactStore
from activities.llm.pricing import PriceTable


@dataclass(frozen=True)
class WorkerResources:
    store: ArtifactStore
    pool: Executor
    """Processes for CPU-bound scanning, so both cores parse Python."""
    prices: PriceTable
