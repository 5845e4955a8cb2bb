"""Teams made from the registry.

`plan_team` reads which flows serve a team from the flow registry in an activity, so
adding a flow changes the next run's team, never how a waiting run replays.
"""

from __future__ import annotations

from temporalio import activity

from activities.artifacts import ArtifactStore
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
