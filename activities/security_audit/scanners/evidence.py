"""What the cross-module trace says about the per-file findings of a run.

Run in the report, once `trace_taint` has traced every flow of the target:

- Flow findings get the per-file policy at their sink (inline suppressions), since the
  solver sees facts, not comments. Test code has no facts (`scanning._scan_sources`), so
  no flow ends there.
- An injection pattern (SQL, OS command, code, deserialisation: CWE 89, 78, 94, 502)
  that no traced flow reached has no known untrusted source: a library's `execute(sql)`
  of an identifier it quoted, `pickle.loads` of its own cache. It keeps its severity (the
  sink is still dangerous if a caller outside the target passes user data) but drops to
  low confidence, which bands it as a medium in the risk score; a traced flow at the same
  place supersedes the pattern finding and carries its source's confidence instead.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from activities.security_audit.scanners.merge import issue_key
from activities.security_audit.scanners.policy import TestCode, apply_policy
from activities.sources import decode_source
from workflows.schemas import Finding, ReportWarning
from workflows.security_audit.models import TaintStats

UNTRACED_ISSUES = frozenset({"CWE-78", "CWE-89", "CWE-94", "CWE-502"})
UNTRACED_NOTE = " (no untrusted source was traced to it: low confidence)"


def flows_with_policy(flows: list[Finding], root: Path) -> list[Finding]:
    """The flow findings with the policy of the file their sink is in."""
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for flow in flows:
        by_file[flow.file].append(flow)
    test_code = TestCode(root)
    result = []
    for rel, findings in by_file.items():
        try:
            source = decode_source((root / rel).read_bytes())[0]
        except OSError:
            source = None
        result.extend(apply_policy(findings, source, test_code(rel)))
    return result


def weigh_untraced(findings: list[Finding]) -> list[Finding]:
    """Open injection patterns without a traced flow, at low confidence (module docstring)."""
    return [
        f.model_copy(update={"confidence": "low", "message": f.message + UNTRACED_NOTE})
        if f.is_open and not f.flow and f.confidence != "low" and issue_key(f) in UNTRACED_ISSUES
        else f
        for f in findings
    ]


def trace_warnings(stats: TaintStats | None) -> list[ReportWarning]:
    """A trace its time budget cut short found only some flows: the reader must know."""
    if stats is None or stats.complete:
        return []
    return [
        ReportWarning(
            code="taint-incomplete",
            message=f"the cross-module trace stopped at its time budget after "
            f"{stats.evaluations} function evaluations over {stats.modules} modules: "
            "flows it had not reached yet are missing from this report",
        )
    ]
