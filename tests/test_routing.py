"""Socratic routing: plain-words goals to routes, and the Router workflow end to end.

The classifier table holds the product seed's phrasings plus paraphrases, light typos
and goals that carry parameters. The workflow tests run the Router on the session dev
server with its own worker and task queue, since the shared worker does not know it.
"""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.artifacts import ArtifactStore
from activities.llm.claude import ClaudeActivities
from activities.llm.outputs import RouteAnswer
from activities.llm.pricing import load_prices
from activities.llm.stage import LLMStageActivities
from activities.routing.activities import RouterActivities
from activities.routing.classifier import classify, decide
from activities.security_audit.activities import SecurityActivities
from tests.conftest import SAMPLE
from tests.fake_anthropic import FakeAnthropic
from tests.waiting import until
from workflows.registry import registry
from workflows.router.models import RouteRequest, RouteResult
from workflows.router.workflow import RouterWorkflow
from workflows.security_audit.workflow import SecurityAuditWorkflow
from workflows.tier_escalation import TierEscalationWorkflow
from workflows.wire import (
    ANSWER_SIGNAL,
    ATTUNE_AWAITING,
    ATTUNE_WORKFLOW,
    LLM_TASK_QUEUE,
    QUESTION_QUERY,
)

ASKS = "?"
"""Expected route for goals that must be answered with a narrowing question."""

SEED = [
    ("Prepare a release", "release-prep", {}),
    ("Review this code for security", "security-audit", {}),
    ("Generate tests for this module", "test-generation", {}),
    ("Check performance", "performance-audit", {}),
    ("What's my cost usage?", "telemetry", {}),
    ("Build me an agent team", "compose", {}),
    ("Run all quality checks", "quality-checks", {}),
]
PHRASINGS = [
    ("audit ./src for security", "security-audit", {"path": "./src"}),
    ("scan src/app for vulnerabilities", "security-audit", {"path": "src/app"}),
    ("find hardcoded secrets in my repo", "security-audit", {}),
    ("is this code safe from SQL injection?", "security-audit", {}),
    ("securty audit pls", "security-audit", {}),
    ("run bandit over /srv/api", "security-audit", {"path": "/srv/api", "bandit": True}),
    ("get ready to ship v2", "release-prep", {}),
    ("cut a release of ./pkg", "release-prep", {"path": "./pkg"}),
    ("we're about to publish a new version, go/no-go?", "release-prep", {}),
    ("relase prep", "release-prep", {}),
    ("release it with a budget of $2", "release-prep", {"max_cost_usd": 2.0}),
    ("lint everything", "quality-checks", {}),
    ("run ruff and mypy", "quality-checks", {}),
    ("check code quality", "quality-checks", {}),
    ("write unit tests for utils.py", "test-generation", {"path": "utils.py"}),
    ("improve test coverage", "test-generation", {}),
    ("why is my app so slow", "performance-audit", {}),
    ("find performance bottlenecks", "performance-audit", {}),
    ("profile the hot path", "performance-audit", {}),
    ("perfomance review", "performance-audit", {}),
    ("predict where bugs are likely", "bug-predict", {}),
    ("which files are most error prone", "bug-predict", {}),
    ("review my code", "code-review", {}),
    ("give me feedback on this code", "code-review", {}),
    ("write documentation for the API", "document-gen", {}),
    ("add docstrings", "document-gen", {}),
    ("plan a refactor of the parser", "refactor-plan", {}),
    ("reduce technical debt", "refactor-plan", {}),
    ("research event sourcing and synthesise the options", "research-synthesis", {}),
    ("are my dependencies outdated?", "dependency-check", {}),
    ("review pull request 42", "pr-review", {}),
    ("improve SEO of the landing page", "seo-optimization", {}),
    ("how much did I spend on Claude this week", "telemetry", {}),
    ("show token usage", "telemetry", {}),
    ("compose a custom workflow", "compose", {}),
    ("design a multi-agent crew for triage", "compose", {}),
    ("show the dashboard", "dashboard", {}),
    ("what's running right now?", "dashboard", {}),
    ("any pending approvals?", "dashboard", {}),
    ("is my API key set up?", "auth", {}),
    ("which model am I using", "auth", {}),
    ("get version 2.1 out the door", "release-prep", {}),
    ("cut v3.0", "release-prep", {}),
    ("ship it", "release-prep", {}),
    ("tag and ship 1.4", "release-prep", {}),
    ("break up this class", "refactor-plan", {}),
    ("this class does too much, split it up", "refactor-plan", {}),
    ("check requirements.txt for known CVEs", "dependency-check", {"path": "requirements.txt"}),
    ("are there vulnerable packages in our lock file?", "dependency-check", {}),
    ("make tests faster", ASKS, {}),
    ("improve my code", ASKS, {}),
    ("hello", ASKS, {}),
]


@pytest.mark.parametrize(("goal", "route", "params"), SEED + PHRASINGS)
def test_classify(goal: str, route: str, params: dict[str, Any]) -> None:
    decision = classify(goal)
    assert decision.params == params, decision
    if route == ASKS:
        assert decision.workflows == [] and decision.question and decision.options, decision
        return
    assert decision.workflows == [route], decision
    assert decision.missing == [], decision
    flow = registry().get(route)
    if flow is not None and flow.target == "repository" and "path" not in params:
        assert decision.question and "repository" in decision.question, decision
    else:
        assert decision.question is None, decision
        assert decision.confidence >= 0.6


@pytest.mark.parametrize(
    ("flow", "goal"),
    [(flow.name, goal) for flow in registry() for goal in flow.examples],
)
def test_every_flow_is_found_by_its_own_examples(flow: str, goal: str) -> None:
    """The vocabulary comes from the registry: each flow's example goals reach it."""
    assert classify(goal).workflows[:1] == [flow]


def test_a_planned_flow_says_so_and_offers_the_nearest_built_one(sample_plugin: None) -> None:
    planned = [flow for flow in registry() if flow.planned and flow.examples]
    assert planned, "the sample plugin announces a planned flow"
    for flow in planned:
        decision = classify(flow.examples[0])
        assert [(m.workflow, m.nearest) for m in decision.missing] == [(flow.name, flow.nearest)]
        if flow.nearest is not None:
            assert registry().flows[flow.nearest].built


def test_table_is_large_enough() -> None:
    assert len(SEED + PHRASINGS) >= 40


def test_two_clear_goals_route_to_both() -> None:
    decision = classify("audit security and performance of ./src")
    assert decision.workflows == ["security-audit", "performance-audit"]
    assert decision.params == {"path": "./src"}
    assert decision.missing == []


def test_answers_narrow_the_decision() -> None:
    ambiguous = classify("make tests faster")
    assert set(ambiguous.options) >= {"performance-audit", "test-generation"}
    assert decide("make tests faster", ["performance-audit"]).workflows == ["performance-audit"]
    number = ambiguous.options.index("test-generation") + 1
    assert decide("make tests faster", [str(number)]).workflows == ["test-generation"]
    assert decide("improve my code", ["I mean its security"]).workflows == ["security-audit"]
    release = decide("Prepare a release", ["."])
    assert (release.workflows, release.params, release.question) == (
        ["release-prep"],
        {"path": "."},
        None,
    )


def test_route_answer_is_a_valid_output_schema() -> None:
    schema = RouteAnswer.model_json_schema()
    assert {"workflows", "confidence"} <= set(schema["required"])


@pytest.fixture
async def router_queue(client: Client) -> AsyncIterator[str]:
    """A worker that knows the Router, on a queue of its own, and one for Claude calls
    on theirs."""
    task_queue = f"router-test-{uuid.uuid4().hex[:8]}"
    store = ArtifactStore()
    with ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("forkserver")
    ) as pool:
        security = SecurityActivities(store, pool)
        claude = ClaudeActivities(store, load_prices())
        llm_stage = LLMStageActivities(store)
        router = RouterActivities(store)
        async with (
            Worker(
                client,
                task_queue=task_queue,
                workflows=[RouterWorkflow, SecurityAuditWorkflow, TierEscalationWorkflow],
                activities=[
                    security.discover_files,
                    security.scan_batch,
                    security.trace_taint,
                    security.build_audit_report,
                    claude.llm_config,
                    claude.claude_call,
                    llm_stage.plan_triage,
                    llm_stage.plan_remediation,
                    router.write_route_prompt,
                    router.read_route_answer,
                    router.decide_route,
                    router.describe_route,
                ],
            ),
            Worker(client, task_queue=LLM_TASK_QUEUE, activities=[claude.claude_call]),
        ):
            yield task_queue


async def start_router(client: Client, task_queue: str, request: RouteRequest) -> WorkflowHandle:
    return await client.start_workflow(
        RouterWorkflow.run,
        request,
        id=f"router-test-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        result_type=RouteResult,
    )


async def children(client: Client, parent: str) -> list[tuple[str, str | None]]:
    query = f'ParentWorkflowId = "{parent}"'
    return [
        (execution.workflow_type, execution.typed_search_attributes.get(ATTUNE_WORKFLOW))
        async for execution in client.list_workflows(query)
    ]


async def waiting_question(handle: WorkflowHandle) -> dict[str, Any]:
    async def asked() -> dict[str, Any] | None:
        return await handle.query(QUESTION_QUERY, result_type=dict[str, Any] | None)

    return await until(asked, "the Router's question")


async def test_clear_goal_runs_security_audit_as_a_child(client: Client, router_queue: str) -> None:
    request = RouteRequest(
        goal="audit ./vulnerable_app for security", path=str(SAMPLE.parent), llm_available=False
    )
    handle = await start_router(client, router_queue, request)
    result = await handle.result()
    assert result.decision.workflows == ["security-audit"]
    assert result.decision.params == {"path": "./vulnerable_app"}
    (ran,) = result.ran
    assert (ran.workflow, ran.status) == ("security-audit", "completed")
    assert ran.workflow_id.startswith("security-audit-vulnerable-app-")
    assert "security-audit completed" in result.message
    assert await children(client, handle.id) == [("security-audit", "security-audit")]
    history = await handle.fetch_history()
    scheduled = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled == ["decide_route", "describe_route"], "routing runs in activities"


async def test_ambiguous_goal_asks_and_an_answer_resolves_it(
    client: Client, router_queue: str, sample_plugin: None
) -> None:
    request = RouteRequest(goal="make tests faster", path=str(SAMPLE), llm_available=False)
    handle = await start_router(client, router_queue, request)
    asked = await waiting_question(handle)
    assert "performance-audit" in asked["options"] and asked["question"].startswith("Which")
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_AWAITING) == "answer"
    await handle.signal(ANSWER_SIGNAL, "sample-translate")
    result = await handle.result()
    assert result.decision.workflows == ["sample-translate"]
    assert result.ran == []
    assert result.message == "sample-translate is not available yet; nearest: document-gen"
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_AWAITING) is None
    assert await handle.query(QUESTION_QUERY, result_type=dict[str, Any] | None) is None


async def test_missing_workflow_says_so_and_runs_nothing(
    client: Client, router_queue: str, sample_plugin: None
) -> None:
    goal = "translate the docs to French"
    request = RouteRequest(goal=goal, path=str(SAMPLE), llm_available=False)
    handle = await start_router(client, router_queue, request)
    result = await handle.result()
    assert result.ran == []
    assert result.message == "sample-translate is not available yet; nearest: document-gen"
    assert await children(client, handle.id) == []


async def test_haiku_routes_an_ambiguous_goal_when_a_key_is_set(
    client: Client,
    router_queue: str,
    fake_anthropic: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
    sample_plugin: None,
) -> None:
    answer = {"workflows": ["sample-translate"], "question": None, "options": [], "confidence": 0.9}
    fake_anthropic.ok(json.dumps(answer))
    request = RouteRequest(goal="improve my code", path=str(SAMPLE), llm_available=True)
    result = await (await start_router(client, router_queue, request)).result()
    assert result.decision.workflows == ["sample-translate"]
    assert result.decision.reason == "chosen by Claude"
    assert result.message == "sample-translate is not available yet; nearest: document-gen"
    (call,) = fake_anthropic.messages
    assert "claude-haiku" in call.body["model"] and "improve my code" in json.dumps(call.body)
