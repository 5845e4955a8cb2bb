"""Analysing one chunk of files (metrics and bug patterns), run in the worker's process
pool so both cores parse Python. Unreadable files are recorded as skipped with a reason.
The metrics come from the shared content cache (`code_facts.facts`, metrics only), so an
unchanged file is measured once across runs and flows."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.bug_predict.patterns import find_patterns
from activities.code_facts.facts import file_facts
from activities.code_facts.metrics import file_metrics
from workflows.code_facts import FileMetrics
from workflows.schemas import Finding, SkippedFile

BINARY_SNIFF_BYTES = 8192


class ChunkResult(BaseModel):
    findings: list[Finding]
    metrics: list[FileMetrics]
    skipped: list[SkippedFile]
    cache_hits: int = 0
    cache_misses: int = 0


def analyze_file(root: Path, rel: str) -> tuple[FileMetrics | None, list[Finding], str | None]:
    """(metrics, findings, skip reason) of one file."""
    try:
        data = (root / rel).read_bytes()
    except OSError as err:
        return None, [], f"unreadable: {err.strerror or err}"
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, [], "binary"
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [], "not UTF-8"
    return file_metrics(source, rel, len(data)), find_patterns(source, rel), None


def analyze_chunk(root: str, files: list[str], cache_file: str | None = None) -> ChunkResult:
    """Metrics (cached per content in `cache_file`) and bug patterns of `files`."""
    directory = Path(root)
    facts = file_facts(directory, files, None, cache_file=Path(cache_file) if cache_file else None)
    result = ChunkResult(
        findings=[],
        metrics=[f.metrics for f in facts.facts],
        skipped=facts.skipped,
        cache_hits=facts.hits,
        cache_misses=facts.misses,
    )
    for fact in facts.facts:
        source = (directory / fact.file).read_bytes().decode("utf-8")
        result.findings.extend(find_patterns(source, fact.file))
    return result
