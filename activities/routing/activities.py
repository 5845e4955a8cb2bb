"""The Router's activities: routing decisions from the classifier, and the prompt and
answer of a routing question put to Claude (through the artifact store, like every
LLM task)."""

from __future__ import annotations

from pydantic import TypeAdapter
from temporalio import activity

from activities.artifacts import ArtifactStore
from activities.llm.outputs import RouteAnswer, parse_answer, schema_instructions
from activities.routing.classifier import describe, routes, step
from workflows.router.models import RouteOutcome, RoutePrompt, RouteStep, RouteStepResult
from workflows.schemas import ArtifactRef, EscalationState, LLMPrompt

ROUTE_SCHEMA = "route"
ROUTING_KIND = "routing"
PROMPT = TypeAdapter(LLMPrompt)


def route_instructions() -> str:
    listed = "\n".join(f"- {name}: {text}" for name, text in routes().descriptions.items())
    return (
        "You route a developer's goal to attune workflows. Pick route names only from "
        f"this list:\n{listed}\n"
        "Answer with the route(s) that serve the goal, best first. When the goal is too "
        "vague to choose, leave `workflows` empty and ask one short narrowing `question` "
        "whose `options` are route names.\n"
        f"{schema_instructions(ROUTE_SCHEMA)}"
    )


class RouterActivities:
    """Prompt in, answer out, through the artifact store like every LLM task."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn
    async def write_route_prompt(self, request: RoutePrompt) -> ArtifactRef:
        said = "\n".join(f"- {a}" for a in request.answers) or "(nothing yet)"
        user = (
            f"Goal: {request.goal}\nFollow-up answers:\n{said}\n"
            f"A keyword classifier hesitated between: {', '.join(request.candidates) or 'none'}"
        )
        prompt = LLMPrompt(system=route_instructions(), user=user)
        key = f"runs/{request.run_key}/routing-{request.number}.json"
        return self.store.put(key, prompt, PROMPT)

    @activity.defn
    async def read_route_answer(self, state: EscalationState) -> RouteAnswer | None:
        if state.answer is None:
            return None
        raw = self.store.read_json(state.answer)
        parsed = parse_answer(raw["text"], ROUTE_SCHEMA)
        return None if parsed.answer is None else RouteAnswer.model_validate(parsed.answer)

    @activity.defn(name="decide_route")
    async def decide_route(self, request: RouteStep) -> RouteStepResult:
        return step(request)

    @activity.defn(name="describe_route")
    async def describe_route(self, outcome: RouteOutcome) -> str:
        return describe(outcome.decision, outcome.ran)
