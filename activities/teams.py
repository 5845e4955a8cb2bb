"""Teams made from the registry.

`plan_team` reads which flows serve a team from the flow registry in an activity, so
adding a flow changes the next run's team, never how a waiting run replays.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio import activity

from activities.artifacts import ArtifactStore, read_location
from workflows.registry import registry
from workflows.schemas import AgentSpec, TeamPlan, TeamPlanRequest, TeamResult


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


def team_skipped_and_warnings(
    team: TeamResult, reports: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A team report's `skipped` and `warnings`: the agents read the same target, so each
    skipped file and warning of their reports (`reports`: role to report.json) once, then
    the agents' own warnings."""
    skipped: dict[str, dict[str, Any]] = {}
    warnings: dict[tuple, dict[str, Any]] = {}
    for path in reports.values():
        try:
            document = json.loads(read_location(path))
        except (OSError, ValueError):
            continue
        for skip in document.get("skipped", []):
            skipped.setdefault(skip["path"], skip)
        for warning in document.get("warnings", []):
            key = (warning.get("code"), warning.get("file"), warning.get("line"))
            warnings.setdefault(key, warning)
    for role, result in team.agents.items():
        for text in result.warnings:
            warning = {"code": "agent-warning", "message": f"{role}: {text}"}
            warnings.setdefault(("agent-warning", role, text), warning)
    return sorted(skipped.values(), key=lambda s: s["path"]), list(warnings.values())


class TeamActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="plan_team")
    async def plan_team(self, request: TeamPlanRequest) -> TeamPlan:
        return plan_team(request)
