"""The cross-module taint pass of a run: every batch's facts in, flow findings out.

Runs in a worker process (the solver is CPU-bound Python, and the activity's event loop
must stay free to heartbeat), reading and writing the artifact store itself so that
neither the facts nor the findings are pickled between processes.
"""

from __future__ import annotations

from pathlib import Path

from activities.artifacts import ArtifactStore
from activities.security_audit.scanners.taint.solver import trace_flows
from activities.security_audit.scanning import (
    FINDINGS,
    MODULE_FACTS,
    merge,
    stored_batch_results,
)
from workflows.security_audit.models import TaintResult


def taint_findings_key(run_key: str) -> str:
    return f"runs/{run_key}/artifacts/taint-findings.json"


def trace_stored(root: str, url: str | None, run_key: str, batch_count: int) -> TaintResult:
    """Solve over the facts every `scan_batch` of the run stored; batches scanned by a
    worker older than facts have none, and their modules are unknown to the solver."""
    store = ArtifactStore(Path(root), url)
    modules = []
    for batch in stored_batch_results(store, run_key, batch_count):
        if batch.facts is not None:
            modules.extend(store.get(batch.facts, MODULE_FACTS))
    findings, stats = trace_flows(modules)
    findings = merge.merge_findings(findings)
    ref = store.put(taint_findings_key(run_key), findings, FINDINGS, len(findings))
    return TaintResult(findings=ref, stats=stats)
