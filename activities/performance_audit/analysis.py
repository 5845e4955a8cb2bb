"""Analysing one chunk of files (ruff's performance families and attune's AST rules), run
in the worker's process pool. Unreadable files are recorded as skipped with a reason.
Each file's findings are cached per content in the scan cache's file (like the shared
code facts, `code_facts.facts`), under a version of the rules' code, ruff's version and
the profile, so an unchanged file costs one lookup on the next run."""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from activities.code_facts import lint
from activities.code_facts.facts import cached_by_content
from activities.performance_audit import ruff_perf, rules
from activities.performance_audit.ruff_perf import RULES, run_ruff
from activities.performance_audit.rules import check_source
from activities.security_audit.scanners import merge
from activities.security_audit.scanners.merge import merge_findings
from activities.sources import read_source
from workflows import schemas
from workflows.schemas import Finding, ReportWarning, SkippedFile


class ChunkResult(BaseModel):
    findings: list[Finding]
    skipped: list[SkippedFile]
    warnings: list[ReportWarning] = []
    files_analyzed: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


class FileResult(BaseModel):
    """What the cache keeps of one file."""

    findings: list[Finding]
    warning: ReportWarning | None = None


@cache
def findings_version(profile: str) -> str:
    """Changes whenever a cached result could differ: the rules and their merge, ruff and
    its runner, the schema, the profile, the Python whose `ast` parses the source."""
    digest = hashlib.sha256(sys.version.encode() + metadata.version("ruff").encode())
    for module in (rules, ruff_perf, lint, merge, schemas):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(RULES.fingerprint(profile).encode())
    return "perf-findings/" + digest.hexdigest()[:16]


def _analyze(source: str, rel: str, profile: str) -> FileResult:
    """attune's rules on one file; ruff's findings join it after one run over the chunk."""
    findings, error = check_source(source, rel, profile)
    warning = None
    if error is not None:
        warning = ReportWarning(
            code="unparsable",
            message=f"not valid Python, attune's rules skipped it: {error.msg}",
            file=rel,
            line=error.lineno,
        )
    return FileResult(findings=findings, warning=warning)


def analyze_chunk(
    root: str, files: list[str], profile: str = "default", cache_file: str | None = None
) -> ChunkResult:
    """The findings of `files`, from the cache where the content is unchanged; ruff runs
    once on all the misses."""
    base = Path(root)
    result = ChunkResult(findings=[], skipped=[])
    sources: dict[str, str] = {}
    for rel in files:
        source, reason = read_source(base / rel)
        if source is None:
            result.skipped.append(SkippedFile(path=rel, reason=reason or "unreadable"))
            continue
        sources[rel] = source

    def compute(misses: list[str]) -> dict[str, FileResult]:
        fresh = {rel: _analyze(sources[rel], rel, profile) for rel in misses}
        for finding in run_ruff(base, misses, profile):
            fresh[finding.file].findings.append(finding)
        return fresh

    contents = {rel: source.encode("utf-8") for rel, source in sources.items()}
    by_file, misses = cached_by_content(
        Path(cache_file) if cache_file else None,
        findings_version(profile),
        contents,
        FileResult,
        compute,
    )
    for rel in sources:
        result.findings.extend(by_file[rel].findings)
        if by_file[rel].warning is not None:
            result.warnings.append(by_file[rel].warning)
    result.findings = merge_findings(result.findings)
    result.files_analyzed = len(sources)
    result.cache_hits, result.cache_misses = len(sources) - misses, misses
    return result
