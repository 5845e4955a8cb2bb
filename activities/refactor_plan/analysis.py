"""Measuring one chunk of files (per-function metrics), run in the worker's process pool
so both cores parse Python. Unreadable files are recorded as skipped with a reason. The
metrics come from the shared content cache (`code_facts.facts`, metrics only), so an
unchanged file is measured once across runs and flows."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.code_facts.facts import file_facts
from workflows.code_facts import FileMetrics, FunctionMetrics
from workflows.schemas import SkippedFile


class FileFacts(BaseModel):
    metrics: FileMetrics
    functions: list[FunctionMetrics]


class ChunkFacts(BaseModel):
    facts: list[FileFacts]
    skipped: list[SkippedFile]
    cache_hits: int = 0
    cache_misses: int = 0


def measure_chunk(root: str, files: list[str], cache_file: str | None = None) -> ChunkFacts:
    """Metrics of `files`, from the cache in `cache_file` where the content is unchanged."""
    found = file_facts(Path(root), files, None, cache_file=Path(cache_file) if cache_file else None)
    return ChunkFacts(
        facts=[FileFacts(metrics=f.metrics, functions=f.functions) for f in found.facts],
        skipped=found.skipped,
        cache_hits=found.hits,
        cache_misses=found.misses,
    )
