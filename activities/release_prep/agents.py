"""Release-prep agent activities: thin typed wrappers around activities.release_prep.

Each activity runs one plain check in a thread while heartbeating (a test suite can
take many minutes, and a dead worker must be noticed long before that), stores the
full outcome as a claim check and returns the small AgentResult pointing at it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore
from activities.heartbeats import heartbeating
from activities.release_prep import docs, health, testing, versioning
from activities.release_prep.commits import Commit
from activities.target import target_repository
from workflows.schemas import AgentInput, AgentResult

DEFAULT_TEST_TIMEOUT_S = 600
VERSION_MEMORY_KEY = "version"


def _target(agent: AgentInput) -> Path:
    return target_repository(agent.target)


def _run_key(agent: AgentInput) -> str:
    run_key = agent.params.get("run_key")
    if not isinstance(run_key, str) or not run_key:
        raise ApplicationError("agent params lack the run_key", non_retryable=True)
    return run_key


class ReleaseAgentActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    async def _agent(
        self,
        agent: AgentInput,
        check: Callable[[], BaseModel],
        summarize: Callable[[Any, str], AgentResult],
    ) -> AgentResult:
        run_key = _run_key(agent)
        started = datetime.now(UTC)
        outcome = await heartbeating(check)
        report = self.store.put(
            f"runs/{run_key}/agents/{agent.role}.json", outcome, TypeAdapter(type(outcome))
        )
        result = summarize(outcome, agent.role)
        return result.model_copy(
            update={"report": report, "started_at": started, "finished_at": datetime.now(UTC)}
        )

    @activity.defn(name="run_tests")
    async def run_tests(self, agent: AgentInput) -> AgentResult:
        timeout_s = int(agent.params.get("timeout_s", DEFAULT_TEST_TIMEOUT_S))
        tests_s = int(agent.params.get("test_timeout_s", timeout_s))
        test_cmd = agent.params.get("test_cmd") or None
        check = partial(
            testing.run_test_suite,
            _target(agent),
            tests_s,
            test_cmd,
            env_timeout_s=max(timeout_s - tests_s, 60),
        )
        return await self._agent(agent, check, testing.to_agent_result)

    @activity.defn(name="check_version")
    async def check_version(self, agent: AgentInput) -> AgentResult:
        check = partial(versioning.check_version, _target(agent))
        return await self._agent(agent, check, versioning.to_agent_result)

    @activity.defn(name="check_docs")
    async def check_docs(self, agent: AgentInput) -> AgentResult:
        target = _target(agent)

        def check() -> docs.DocsOutcome:
            version, commits = self._version_context(agent, target)
            return docs.check_docs(target, version, commits)

        return await self._agent(agent, check, docs.to_agent_result)

    @activity.defn(name="check_health")
    async def check_health(self, agent: AgentInput) -> AgentResult:
        check = partial(health.check_health, _target(agent))
        return await self._agent(agent, check, health.to_agent_result)

    def _version_context(self, agent: AgentInput, target: Path) -> tuple[str | None, list[Commit]]:
        """Version and commits from the version agent: its full report (commit bodies carry
        `BREAKING CHANGE:` footers), else its subject lines; without it, read them directly."""
        shared = agent.memory.get(VERSION_MEMORY_KEY)
        if shared is None:
            outcome = versioning.check_version(target)
            return outcome.version, outcome.commits
        upstream = AgentResult.model_validate(shared)
        version = upstream.data.get("version")
        if upstream.report is not None:
            stored = self.store.find(upstream.report.key, TypeAdapter(versioning.VersionOutcome))
            if stored is not None:
                return version, stored[0].commits
        subjects = upstream.data.get("commits", [])
        return version, [Commit(subject=subject) for subject in subjects]
