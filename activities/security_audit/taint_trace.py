"""The cross-module taint pass of a run: every batch's facts in, flow findings out.

The solver is CPU-bound Python, so it runs in a worker process and the activity's event
loop stays free to heartbeat. The store is read and written by the activity itself: a
pool process may not share the worker's environment (a forkserver started before the
worker was given its credentials), so it only computes, on plain JSON facts.
"""

from __future__ import annotations

from typing import Any

from activities.artifacts import ArtifactStore
from activities.security_audit.scanners.taint.solver import trace_flows
from activities.security_audit.scanning import (
    FACTS_JSON,
    MODULE_FACTS,
    merge,
    stored_batch_results,
)
from workflows.schemas import Finding
from workflows.security_audit.models import TaintStats


def taint_findings_key(run_key: str) -> str:
    return f"runs/{run_key}/artifacts/taint-findings.json"


def stored_facts(store: ArtifactStore, run_key: str, batch_count: int) -> list[dict[str, Any]]:
    """The facts every `scan_batch` of the run stored; batches scanned by a worker older
    than facts have none, and their modules are unknown to the solver."""
    modules: list[dict[str, Any]] = []
    for batch in stored_batch_results(store, run_key, batch_count):
        if batch.facts is not None:
            modules.extend(store.get(batch.facts, FACTS_JSON))
    return modules


def trace_facts(modules: list[dict[str, Any]]) -> tuple[list[Finding], TaintStats]:
    """Solve over the modules' facts (in a pool process): the merged flow findings."""
    findings, stats = trace_flows(MODULE_FACTS.validate_python(modules))
    return merge.merge_findings(findings), stats
