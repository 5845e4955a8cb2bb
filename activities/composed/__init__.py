"""composed's activity: the report of a user's spec run, each step's outcome."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, atomic_write
from activities.resources import WorkerResources
from workflows.composed.models import ComposedReportRequest


class ComposedReportActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="write_composed_report")
    async def write_composed_report(self, request: ComposedReportRequest) -> dict[str, str]:
        lines = [
            f"# attune {request.name}: `{request.target}`",
            "",
            "| step | kind | status | summary |",
            "|---|---|---|---|",
        ]
        for step in request.steps:
            summary = step.summary.replace("|", "\\|").replace("\n", " ")[:300]
            lines.append(f"| {step.role} | {step.kind} | {step.status} | {summary} |")
        out = Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        paths = {"markdown": out / "report.md", "json": out / "report.json"}
        atomic_write(paths["markdown"], ("\n".join(lines) + "\n").encode())
        document = {"workflow": request.name, **request.model_dump(mode="json")}
        atomic_write(paths["json"], json.dumps(document, indent=2).encode())
        return self.store.publish({kind: str(path.absolute()) for kind, path in paths.items()})


def worker_activities(resources: WorkerResources) -> list:
    return [ComposedReportActivities(resources.store).write_composed_report]
