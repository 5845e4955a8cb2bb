"""Analysing one chunk of files (metrics and bug patterns), run in the worker's process
pool so both cores parse Python. Unreadable files are recorded as skipped with a reason."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.bug_predict.patterns import find_patterns
from activities.code_facts.metrics import file_metrics
from workflows.code_facts import FileMetrics
from workflows.schemas import Finding, SkippedFile

BINARY_SNIFF_BYTES = 8192


class ChunkResult(BaseModel):
    findings: list[Finding]
    metrics: list[FileMetrics]
    skipped: list[SkippedFile]


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


def analyze_chunk(root: str, files: list[str]) -> ChunkResult:
    result = ChunkResult(findings=[], metrics=[], skipped=[])
    for rel in files:
        metrics, findings, reason = analyze_file(Path(root), rel)
        if reason is not None:
            result.skipped.append(SkippedFile(path=rel, reason=reason))
            continue
        assert metrics is not None
        result.metrics.append(metrics)
        result.findings.extend(findings)
    return result
