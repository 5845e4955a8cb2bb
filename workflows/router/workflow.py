"""Router: a goal in plain words runs the flow(s) that serve it (Socratic routing).

The classifier runs in an activity (`decide_route`), so its vocabulary, which comes
from the flow registry, can grow without changing how a waiting run replays. When
the goal is unclear the Router asks: Haiku first when a key exists, then a person,
through the `question` query and the `answer` signal (`AttuneAwaiting=answer`).
Runs started before that patch classify inline, as they did when recorded.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ChildWorkflowError

from workflows.runs import combine, mark_run, save_usage
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.routing.activities import ROUTE_SCHEMA, ROUTING_KIND, RouterActivities
    from activities.routing.classifier import (
        MAX_QUESTIONS,
        apply_llm_answer,
        decide,
        describe,
        refine,
        settle,
    )
    from workflows.errors import root_cause
    from workflows.registry import registry
    from workflows.router.models import (
        RouteDecision,
        RouteOutcome,
        RoutePrompt,
        RouteRan,
        RouteRequest,
        RouteResult,
        RouteStep,
    )
    from workflows.schemas import ArtifactRef, LLMTask
    from workflows.tiers import start_tier
    from workflows.wire import (
        ANSWER_SIGNAL,
        ATTUNE_AWAITING,
        ATTUNE_STAGE,
        ATTUNE_TARGET,
        ATTUNE_WORKFLOW,
        QUESTION_QUERY,
        ROUTER,
    )

RETRY = RetryPolicy(maximum_attempts=5)
CLASSIFY_IN_ACTIVITY = "classify-in-activity"
"""Patch: routing decisions come from the `decide_route` activity."""


@workflow.defn(name=ROUTER)
class RouterWorkflow:
    @workflow.init
    def __init__(self, request: RouteRequest) -> None:
        self._asked: RouteDecision | None = None
        self._answers: list[str] = []

    @workflow.query(name=QUESTION_QUERY)
    def question(self) -> dict[str, Any] | None:
        if self._asked is None:
            return None
        return {"question": self._asked.question, "options": self._asked.options}

    @workflow.signal(name=ANSWER_SIGNAL)
    def answer(self, text: str) -> None:
        if self._asked is not None:
            self._answers.append(text)

    @workflow.run
    async def run(self, request: RouteRequest) -> RouteResult:
        workflow.upsert_search_attributes([ATTUNE_WORKFLOW.value_set("router")])
        self._in_activity = workflow.patched(CLASSIFY_IN_ACTIVITY)
        self._marks = mark_run()
        self._stage("classify")
        decision, text = await self._decide(
            RouteStep(op="decide", goal=request.goal, answers=request.answers)
        )
        for number in range(1, MAX_QUESTIONS + 1):
            if decision.question is None:
                break
            if not decision.workflows and request.llm_available:
                decision = await self._ask_llm(request, decision, number)
                if decision.question is None:
                    break
            reply = await self._ask_person(decision, request.answer_timeout_s)
            if reply is None:
                self._stage("done")
                return RouteResult(decision=decision, message="no answer came; nothing ran")
            decision, text = await self._decide(
                RouteStep(op="refine", decision=decision, text=text, reply=reply)
            )
        if decision.question is not None:
            decision, text = await self._decide(
                RouteStep(op="settle", decision=decision, text=text)
            )
        if not decision.workflows:
            self._stage("done")
            return RouteResult(decision=decision, message=await self._describe(decision, []))
        self._stage("run")
        built = {f.name for f in registry().built()}
        runnable = [w for w in decision.workflows if w in built]
        ran = list(await asyncio.gather(*(self._run_child(w, decision, request) for w in runnable)))
        self._stage("done")
        message = await self._describe(decision, ran)
        usage = None
        if self._marks:
            usage = combine(r.usage for r in ran)
            save_usage(usage)
        return RouteResult(decision=decision, ran=ran, message=message, usage=usage)

    async def _decide(self, step: RouteStep) -> tuple[RouteDecision, str]:
        if self._in_activity:
            result = await workflow.execute_activity_method(
                RouterActivities.decide_route,
                step,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
                summary=f"Routing: {step.op}",
            )
            return result.decision, result.text
        return _inline_step(step)

    async def _describe(self, decision: RouteDecision, ran: list[RouteRan]) -> str:
        if not self._in_activity:
            return describe(decision, ran)
        return await workflow.execute_activity_method(
            RouterActivities.describe_route,
            RouteOutcome(decision=decision, ran=ran),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Say what ran",
        )

    async def _ask_person(self, decision: RouteDecision, timeout_s: int) -> str | None:
        self._asked = decision
        seen = len(self._answers)
        self._stage("awaiting-answer", awaiting=True)
        try:
            await workflow.wait_condition(
                lambda: len(self._answers) > seen, timeout=timedelta(seconds=timeout_s)
            )
        except TimeoutError:
            return None
        finally:
            self._asked = None
            self._stage("classify", awaiting=False)
        return self._answers[seen]

    async def _ask_llm(
        self, request: RouteRequest, decision: RouteDecision, number: int
    ) -> RouteDecision:
        """Haiku's pick when it is sure; its question, or ours, when it is not or fails."""
        self._stage("ask-llm")
        info = workflow.info()
        run_key = f"{info.workflow_id}/{info.run_id}"
        prompt = await workflow.execute_activity_method(
            RouterActivities.write_route_prompt,
            RoutePrompt(
                run_key=run_key,
                number=number,
                goal=request.goal,
                answers=[*request.answers, *self._answers],
                candidates=decision.options,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Write the routing prompt",
        )
        try:
            state = await workflow.execute_child_workflow(
                TierEscalationWorkflow.run,
                _llm_task(run_key, number, prompt),
                id=f"{info.workflow_id}-routing-{number}",
                static_summary=f"route: {request.goal[:80]}",
            )
        except ChildWorkflowError:
            return decision
        answer = await workflow.execute_activity_method(
            RouterActivities.read_route_answer,
            state,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Read the routing answer",
        )
        if not self._in_activity:
            return apply_llm_answer(decision, answer)
        decided, _ = await self._decide(RouteStep(op="answer", decision=decision, llm=answer))
        return decided

    async def _run_child(
        self, name: str, decision: RouteDecision, request: RouteRequest
    ) -> RouteRan:
        flow = registry().flows[name]
        target = posixpath.normpath(
            posixpath.join(request.path, str(decision.params.get("path", ".")))
        )
        fields = flow.request.model_fields
        payload = {k: v for k, v in decision.params.items() if k in fields and k != "target"}
        child_request = flow.request.model_validate({**payload, "target": target})
        slug = re.sub(r"[^a-z0-9]+", "-", posixpath.basename(target).lower()).strip("-")
        child_id = f"{name}-{(slug or 'root')[:40].rstrip('-')}-{workflow.uuid4().hex[:8]}"
        try:
            result = await workflow.execute_child_workflow(
                name,
                child_request,
                id=child_id,
                result_type=flow.result,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(ATTUNE_WORKFLOW, name),
                        SearchAttributePair(ATTUNE_TARGET, target),
                    ]
                ),
                static_summary=f"{name} of {target}",
            )
        except ChildWorkflowError as err:
            return RouteRan(
                workflow=name, workflow_id=child_id, status=f"failed: {root_cause(err)}"
            )
        return RouteRan(
            workflow=name,
            workflow_id=child_id,
            status=getattr(result, "status", "completed"),
            usage=getattr(result, "usage", None),
        )

    def _stage(self, stage: str, awaiting: bool | None = None) -> None:
        updates = [ATTUNE_STAGE.value_set(stage)]
        if awaiting:
            updates.append(ATTUNE_AWAITING.value_set("answer"))
        elif awaiting is not None:
            updates.append(ATTUNE_AWAITING.value_unset())
        workflow.upsert_search_attributes(updates)


def _llm_task(run_key: str, number: int, prompt: ArtifactRef) -> LLMTask:
    return LLMTask(
        run_key=run_key,
        task_id=f"routing-{number}",
        kind=ROUTING_KIND,
        prompt=prompt,
        output_schema=ROUTE_SCHEMA,
        start_tier=start_tier(ROUTING_KIND),
        ceiling="sonnet",
        max_tokens=512,
    )


def _inline_step(step: RouteStep) -> tuple[RouteDecision, str]:
    """How runs started before CLASSIFY_IN_ACTIVITY decided: in workflow code."""
    if step.op == "decide":
        text = ". ".join([step.goal, *step.answers])
        return decide(step.goal, step.answers), text
    assert step.decision is not None
    if step.op == "refine":
        text, decision = refine(step.decision, step.text, step.reply)
        return decision, text
    return settle(step.decision), step.text
