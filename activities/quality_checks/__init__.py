"""quality-checks' activity: the merged report, every check's findings in one list with
what several checks found once (`activities.quality_checks.dedupe`), and links to the
checks' own reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.artifacts import ArtifactStore, atomic_write
from activities.quality_checks.dedupe import dedupe
from activities.reports import FINDINGS
from activities.resources import WorkerResources
from activities.teams import team_skipped_and_warnings
from workflows.quality_checks.models import QualityReportRequest
from workflows.schemas import SEVERITIES


class QualityReportActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="write_quality_report")
    async def write_quality_report(self, request: QualityReportRequest) -> dict[str, str]:
        found = []
        lines = [f"# attune quality-checks: `{request.target}`", "", "| check | status | summary |"]
        lines.append("|---|---|---|")
        for role, result in request.team.agents.items():
            lines.append(f"| {role} | {result.status} | {result.summary} |")
            if result.report is not None:
                found += [(role, f) for f in self.store.get(result.report, FINDINGS)]
        findings = dedupe(found)
        repeated = len(found) - len(findings)
        for name in request.not_available:
            lines.append(f"| {name} | not available | not in the catalog yet |")
        reports = {
            role: r.data["report"] for role, r in request.team.agents.items() if "report" in r.data
        }
        skipped, warnings = team_skipped_and_warnings(request.team, reports)
        lines += ["", "## Reports of the checks", ""]
        lines += [f"- {role}: `{path}`" for role, path in reports.items()]
        if warnings:
            lines += ["", "## Warnings", ""]
            lines += [f"- {w.get('file', '')}{_line(w)}{w['message']}" for w in warnings]
        lines += [
            "",
            f"{len(findings)} findings in all ({repeated} reported by more than one check "
            "counted once); see report.json for the list.",
            "",
        ]
        out = Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        paths = {"markdown": out / "report.md", "json": out / "report.json"}
        atomic_write(paths["markdown"], "\n".join(lines).encode())
        document = {
            "workflow": "quality-checks",
            "workflow_id": request.workflow_id,
            "target": request.target,
            "status": "completed",
            "checks": {r: a.model_dump(mode="json") for r, a in request.team.agents.items()},
            "not_available": request.not_available,
            "summary": {
                "counts": {
                    s: sum(f["severity"] == s and _is_open(f) for f in findings) for s in SEVERITIES
                },
                "findings_total": len(findings),
                "suppressed": sum(f.get("suppressed") is not None for f in findings),
                "duplicates_merged": repeated,
            },
            "findings": findings,
            "skipped": skipped,
            "warnings": warnings,
        }
        atomic_write(paths["json"], json.dumps(document, indent=2).encode())
        return self.store.publish({kind: str(path.absolute()) for kind, path in paths.items()})


def _is_open(finding: dict[str, Any]) -> bool:
    """`Finding.is_open` of a report entry: neither suppressed nor an accepted risk."""
    return finding.get("suppressed") is None and finding.get("accepted_risk") is None


def _line(warning: dict[str, Any]) -> str:
    return f":{warning.get('line') or 1}: " if warning.get("file") else ""


def worker_activities(resources: WorkerResources) -> list:
    return [QualityReportActivities(resources.store).write_quality_report]
