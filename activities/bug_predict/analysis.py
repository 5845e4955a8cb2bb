"""Analysing one chunk of files (metrics and bug patterns), run in the worker's process
pool so both cores parse Python. Unreadable files are recorded as skipped with a reason.
The metrics come from the shared content cache (`code_facts.facts`, metrics only), so an
unchanged file is measured once across runs and flows; the pattern findings are cached
per content beside them, under a version of the pattern rules' code."""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path

from pydantic import BaseModel

from activities.bug_predict import patterns
from activities.bug_predict.patterns import find_patterns
from activities.code_facts.facts import cached_by_content, file_facts
from activities.code_facts.metrics import file_metrics
from activities.security_audit.scanners import merge
from activities.sources import decode_source, read_source
from workflows import schemas
from workflows.code_facts import FileMetrics
from workflows.schemas import Finding, SkippedFile


class ChunkResult(BaseModel):
    findings: list[Finding]
    metrics: list[FileMetrics]
    skipped: list[SkippedFile]
    cache_hits: int = 0
    cache_misses: int = 0


def analyze_file(root: Path, rel: str) -> tuple[FileMetrics | None, list[Finding], str | None]:
    """(metrics, findings, skip reason) of one file."""
    source, reason = read_source(root / rel)
    if source is None:
        return None, [], reason
    size = len(source.encode("utf-8"))
    return file_metrics(source, rel, size), find_patterns(source, rel), None


@cache
def patterns_version() -> str:
    """Changes whenever cached findings could differ: the rules, their merge, the schema,
    the Python whose `ast` parses the source."""
    digest = hashlib.sha256(sys.version.encode())
    for module in (patterns, merge, schemas):
        digest.update(Path(module.__file__).read_bytes())
    return "bug-patterns/" + digest.hexdigest()[:16]


class FilePatterns(BaseModel):
    """What the cache keeps of one file."""

    findings: list[Finding]


def cached_patterns(
    root: Path, files: list[str], cache_file: Path | None
) -> tuple[list[Finding], int, int]:
    """(findings, hits, misses): the bug patterns of `files` (all readable source), from
    the cache where the content is unchanged."""
    contents = {rel: (root / rel).read_bytes() for rel in files}

    def compute(misses: list[str]) -> dict[str, FilePatterns]:
        return {
            rel: FilePatterns(findings=find_patterns(decode_source(contents[rel])[0] or "", rel))
            for rel in misses
        }

    found, misses = cached_by_content(
        cache_file, patterns_version(), contents, FilePatterns, compute
    )
    findings = [f for rel in files for f in found[rel].findings]
    return findings, len(files) - misses, misses


def analyze_chunk(root: str, files: list[str], cache_file: str | None = None) -> ChunkResult:
    """Metrics and bug patterns of `files`, each cached per content in `cache_file`; hits
    and misses count both lookups, two per readable file."""
    directory = Path(root)
    cache_path = Path(cache_file) if cache_file else None
    facts = file_facts(directory, files, None, cache_file=cache_path)
    findings, hits, misses = cached_patterns(directory, [f.file for f in facts.facts], cache_path)
    return ChunkResult(
        findings=findings,
        metrics=[f.metrics for f in facts.facts],
        skipped=facts.skipped,
        cache_hits=facts.hits + hits,
        cache_misses=facts.misses + misses,
    )
