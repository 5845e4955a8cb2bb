"""Analysing one chunk of files (ruff's performance families and attune's AST rules), run
in the worker's process pool. Unreadable files are recorded as skipped with a reason."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from activities.performance_audit.ruff_perf import run_ruff
from activities.performance_audit.rules import check_source
from activities.security_audit.scanners.merge import merge_findings
from workflows.schemas import Finding, SkippedFile

BINARY_SNIFF_BYTES = 8192


class ReportWarning(BaseModel):
    """An entry of the report's `warnings` (DESIGN section 10)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None


class ChunkResult(BaseModel):
    findings: list[Finding]
    skipped: list[SkippedFile]
    warnings: list[ReportWarning] = []
    files_analyzed: int = 0


def read_source(root: Path, rel: str) -> tuple[str | None, str | None]:
    """(source, skip reason) of one file."""
    try:
        data = (root / rel).read_bytes()
    except OSError as err:
        return None, f"unreadable: {err.strerror or err}"
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "not UTF-8"


def analyze_chunk(root: str, files: list[str], profile: str = "default") -> ChunkResult:
    base = Path(root)
    result = ChunkResult(findings=[], skipped=[])
    readable = []
    for rel in files:
        source, reason = read_source(base, rel)
        if source is None:
            result.skipped.append(SkippedFile(path=rel, reason=reason or "unreadable"))
            continue
        readable.append(rel)
        findings, error = check_source(source, rel, profile)
        result.findings.extend(findings)
        if error is not None:
            result.warnings.append(
                ReportWarning(
                    code="unparsable",
                    message=f"not valid Python, attune's rules skipped it: {error.msg}",
                    file=rel,
                    line=error.lineno,
                )
            )
    result.findings.extend(run_ruff(base, readable, profile))
    result.findings = merge_findings(result.findings)
    result.files_analyzed = len(readable)
    return result
