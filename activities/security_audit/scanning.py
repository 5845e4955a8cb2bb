"""Scanning one chunk of files, run in a worker process so both cores parse Python.

A chunk is the unit of heartbeat progress: a retried batch picks up after the last
chunk it reported. Each file's merged findings are cached by its path and content
hash (plus the engines' version), so an unchanged file is never scanned twice.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from activities.security_audit.scan_cache import ScanCache
from activities.security_audit.scanners import ast_rules, merge, ruff_rules, secrets
from workflows.schemas import Finding, SkippedFile

BINARY_SNIFF_BYTES = 8192
NOT_UTF8 = "not UTF-8"
FINDINGS = TypeAdapter(list[Finding])


class ChunkResult(BaseModel):
    findings: list[Finding]
    skipped: list[SkippedFile]
    cache_hits: int
    cache_misses: int
    files_scanned: int


@cache
def engine_version(bandit: bool) -> str:
    """A key that changes whenever a cached result could differ: rules, ruff, bandit."""
    digest = hashlib.sha256()
    for module in (ast_rules, secrets, ruff_rules, merge):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(metadata.version("ruff").encode())
    if bandit:
        digest.update(b"bandit" + metadata.version("bandit").encode())
    return digest.hexdigest()[:16]


def _cache_key(rel: str, data: bytes, version: str) -> str:
    return hashlib.sha256(version.encode() + b"\0" + rel.encode() + b"\0" + data).hexdigest()


class _ToolRun:
    """An engine subprocess running while this process parses: ruff is multithreaded
    and done long before the AST pass, so its wall time mostly disappears."""

    def __init__(self, name: str, argv: list[str], cwd: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def output(self) -> str:
        stdout, stderr = self.proc.communicate()
        if self.proc.returncode not in (0, 1):
            raise RuntimeError(f"{self.name} failed ({self.proc.returncode}): {stderr[-500:]}")
        return stdout


def scan_chunk(root: str, rel_paths: list[str], cache_file: str, bandit: bool) -> ChunkResult:
    """Scan files under `root`, reading cached results where the content is unchanged."""
    root_path = Path(root)
    version = engine_version(bandit)
    cache = ScanCache(Path(cache_file))
    result = ChunkResult(findings=[], skipped=[], cache_hits=0, cache_misses=0, files_scanned=0)
    contents: dict[str, tuple[str, bytes]] = {}
    for rel in rel_paths:
        try:
            data = (root_path / rel).read_bytes()
        except OSError as err:
            result.skipped.append(SkippedFile(path=rel, reason=f"unreadable: {err.strerror}"))
            continue
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            result.skipped.append(SkippedFile(path=rel, reason="binary"))
            continue
        contents[rel] = (_cache_key(rel, data, version), data)
    cached = cache.get_many([key for key, _ in contents.values()])
    sources: dict[str, str] = {}
    skips: dict[str, str | None] = {}
    for rel, (key, data) in contents.items():
        if (entry := cached.get(key)) is not None:
            result.cache_hits += 1
            result.findings.extend(FINDINGS.validate_python(entry["findings"]))
            if entry["skip"]:
                result.skipped.append(SkippedFile(path=rel, reason=entry["skip"]))
            result.files_scanned += entry["skip"] != NOT_UTF8
            continue
        result.cache_misses += 1
        try:
            sources[rel] = data.decode("utf-8")
            skips[rel] = None
        except UnicodeDecodeError:
            skips[rel] = NOT_UTF8
    result.files_scanned += len(sources)
    per_file = _scan_sources(root_path, sources, skips, bandit)
    fresh: dict[str, dict] = {}
    for rel, skip in skips.items():
        merged = merge.merge_findings(per_file.get(rel, []))
        result.findings.extend(merged)
        if skip:
            result.skipped.append(SkippedFile(path=rel, reason=skip))
        fresh[contents[rel][0]] = {
            "findings": FINDINGS.dump_python(merged, mode="json"),
            "skip": skip,
        }
    cache.put_many(fresh)
    return result


def _scan_sources(
    root: Path, sources: dict[str, str], skips: dict[str, str | None], bandit: bool
) -> dict[str, list[Finding]]:
    """Every engine on decoded sources; records syntax errors in `skips`."""
    if not sources:
        return {}
    paths = list(sources)
    ruff = _ToolRun("ruff", ruff_rules.ruff_command(paths), root)
    bandit_run = _ToolRun("bandit", ruff_rules.bandit_command(paths), root) if bandit else None
    per_file: dict[str, list[Finding]] = {}
    syntax_errors: dict[str, int] = {}
    for rel, source in sources.items():
        per_file[rel] = secrets.find_secrets(source, rel)
        try:
            per_file[rel] += ast_rules.scan_python(source, rel)
        except (SyntaxError, ValueError) as err:
            syntax_errors[rel] = getattr(err, "lineno", None) or 1
    tool_findings = ruff_rules.parse_ruff_output(ruff.output(), root, syntax_errors)
    if bandit_run is not None:
        tool_findings += ruff_rules.parse_bandit_output(bandit_run.output(), root)
    for finding in tool_findings:
        per_file[finding.file].append(finding)
    for rel, line in syntax_errors.items():
        skips[rel] = f"syntax error at line {line}; attune's AST rules did not run"
    return per_file
