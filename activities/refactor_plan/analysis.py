"""Measuring one chunk of files (per-function metrics), run in the worker's process pool
so both cores parse Python. Unreadable files are recorded as skipped with a reason."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.code_facts.metrics import file_metrics, function_metrics
from workflows.code_facts import FileMetrics, FunctionMetrics
from workflows.schemas import SkippedFile

BINARY_SNIFF_BYTES = 8192


class FileFacts(BaseModel):
    metrics: FileMetrics
    functions: list[FunctionMetrics]


class ChunkFacts(BaseModel):
    facts: list[FileFacts]
    skipped: list[SkippedFile]


def read_source(path: Path) -> tuple[str | None, str | None, int]:
    """(source, skip reason, size in bytes) of one file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, f"unreadable: {err.strerror or err}", 0
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary", len(data)
    try:
        return data.decode("utf-8"), None, len(data)
    except UnicodeDecodeError:
        return None, "not UTF-8", len(data)


def measure_chunk(root: str, files: list[str]) -> ChunkFacts:
    result = ChunkFacts(facts=[], skipped=[])
    for rel in files:
        source, reason, size = read_source(Path(root) / rel)
        if source is None:
            result.skipped.append(SkippedFile(path=rel, reason=reason or "unreadable"))
            continue
        result.facts.append(
            FileFacts(
                metrics=file_metrics(source, rel, size), functions=function_metrics(source, rel)
            )
        )
    return result
