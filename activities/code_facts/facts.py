"""A file's metrics and lint, computed once per content: cached in the scan cache's SQLite
file (`activities.security_audit.scan_cache`, so `attune gc` and its size cap cover it)
under a key of the path, the content hash and everything the result depends on (this
code, ruff's and lizard's versions, the rule selection). An unchanged file costs one
lookup on the next run; the result counts hits and misses. Without a rule selection the
facts are metrics only, keyed by the metrics engine alone, so every flow that only
measures (bug-predict, refactor-plan) shares one entry per file content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from activities.code_facts import lint, metrics
from activities.code_facts.lint import Lint, RuleSet, run_lint
from activities.code_facts.metrics import file_metrics, function_metrics
from activities.security_audit.scan_cache import ScanCache
from activities.sources import decode_source
from workflows.code_facts import FileMetrics, FunctionMetrics
from workflows.schemas import SkippedFile


class FileFacts(BaseModel):
    file: str
    metrics: FileMetrics
    functions: list[FunctionMetrics]
    lint: list[Lint]


@dataclass
class FactsResult:
    facts: list[FileFacts] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    hits: int = 0
    misses: int = 0


@cache
def _engines(with_lint: bool = True) -> str:
    digest = hashlib.sha256()
    for module in (lint, metrics) if with_lint else (metrics,):
        digest.update(Path(module.__file__).read_bytes())
    for package in ("ruff", "lizard") if with_lint else ("lizard",):
        digest.update(package.encode() + metadata.version(package).encode())
    return digest.hexdigest()


def facts_version(rules: RuleSet | None, profile: str) -> str:
    """Changes whenever a cached result could differ."""
    if rules is None:
        return "code-metrics/" + _engines(with_lint=False)[:16]
    material = _engines() + "\0" + rules.fingerprint(profile)
    return "code-facts/" + hashlib.sha256(material.encode()).hexdigest()[:16]


def content_key(version: str, rel: str, data: bytes) -> str:
    """The cache key of one file's content under `version`: path and bytes both count."""
    return hashlib.sha256(version.encode() + b"\0" + rel.encode() + b"\0" + data).hexdigest()


def cached_by_content[T: BaseModel](
    cache_file: Path | None,
    version: str,
    sources: dict[str, bytes],
    model: type[T],
    compute: Callable[[list[str]], dict[str, T]],
) -> tuple[dict[str, T], int]:
    """(each file's result, how many were computed): from the cache where a file's
    content is unchanged under `version`; `compute` gets all the misses at once, so a
    tool that runs over many files (ruff) runs once."""
    store = ScanCache(cache_file) if cache_file is not None else None
    keys = {rel: content_key(version, rel, data) for rel, data in sources.items()}
    cached = store.get_many(list(keys.values())) if store else {}
    results = {rel: model.model_validate(cached[key]) for rel, key in keys.items() if key in cached}
    misses = [rel for rel in sources if rel not in results]
    fresh = compute(misses) if misses else {}
    if store is not None:
        store.put_many({keys[rel]: fresh[rel].model_dump(mode="json") for rel in misses})
    return results | fresh, len(misses)


def file_facts(
    root: Path,
    files: list[str],
    rules: RuleSet | None,
    profile: str = "default",
    cache_file: Path | None = None,
) -> FactsResult:
    """Metrics and lint of `files` (relative to `root`), from the cache where the content
    is unchanged; ruff runs once on all the misses, and not at all without `rules`."""
    result = FactsResult()
    contents: dict[str, bytes] = {}
    sources: dict[str, str] = {}
    for rel in files:
        try:
            data = (root / rel).read_bytes()
        except OSError as err:
            result.skipped.append(SkippedFile(path=rel, reason=f"unreadable: {err.strerror}"))
            continue
        source, reason = decode_source(data)
        if source is None:
            result.skipped.append(SkippedFile(path=rel, reason=reason or "unreadable"))
            continue
        contents[rel], sources[rel] = data, source

    def compute(misses: list[str]) -> dict[str, FileFacts]:
        found: dict[str, list[Lint]] = {rel: [] for rel in misses}
        for item in run_lint(root, misses, rules, profile) if rules is not None else []:
            found.setdefault(item.file, []).append(item)
        return {
            rel: FileFacts(
                file=rel,
                metrics=file_metrics(sources[rel], rel, len(contents[rel])),
                functions=function_metrics(sources[rel], rel),
                lint=found[rel],
            )
            for rel in misses
        }

    by_file, result.misses = cached_by_content(
        cache_file, facts_version(rules, profile), contents, FileFacts, compute
    )
    result.hits = len(contents) - result.misses
    result.facts = [by_file[rel] for rel in files if rel in by_file]
    return result
