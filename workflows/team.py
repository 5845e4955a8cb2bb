"""Team: agents as child workflows, run by their dependency graph.

Independent agents run in parallel; an agent starts the moment everything it
depends on has finished, and receives those results (and anything stored under
those keys) from the team memory. A failing agent is reported and the others
finish; agents that depend on it are skipped, saying why.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from workflows.runs import combine, mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.errors import root_cause
    from workflows.schemas import (
        AgentInput,
        AgentResult,
        AgentSpec,
        MemoryEntry,
        TeamRequest,
        TeamResult,
        UsageMemo,
    )
    from workflows.wire import (
        AGENT,
        MEMORY_RETRIEVE_QUERY,
        MEMORY_STORE_SIGNAL,
        TEAM,
    )

AGENT_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=2))


def waves(agents: list[AgentSpec]) -> list[list[str]]:
    """Topological levels of the dependency graph; rejects unknown roles and cycles."""
    roles = {a.role: a for a in agents}
    if len(roles) != len(agents):
        raise ApplicationError("two agents share a role", non_retryable=True)
    for agent in agents:
        for dep in agent.depends_on:
            if dep not in roles:
                raise ApplicationError(
                    f"agent {agent.role!r} depends on unknown role {dep!r}", non_retryable=True
                )
    placed: dict[str, int] = {}
    levels: list[list[str]] = []
    while len(placed) < len(agents):
        ready = sorted(
            a.role
            for a in agents
            if a.role not in placed and all(d in placed for d in a.depends_on)
        )
        if not ready:
            stuck = sorted(set(roles) - set(placed))
            raise ApplicationError(f"dependency cycle among {stuck}", non_retryable=True)
        for role in ready:
            placed[role] = len(levels)
        levels.append(ready)
    return levels


@workflow.defn(name=TEAM)
class TeamWorkflow:
    @workflow.init
    def __init__(self, request: TeamRequest) -> None:
        self._memory: list[MemoryEntry] = []
        self._results: dict[str, AgentResult] = {}

    @workflow.signal(name=MEMORY_STORE_SIGNAL)
    def memory_store(self, entry: MemoryEntry) -> None:
        self._memory.append(entry.model_copy(update={"at": entry.at or workflow.now()}))

    @workflow.query(name=MEMORY_RETRIEVE_QUERY)
    def memory_retrieve(self, key: str | None = None) -> list[MemoryEntry]:
        return [e for e in self._memory if key is None or e.key == key]

    @workflow.run
    async def run(self, request: TeamRequest) -> TeamResult:
        marks = mark_run()
        levels = waves(request.agents)
        await asyncio.gather(*(self._run_agent(agent, request) for agent in request.agents))
        agents = {a.role: self._results[a.role] for a in request.agents}
        usage = None
        if marks:
            usage = combine(a.usage for a in agents.values())
            save_usage(usage)
        return TeamResult(
            name=request.name, agents=agents, waves=levels, memory=self._memory, usage=usage
        )

    def _inputs(self, agent: AgentSpec) -> dict:
        """Results of the agents this one depends on, and what was stored under them."""
        memory: dict = {}
        for entry in self._memory:
            if entry.key in agent.depends_on or entry.key.split(".")[0] in agent.depends_on:
                memory[entry.key] = entry.value
        return memory

    async def _run_agent(self, agent: AgentSpec, request: TeamRequest) -> None:
        await workflow.wait_condition(lambda: all(d in self._results for d in agent.depends_on))
        failed = [d for d in agent.depends_on if self._results[d].status != "ok"]
        started = workflow.now()
        if failed:
            result = AgentResult(
                role=agent.role,
                status="skipped",
                summary=f"skipped: depends on {', '.join(failed)}, which did not succeed",
            )
        else:
            try:
                result = await workflow.execute_child_workflow(
                    agent.workflow,
                    AgentInput(
                        role=agent.role,
                        target=request.target,
                        params=agent.params,
                        memory=self._inputs(agent),
                        out_dir=request.out_dir,
                    ),
                    id=f"{workflow.info().workflow_id}-{agent.role}",
                    result_type=AgentResult,
                    static_summary=f"{agent.role} agent of {request.name}",
                )
            except ChildWorkflowError as err:
                result = AgentResult(role=agent.role, status="failed", summary=root_cause(err))
        result = result.model_copy(
            update={"started_at": result.started_at or started, "finished_at": workflow.now()}
        )
        self._results[agent.role] = result
        self._memory.append(
            MemoryEntry(
                key=agent.role,
                value=result.model_dump(mode="json"),
                author=agent.role,
                at=workflow.now(),
            )
        )


@workflow.defn(name=AGENT)
class AgentWorkflow:
    """An agent whose work is one activity, named by `params["activity"]`."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        if mark_run():
            save_usage(UsageMemo())
        name = agent.params["activity"]
        timeout = int(agent.params.get("timeout_s", 600))
        result = await workflow.execute_activity(
            name,
            agent,
            result_type=AgentResult,
            start_to_close_timeout=timedelta(seconds=timeout + 120),
            heartbeat_timeout=timedelta(seconds=60),
            retry_policy=AGENT_RETRY,
            summary=f"{agent.role}: {name}",
        )
        return result.model_copy(update={"started_at": workflow.info().start_time})
