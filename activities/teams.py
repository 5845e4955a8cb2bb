"""Teams made from the registry, and the reports of team-shaped runs.

`plan_team` reads which flows serve a team from the flow registry in an activity, so
adding a flow changes the next run's team, never how a waiting run replays. The
quality-checks report merges every check's findings into one list, with links to the
checks' own reports; the composed report lists each step's outcome.
"""

from __future__ import annotations

import json
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, atomic_write
from activities.reports import FINDINGS
from activities.resources import WorkerResources
from workflows.composed.models import ComposedReportRequest
from workflows.quality_checks.models import QualityReportRequest
from workflows.registry import registry
from workflows.schemas import AgentSpec, TeamPlan, TeamPlanRequest


def plan_team(request: TeamPlanRequest) -> TeamPlan:
    """The agents of every built flow that serves `request.team`, and the planned
    flows that will. Quality checks name a member by its flow; other teams by role."""
    plan = TeamPlan()
    for flow in registry().members(request.team):
        assert flow.team is not None
        if not flow.built:
            plan.not_available.append(flow.name)
            continue
        role = flow.name if request.roles_by_flow else flow.team.role
        plan.agents.append(AgentSpec(role=role, workflow=flow.team.agent, params=request.params))
    return plan


class TeamActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="plan_team")
    async def plan_team(self, request: TeamPlanRequest) -> TeamPlan:
        return plan_team(request)

    @activity.defn(name="write_quality_report")
    async def write_quality_report(self, request: QualityReportRequest) -> dict[str, str]:
        findings = []
        lines = [f"# attune quality-checks: `{request.target}`", "", "| check | status | summary |"]
        lines.append("|---|---|---|")
        for role, result in request.team.agents.items():
            lines.append(f"| {role} | {result.status} | {result.summary} |")
            if result.report is not None:
                for finding in self.store.get(result.report, FINDINGS):
                    findings.append({"check": role, **finding.model_dump(mode="json")})
        for name in request.not_available:
            lines.append(f"| {name} | not available | not in the catalog yet |")
        reports = {
            role: r.data["report"] for role, r in request.team.agents.items() if "report" in r.data
        }
        lines += ["", "## Reports of the checks", ""]
        lines += [f"- {role}: `{path}`" for role, path in reports.items()]
        lines += ["", f"{len(findings)} findings in all; see report.json for the list.", ""]
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
            "findings": findings,
        }
        atomic_write(paths["json"], json.dumps(document, indent=2).encode())
        return {kind: str(path.absolute()) for kind, path in paths.items()}

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
        return {kind: str(path.absolute()) for kind, path in paths.items()}


def quality_worker_activities(resources: WorkerResources) -> list:
    teams = TeamActivities(resources.store)
    return [teams.write_quality_report]


def composed_worker_activities(resources: WorkerResources) -> list:
    teams = TeamActivities(resources.store)
    return [teams.write_composed_report]
