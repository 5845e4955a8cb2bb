"""dependency-check for the teams: a full run as a child, summed up as an agent's result.

pr-review starts `DependencyCheckAgent` when a change touches a dependency file;
release-prep's security agent runs the same child beside its audit (`dependency_child`).
"""

from __future__ import annotations

from temporalio import workflow

from workflows.runs import mark_run, save_usage

with workflow.unsafe.imports_passed_through():
    from workflows.dependency_check.models import DependencyCheckRequest, DependencyCheckResult
    from workflows.schemas import AgentInput, AgentResult, UsageMemo
    from workflows.wire import DEPENDENCY_CHECK_AGENT


async def dependency_child(agent: AgentInput, suffix: str) -> DependencyCheckResult:
    """A dependency-check of the agent's target, its reports under `<out_dir>/<suffix>`."""
    request = DependencyCheckRequest(
        **agent.request_params(DependencyCheckRequest),
        target=agent.target,
        out_dir=f"{agent.out_dir}/{suffix}" if agent.out_dir else None,
    )
    return await workflow.execute_child_workflow(
        "dependency-check",
        request,
        id=f"{workflow.info().workflow_id}-{suffix}",
        result_type=DependencyCheckResult,
        static_summary=f"dependency-check of {agent.target}",
    )


def database_warnings(result: DependencyCheckResult, max_age_days: int = 30) -> list[str]:
    """What a team should hear about the advisory database the check used."""
    database = result.database
    if database.status != "ok":
        return [
            "dependency-check: no advisory database, vulnerabilities not checked "
            "(attune advisories update|import)"
        ]
    if database.age_days is not None and database.age_days > max_age_days:
        return [f"dependency-check: the advisory database is {database.age_days:.0f} days old"]
    return []


def summary_of(result: DependencyCheckResult) -> str:
    return (
        f"{result.dependencies} dependency entries, {result.vulnerable} vulnerable or able to "
        f"resolve to a vulnerable version; {result.summary.findings_total} findings"
    )


@workflow.defn(name=DEPENDENCY_CHECK_AGENT)
class DependencyCheckAgentWorkflow:
    """The dependency agent: a full dependency-check as a child workflow."""

    @workflow.run
    async def run(self, agent: AgentInput) -> AgentResult:
        marks = mark_run()
        result = await dependency_child(agent, "dependencies")
        if marks:
            save_usage(UsageMemo())
        return AgentResult(
            role=agent.role,
            status="ok",
            summary=summary_of(result),
            warnings=database_warnings(result),
            data={
                "counts": result.summary.counts,
                "risk_score": result.summary.risk_score,
                "vulnerable": result.vulnerable,
                "database": result.database.model_dump(mode="json"),
                "workflow_id": result.workflow_id,
                "report": result.artifacts.get("json"),
            },
            report=result.findings,
            usage=UsageMemo() if marks else None,
        )
