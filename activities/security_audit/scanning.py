"""Scanning one chunk of files, run in a worker process so both cores parse Python.

A chunk is the unit of heartbeat progress: a retried batch picks up after the last
chunk it reported. Each file's merged findings are cached by its path and content
hash (plus the engines' version), so an unchanged file is never scanned twice.

A process pool cannot cancel a task that is running, so a chunk takes a cancel
marker: a file path the activity creates when its attempt is cancelled (heartbeat
timeout, workflow cancellation, worker shutdown). The chunk checks it between files
and while it waits on its engine subprocesses, terminates them, and raises
`ScanCancelled`, so a dead attempt stops burning a pool slot and the CPU.

Each finished batch stores its `ScanBatchResult` at a deterministic key
(`batch_result_key`), so the report and the LLM stages read the results from the
store and the workflow only passes how many batches there were.
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from activities.artifacts import ArtifactStore
from activities.security_audit.scan_cache import ScanCache
from activities.security_audit.scanners import ast_rules, merge, policy, ruff_rules, secrets
from activities.security_audit.scanners.taint import catalog as taint_catalog
from activities.security_audit.scanners.taint import extract as taint_extract
from activities.security_audit.scanners.taint import facts as taint_facts
from activities.security_audit.scanners.taint.facts import ModuleFacts
from activities.sources import BINARY, decode_source
from workflows.schemas import Finding, SkippedFile
from workflows.security_audit.models import ScanBatchResult

FINDINGS = TypeAdapter(list[Finding])
SKIPPED = TypeAdapter(list[SkippedFile])
BATCH_RESULT = TypeAdapter(ScanBatchResult)
MODULE_FACTS = TypeAdapter(list[ModuleFacts])
# The same documents as plain JSON: facts pass through the pool, the cache and the batch
# artifacts without being rebuilt as models; `trace_taint` validates them once.
FACTS_JSON = TypeAdapter(list[dict[str, Any]])
TOOL_POLL_S = 0.2
TOOL_STOP_GRACE_S = 5.0


class ScanCancelled(Exception):
    """The chunk's cancel marker appeared: its attempt is gone, its work was dropped."""


def _cancelled(cancel_file: str | None) -> bool:
    return cancel_file is not None and os.path.exists(cancel_file)


def _check(cancel_file: str | None) -> None:
    if _cancelled(cancel_file):
        raise ScanCancelled(f"cancel marker {cancel_file} appeared")


class ChunkResult(BaseModel):
    findings: list[Finding]
    facts: list[dict[str, Any]] = Field(
        default_factory=list, description="Each module's `ModuleFacts`, as JSON"
    )
    skipped: list[SkippedFile]
    cache_hits: int
    cache_misses: int
    files_scanned: int


def batch_dir(run_key: str, index: int) -> str:
    """Store key of a batch's documents: chunks, merged findings, skips, its result."""
    return f"runs/{run_key}/artifacts/batch-{index:05d}"


def batch_facts_key(run_key: str, index: int) -> str:
    """Store key of a batch's taint facts, which `trace_taint` joins across batches."""
    return f"{batch_dir(run_key, index)}/facts.json"


def batch_result_key(run_key: str, index: int) -> str:
    return f"{batch_dir(run_key, index)}/result.json"


def stored_batch_results(store: ArtifactStore, run_key: str, count: int) -> list[ScanBatchResult]:
    """Every batch's `ScanBatchResult`, as each `scan_batch` stored it: what the workflow
    passes as a count instead of a list that grows with the batch count.

    A batch scanned by a worker older than `result.json` still left its merged findings
    and skips at the same keys; those are read instead (its counters are then zero, the
    workflow carries the file total)."""
    results = []
    for index in range(count):
        found = store.find(batch_result_key(run_key, index), BATCH_RESULT)
        if found is not None:
            results.append(found[0])
            continue
        base = batch_dir(run_key, index)
        findings = store.find(f"{base}/findings.json", FINDINGS)
        skipped = store.find(f"{base}/skipped.json", SKIPPED)
        if findings is None or skipped is None:
            raise FileNotFoundError(
                f"batch {index} of run {run_key} left no results under {store.root}: every "
                "worker must share the same ATTUNE_HOME"
            )
        results.append(
            ScanBatchResult(
                index=index,
                findings=findings[1].model_copy(update={"count": len(findings[0])}),
                skipped=skipped[1].model_copy(update={"count": len(skipped[0])}),
                files_scanned=0,
                cache_hits=0,
                cache_misses=0,
            )
        )
    return results


@cache
def engine_version(bandit: bool) -> str:
    """A key that changes whenever a cached result could differ: rules, taint facts,
    ruff, bandit."""
    digest = hashlib.sha256()
    for module in (ast_rules, secrets, ruff_rules, merge, policy, taint_catalog, taint_extract,
                   taint_facts):  # fmt: skip
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())  # which engines run on which files
    digest.update(metadata.version("ruff").encode())
    if bandit:
        digest.update(b"bandit" + metadata.version("bandit").encode())
    return digest.hexdigest()[:16]


def _cache_key(rel: str, data: bytes, version: str, in_tests: bool) -> str:
    """Whether the file is test code is part of the key: a conftest.py added beside an
    unchanged file changes its verdicts (see policy.TestCode)."""
    material = f"{version}\0{rel}\0{'test' if in_tests else 'code'}\0".encode()
    return hashlib.sha256(material + data).hexdigest()


class _ToolRun:
    """An engine subprocess running while this process parses: ruff is multithreaded
    and done long before the AST pass, so its wall time mostly disappears."""

    def __init__(self, name: str, argv: list[str], cwd: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def output(self, cancel_file: str | None = None) -> str:
        """The tool's stdout once it exits; `ScanCancelled` (tool stopped) if the cancel
        marker appears first. Retrying `communicate` after its timeout loses no output."""
        while True:
            _check(cancel_file)
            try:
                stdout, stderr = self.proc.communicate(timeout=TOOL_POLL_S if cancel_file else None)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.proc.returncode not in (0, 1):
            raise RuntimeError(f"{self.name} failed ({self.proc.returncode}): {stderr[-500:]}")
        return stdout

    def stop(self) -> None:
        """Terminate the tool if it still runs (then kill it if it lingers), and reap it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TOOL_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def scan_chunk(
    root: str,
    rel_paths: list[str],
    cache_file: str,
    bandit: bool,
    cancel_file: str | None = None,
) -> ChunkResult:
    """Scan files under `root`, reading cached results where the content is unchanged.

    With `cancel_file`, raise `ScanCancelled` soon after that file appears (checked
    between files and while the engine subprocesses run, which are then terminated);
    nothing of a cancelled chunk is cached.
    """
    _check(cancel_file)
    root_path = Path(root)
    version = engine_version(bandit)
    cache = ScanCache(Path(cache_file))
    test_code = policy.TestCode(root_path)
    result = ChunkResult(findings=[], skipped=[], cache_hits=0, cache_misses=0, files_scanned=0)
    contents: dict[str, tuple[str, bytes]] = {}
    for rel in rel_paths:
        _check(cancel_file)
        try:
            data = (root_path / rel).read_bytes()
        except OSError as err:
            result.skipped.append(SkippedFile(path=rel, reason=f"unreadable: {err.strerror}"))
            continue
        if decode_source(data)[1] == BINARY:
            result.skipped.append(SkippedFile(path=rel, reason=BINARY))
            continue
        contents[rel] = (_cache_key(rel, data, version, test_code(rel)), data)
    cached = cache.get_many([key for key, _ in contents.values()])
    sources: dict[str, str] = {}
    skips: dict[str, str | None] = {}
    for rel, (key, data) in contents.items():
        if (entry := cached.get(key)) is not None:
            result.cache_hits += 1
            result.findings.extend(FINDINGS.validate_python(entry["findings"]))
            if entry.get("facts") is not None:
                result.facts.append(entry["facts"])
            if entry["skip"]:
                result.skipped.append(SkippedFile(path=rel, reason=entry["skip"]))
            result.files_scanned += entry.get("scanned", entry["skip"] != "not UTF-8")
            continue
        result.cache_misses += 1
        source, skips[rel] = decode_source(data)
        if source is not None:
            sources[rel] = source
    result.files_scanned += len(sources)
    facts: dict[str, dict[str, Any]] = {}
    per_file = _scan_sources(root_path, sources, skips, bandit, facts, test_code, cancel_file)
    fresh: dict[str, dict] = {}
    for rel, skip in skips.items():
        merged = policy.apply_policy(
            merge.merge_findings(per_file.get(rel, [])), sources.get(rel), test_code(rel)
        )
        result.findings.extend(merged)
        if skip:
            result.skipped.append(SkippedFile(path=rel, reason=skip))
        module = facts.get(rel)
        if module is not None:
            result.facts.append(module)
        fresh[contents[rel][0]] = {
            "findings": FINDINGS.dump_python(merged, mode="json"),
            "skip": skip,
            "scanned": rel in sources,
            "facts": module,
        }
    cache.put_many(fresh)
    return result


def _scan_sources(
    root: Path,
    sources: dict[str, str],
    skips: dict[str, str | None],
    bandit: bool,
    facts: dict[str, dict[str, Any]],
    test_code: Callable[[str], bool],
    cancel_file: str | None = None,
) -> dict[str, list[Finding]]:
    """Every engine on decoded sources; records syntax errors in `skips` and each
    file's taint facts in `facts`. A file is parsed once for the AST rules and facts.
    Test code gets no facts: it is never deployed, so it is neither where untrusted data
    enters nor where it does harm, and it is most of a project's functions."""
    if not sources:
        return {}
    paths = list(sources)
    runs = [_ToolRun("ruff", ruff_rules.ruff_command(paths), root)]
    try:
        if bandit:
            runs.append(_ToolRun("bandit", ruff_rules.bandit_command(paths), root))
        per_file: dict[str, list[Finding]] = {}
        syntax_errors: dict[str, int] = {}
        for rel, source in sources.items():
            _check(cancel_file)
            per_file[rel] = secrets.find_secrets(source, rel)
            wants_facts = not test_code(rel) and taint_catalog.needs_facts(source)
            try:
                tree = (
                    ast.parse(source, filename=rel)
                    if wants_facts or ast_rules.needs_parse(source)
                    else None
                )
                per_file[rel] += ast_rules.scan_python(source, rel, tree)
            except (SyntaxError, ValueError) as err:
                syntax_errors[rel] = getattr(err, "lineno", None) or 1
                continue
            if wants_facts:
                module = taint_extract.module_facts(tree, rel, source)
                facts[rel] = module.model_dump(mode="json", exclude_defaults=True)
        ruff, *bandit_runs = runs
        tool_findings = ruff_rules.parse_ruff_output(ruff.output(cancel_file), root, syntax_errors)
        for bandit_run in bandit_runs:
            tool_findings += ruff_rules.parse_bandit_output(bandit_run.output(cancel_file), root)
    finally:
        for run in runs:
            run.stop()
    for finding in tool_findings:
        per_file[finding.file].append(finding)
    for rel, line in syntax_errors.items():
        skips[rel] = f"syntax error at line {line}; attune's AST rules did not run"
    return per_file
