"""Fail a build on high findings: audit a directory, exit 3 when anything is at or above
the threshold (the `attune workflow run --fail-on` convention), 0 otherwise.

    python examples/audit_gate.py src/ --fail-on high

Uses the blocking API (`connect_sync`), the shape for a CI step or a plain script.
"""

from __future__ import annotations

import argparse
import sys

from attune import BadRequest, RunFailed, connect_sync, leave
from workflows.schemas import SEVERITIES, SEVERITY_RANK, Finding

EXIT_FINDINGS = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="directory or .py file to audit")
    parser.add_argument("--fail-on", default="high", choices=SEVERITIES)
    args = parser.parse_args()
    with connect_sync() as attune:
        try:
            result = attune.run("security-audit", target=args.target)
        except BadRequest as exc:
            print(f"audit_gate: {exc}", file=sys.stderr)
            return 2
        except RunFailed as exc:
            print(f"audit_gate: {exc}", file=sys.stderr)
            return 1
        report = attune.report(result.workflow_id)
    counts = result.summary.counts
    print(", ".join(f"{severity}: {counts.get(severity, 0)}" for severity in SEVERITIES))
    threshold = SEVERITY_RANK[args.fail_on]
    # Open findings only, as the counts: suppressed ones and accepted risks do not block.
    findings = [Finding.model_validate(f) for f in report["findings"]]
    blocking = [f for f in findings if SEVERITY_RANK[f.severity] >= threshold and f.is_open]
    for finding in blocking:
        print(f"{finding.file}:{finding.line}: {finding.severity} {finding.message}")
    print(f"report: {result.artifacts.get('markdown')}")
    return EXIT_FINDINGS if blocking else 0


if __name__ == "__main__":
    leave(main())
