"""Scanning one chunk of files, run in a worker process so both cores parse Python.

A chunk is the unit of caching and of heartbeat progress: each file's merged
findings are cached by its path and content hash (plus the engines' version), so an
unchanged file is never scanned twice, and a retried batch picks up after the last
chunk it reported.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from activities.artifacts import atomic_write
from activities.scanners import ast_rules, merge, ruff_rules, secrets
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


def _cache_path(cache_dir: Path, rel: str, data: bytes, version: str) -> Path:
    key = hashlib.sha256(version.encode() + b"\0" + rel.encode() + b"\0" + data).hexdigest()
    return cache_dir / version / key[:2] / f"{key}.json"


def _run_tool(argv: list[str], cwd: Path) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{Path(argv[0]).name} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return proc.stdout


def scan_chunk(root: str, rel_paths: list[str], cache_dir: str, bandit: bool) -> ChunkResult:
    """Scan files under `root`, reading cached results where the content is unchanged."""
    root_path, cache_root = Path(root), Path(cache_dir)
    version = engine_version(bandit)
    result = ChunkResult(findings=[], skipped=[], cache_hits=0, cache_misses=0, files_scanned=0)
    per_file: dict[str, list[Finding]] = {}
    to_run: list[str] = []
    cache_files: dict[str, Path] = {}
    for rel in rel_paths:
        try:
            data = (root_path / rel).read_bytes()
        except OSError as err:
            result.skipped.append(SkippedFile(path=rel, reason=f"unreadable: {err.strerror}"))
            continue
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            result.skipped.append(SkippedFile(path=rel, reason="binary"))
            continue
        cache_file = _cache_path(cache_root, rel, data, version)
        try:
            cached = json.loads(cache_file.read_bytes())
        except (OSError, ValueError):
            cached = None
        if cached is not None:
            result.cache_hits += 1
            result.findings.extend(FINDINGS.validate_python(cached["findings"]))
            if cached["skip"]:
                result.skipped.append(SkippedFile(path=rel, reason=cached["skip"]))
            result.files_scanned += cached["skip"] != NOT_UTF8
            continue
        result.cache_misses += 1
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            result.skipped.append(SkippedFile(path=rel, reason=NOT_UTF8))
            atomic_write(cache_file, json.dumps({"findings": [], "skip": NOT_UTF8}).encode())
            continue
        cache_files[rel] = cache_file
        to_run.append(rel)
        try:
            per_file[rel] = ast_rules.scan_python(source, rel) + secrets.find_secrets(source, rel)
        except (SyntaxError, ValueError) as err:
            per_file[rel] = secrets.find_secrets(source, rel)
            line = getattr(err, "lineno", None)
            reason = f"syntax error at line {line}; only ruff and secret rules ran"
            result.skipped.append(SkippedFile(path=rel, reason=reason))
    result.files_scanned += len(to_run)
    if to_run:
        _add_tool_findings(root_path, to_run, per_file, bandit)
    skips = {s.path: s.reason for s in result.skipped}
    for rel in to_run:
        merged = merge.merge_findings(per_file[rel])
        result.findings.extend(merged)
        entry = {"findings": FINDINGS.dump_python(merged, mode="json"), "skip": skips.get(rel)}
        atomic_write(cache_files[rel], json.dumps(entry).encode())
    return result


def _add_tool_findings(
    root: Path, rel_paths: list[str], per_file: dict[str, list[Finding]], bandit: bool
) -> None:
    outputs = [
        ruff_rules.parse_ruff_output(_run_tool(ruff_rules.ruff_command(rel_paths), root), root)
    ]
    if bandit:
        stdout = _run_tool(ruff_rules.bandit_command(rel_paths), root)
        outputs.append(ruff_rules.parse_bandit_output(stdout, root))
    for findings in outputs:
        for finding in findings:
            per_file.setdefault(finding.file, []).append(finding)
