"""User-composed workflows: a spec lists steps, the Composed workflow runs them as a graph.

Pure and free of I/O so the Composed workflow can re-validate a spec it receives: the
starter reads and locates errors (`starter/specs.py`), this module only judges data.
Cross-step problems are raised with the location of the offending key, so the starter
can point at the exact line of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from workflows.registry import Flow, registry
from workflows.schemas import Tier
from workflows.tiers import rank, start_tier

STEP_KINDS = ("workflow", "llm", "approval")
ANSWER_SCHEMA = "answer"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
DURATION = re.compile(r"(\d+)([dhms])")
DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}

StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def parse_duration(value: Any) -> Any:
    """Specs say "3d" or "1h30m"; the wire carries seconds, so both must validate."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not re.fullmatch(rf"(?:{DURATION.pattern})+", value):
        raise _error(
            "spec_duration",
            f"invalid duration {value!r}: use a number with a unit, e.g. 3d, 12h, 30m, 90s",
        )
    return sum(int(n) * DURATION_UNITS[unit] for n, unit in DURATION.findall(value))


Seconds = Annotated[int, BeforeValidator(parse_duration), Field(gt=0)]


def _built() -> dict[str, Flow]:
    return {flow.name: flow for flow in registry().listed()}


def _known_workflows(info: ValidationInfo) -> set[str] | None:
    """None without a context: the worker re-validating a spec cannot see plugin names."""
    if not isinstance(info.context, Mapping) or "workflows" not in info.context:
        return None
    return set(_built()) | set(info.context["workflows"])


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: StepId
    role: str | None = Field(default=None, description="Display name; defaults to the id")
    depends_on: list[StepId] = Field(default_factory=list)


class WorkflowStepSpec(_Step):
    kind: Literal["workflow"]
    workflow: str = Field(description="A catalog workflow name (built-in or from a plugin)")
    params: dict[str, Any] = Field(default_factory=dict)
    target: str | None = Field(default=None, description="Relative to the run's target")

    @field_validator("workflow")
    @classmethod
    def _workflow_exists(cls, value: str, info: ValidationInfo) -> str:
        known = _known_workflows(info)
        if known is not None and value not in known:
            raise _error(
                "spec_unknown_workflow",
                f"unknown workflow {value!r} (known: {', '.join(sorted(known))})",
            )
        return value

    @field_validator("target")
    @classmethod
    def _target_inside_run_target(cls, value: str | None) -> str | None:
        """A spec is shared between projects: it may narrow the run's target, never leave it."""
        if value is not None and (
            value.startswith(("/", "\\")) or ".." in PurePosixPath(value).parts
        ):
            raise _error(
                "spec_target",
                f"target {value!r} must be a path inside the run's target (relative, no '..')",
            )
        return value

    @model_validator(mode="after")
    def _params_fit_request(self) -> WorkflowStepSpec:
        """Bad params would otherwise surface only when the step starts, maybe days in."""
        flow = _built().get(self.workflow)
        if flow is None or flow.request is None:
            return self
        if "target" in self.params:
            _raise([(("params", "target"), "spec_params", "set the step's `target`, not a param")])
        try:
            flow.request.model_validate({**self.params, "target": "."})
        except ValidationError as exc:
            _raise(
                [
                    (
                        ("params", *err["loc"]),
                        "spec_params",
                        f"{err['msg']} (a param of {self.workflow})",
                    )
                    for err in exc.errors()
                ]
            )
        return self


class LLMStepSpec(_Step):
    kind: Literal["llm"]
    prompt: str = Field(min_length=1, description="`{step_id}` is replaced by that step's result")
    output_schema: str = ANSWER_SCHEMA
    tier: Literal[Tier, "auto"] = Field(
        default="auto", description="Start tier; auto = the routing policy for `task`"
    )
    task: str = Field(default="analysis", description="Task kind the routing policy reads")
    ceiling: Tier = "opus"
    min_confidence: float = Field(default=0.7, ge=0, le=1)
    max_cost_usd: float | None = Field(default=None, ge=0)

    @field_validator("output_schema")
    @classmethod
    def _schema_exists(cls, value: str) -> str:
        # Imported here so workflow code importing this module stays light.
        from activities.llm.outputs import OUTPUT_SCHEMAS

        known = {*OUTPUT_SCHEMAS, ANSWER_SCHEMA}
        if value not in known:
            raise _error(
                "spec_unknown_output_schema",
                f"unknown output schema {value!r} (known: {', '.join(sorted(known))})",
            )
        return value

    @field_validator("ceiling")
    @classmethod
    def _ceiling_above_tier(cls, value: Tier, info: ValidationInfo) -> Tier:
        tier = info.data.get("tier")
        if tier not in (None, "auto") and rank(tier) > rank(value):
            raise _error(
                "spec_ceiling",
                f"ceiling {value!r} is below the start tier {tier!r}",
            )
        return value

    def initial_tier(self) -> Tier:
        """`auto` follows the routing policy, but never above the step's ceiling."""
        tier = start_tier(self.task) if self.tier == "auto" else self.tier
        return tier if rank(tier) <= rank(self.ceiling) else self.ceiling


class ApprovalStepSpec(_Step):
    kind: Literal["approval"]
    message: str = Field(min_length=1)
    timeout: Seconds = Field(
        default=7 * 86_400, description='Seconds; specs may write "3d", "12h", "30m", "90s"'
    )


WorkflowStep = Annotated[
    WorkflowStepSpec | LLMStepSpec | ApprovalStepSpec, Field(discriminator="kind")
]


class WorkflowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)
    description: str = ""
    steps: list[WorkflowStep] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_is_free(cls, value: str, info: ValidationInfo) -> str:
        """Runs are looked up by name; a spec shadowing a catalog workflow would be ambiguous."""
        if value in (_known_workflows(info) or set(_built())):
            raise _error(
                "spec_name_taken",
                f"name {value!r} is already a catalog workflow",
            )
        return value

    @model_validator(mode="after")
    def _graph_is_sound(self) -> WorkflowSpec:
        _raise(_id_problems(self.steps))
        _raise(_cycle_problems(self.steps))
        _raise(_placeholder_problems(self.steps))
        return self


def _error(kind: str, message: str) -> PydanticCustomError:
    """Messages are formatted here: pydantic's templates know no `!r`."""
    return PydanticCustomError(kind, "{message}", {"message": message})


Problem = tuple[tuple[str | int, ...], str, str]


def _raise(problems: list[Problem]) -> None:
    """Report problems at their own key, as pydantic reports a field's error."""
    if problems:
        raise ValidationError.from_exception_data(
            "WorkflowSpec",
            [
                InitErrorDetails(
                    type=_error(kind, message),
                    loc=loc,
                    input=None,
                )
                for loc, kind, message in problems
            ],
        )


def _id_problems(steps: list[WorkflowStep]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.id in first:
            problems.append(
                (
                    ("steps", i, step.kind, "id"),
                    "spec_duplicate_id",
                    f"duplicate step id {step.id!r} (first used by steps[{first[step.id]}])",
                )
            )
        first.setdefault(step.id, i)
    for i, step in enumerate(steps):
        for j, dep in enumerate(step.depends_on):
            if dep not in first:
                known = ", ".join(first)
                problems.append(
                    (
                        ("steps", i, step.kind, "depends_on", j),
                        "spec_unknown_step",
                        f"unknown step {dep!r} (steps: {known})",
                    )
                )
    return problems


def _cycle_problems(steps: list[WorkflowStep]) -> list[Problem]:
    """Depth-first search; the first back edge found is reported with its whole cycle."""
    index = {step.id: i for i, step in enumerate(steps)}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(step_id: str) -> Problem | None:
        state[step_id] = "open"
        path.append(step_id)
        step = steps[index[step_id]]
        for j, dep in enumerate(step.depends_on):
            if state.get(dep) == "open":
                cycle = [step_id, *path[path.index(dep) :]]
                return (
                    ("steps", index[step_id], step.kind, "depends_on", j),
                    "spec_cycle",
                    "dependency cycle: " + " -> ".join(cycle),
                )
            if dep not in state and (found := visit(dep)):
                return found
        state[step_id] = "done"
        path.pop()
        return None

    for step in steps:
        if step.id not in state and (found := visit(step.id)):
            return [found]
    return []


def _placeholder_problems(steps: list[WorkflowStep]) -> list[Problem]:
    """A placeholder's step must have finished before the prompt is sent."""
    problems: list[Problem] = []
    for i, step in enumerate(steps):
        if not isinstance(step, LLMStepSpec):
            continue
        upstream = ancestors(steps, step.id)
        for name in PLACEHOLDER.findall(step.prompt):
            if name not in upstream:
                hint = ", ".join(sorted(upstream)) or "none; add depends_on"
                problems.append(
                    (
                        ("steps", i, step.kind, "prompt"),
                        "spec_placeholder",
                        f"placeholder {{{name}}} is not an upstream step (upstream: {hint})",
                    )
                )
    return problems


def ancestors(steps: list[WorkflowStep], step_id: str) -> set[str]:
    """Every step `step_id` waits for, directly or through others."""
    by_id = {step.id: step for step in steps}
    seen: set[str] = set()
    todo = list(by_id[step_id].depends_on)
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(by_id[dep].depends_on)
    return seen


def waves(spec: WorkflowSpec) -> list[list[str]]:
    """Topological levels: each wave's steps depend only on earlier waves, so they run together.

    Within a wave, steps keep the order of the spec, so runs and reports are stable.
    """
    done: set[str] = set()
    remaining = list(spec.steps)
    levels: list[list[str]] = []
    while remaining:
        ready = [s.id for s in remaining if set(s.depends_on) <= done]
        levels.append(ready)
        done.update(ready)
        remaining = [s for s in remaining if s.id not in done]
    return levels


def render_prompt(prompt: str, summaries: Mapping[str, str]) -> str:
    """Fill `{step_id}` with upstream summaries; other braces (JSON examples) stay as written."""
    return PLACEHOLDER.sub(lambda m: summaries.get(m[1], m[0]), prompt)
