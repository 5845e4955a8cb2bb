"""The flow registry: every workflow attune offers is one `Flow`, found through the
`attune.workflows` entry-point group, built-ins and plugins alike.

A `Flow` is metadata: it imports pydantic models only and names its workflow class,
activities and presentation as `module:attribute` strings, resolved when a worker,
a renderer or a replayer needs them. So `attune --help` and `attune route` read the
whole registry without loading Temporal's worker, anthropic or any engine. The
worker, the CLI, the MCP server, the Router's classifier, the teams and the history
recorder iterate the registry; none of them names a flow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from temporalio.plugin import SimplePlugin

ENTRY_POINT_GROUP = "attune.workflows"
TargetKind = Literal["python", "directory", "repository", "any"]
"""What a flow's `target` must be: Python code (a directory, or a .py/.pyi file), a
directory, a git repository, or anything that exists."""


def resolve(reference: str) -> Any:
    """The object a `module:attribute.path` string names."""
    module, _, attribute = reference.partition(":")
    found: Any = import_module(module)
    for part in filter(None, attribute.split(".")):
        found = getattr(found, part)
    return found


@dataclass(frozen=True)
class TeamRole:
    """How a flow serves in the teams that run it as an agent.

    `agent` is the workflow type that takes an `AgentInput` and returns an
    `AgentResult` (for security-audit: `SecurityAgent`, which runs the full audit as
    its child); `teams` names the team flows that include it.
    """

    role: str
    agent: str
    teams: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    name: str
    summary: str
    request: type[BaseModel] | None = None
    result: type[BaseModel] | None = None
    workflow: str | None = None
    """`module:Class` of the workflow; None while the flow is planned."""
    activities: str | None = None
    """`module:function` taking the worker's `WorkerResources`, returning activities."""
    extra_workflows: tuple[str, ...] = ()
    """Workflow classes only this flow uses (its team adapter), as references."""
    mcp_tool: str | None = None
    listed: bool = True
    """False for flows that run only through something else (composed specs)."""
    target: TargetKind = "python"
    validate: str | None = None
    """`module:function` called with a built request before the run starts; it raises
    ValueError, in one line, on input the target kind alone cannot refuse (a revision
    git does not know). It may read the target, never change it."""
    view: str = "starter.views:FINDINGS"
    """How the CLI and MCP present a result: a `starter.views.View` reference."""
    reports: tuple[str, ...] = ("markdown", "json", "sarif")
    asks_approval: bool = False
    """Its runs wait for a person's `approve` or `reject`."""
    description: str = ""
    """A few words for a routing question: "find vulnerabilities, secrets ..."."""
    vocabulary: Mapping[str, float] = field(default_factory=dict)
    """Routing keywords and phrases with weights (see `activities.routing.classifier`)."""
    examples: tuple[str, ...] = ()
    """Goals people write for this flow; the routing tests hold the classifier to them."""
    generic_route: bool = False
    """Its words usually ask for something more specific ("review this for security"
    is a security audit): its routing score counts less when a specific route matches."""
    nearest: str | None = None
    """The flow to offer instead while this one is planned, not built."""
    team: TeamRole | None = None
    planned: bool = False
    """Announced and routable, not built yet: routing says so and offers `nearest`."""

    @property
    def built(self) -> bool:
        return not self.planned and self.workflow is not None

    @property
    def workflow_type(self) -> str:
        """The workflow type on the wire: a flow's name is its workflow type."""
        return self.name

    def workflow_class(self) -> type:
        assert self.workflow is not None, f"{self.name} is planned, not built"
        return resolve(self.workflow)

    def workflow_classes(self) -> list[type]:
        return [self.workflow_class(), *(resolve(ref) for ref in self.extra_workflows)]

    def activity_list(self, resources: Any) -> list[Callable[..., Any]]:
        return list(resolve(self.activities)(resources)) if self.activities else []

    def plugin(self, resources: Any) -> SimplePlugin:
        """This flow's contribution to a `Worker` or `Replayer`."""
        from temporalio.plugin import SimplePlugin

        return SimplePlugin(
            f"attune.{self.name}",
            workflows=self.workflow_classes(),
            activities=self.activity_list(resources) if resources is not None else None,
        )

    def check(self, request: BaseModel) -> None:
        """Run the flow's `validate` on a request; ValueError when it refuses it."""
        if self.validate is not None:
            resolve(self.validate)(request)

    def presentation(self) -> Any:
        return resolve(self.view)


class RegistryError(Exception):
    pass


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    """Entry points that did not load, one line each: reported, never fatal."""

    def __iter__(self):
        return iter(self.flows.values())

    def __contains__(self, name: object) -> bool:
        return name in self.flows

    def get(self, name: str) -> Flow | None:
        return self.flows.get(name)

    def built(self) -> list[Flow]:
        return [f for f in self.flows.values() if f.built]

    def listed(self) -> list[Flow]:
        return [f for f in self.built() if f.listed]

    def by_mcp_tool(self) -> dict[str, Flow]:
        return {f.mcp_tool: f for f in self.listed() if f.mcp_tool}

    def members(self, team: str) -> list[Flow]:
        """Flows that serve in `team`, built or planned, in registry order."""
        return [f for f in self.flows.values() if f.team and team in f.team.teams]


def _load(point: EntryPoint) -> Flow:
    try:
        flow = point.load()
    except Exception as exc:  # Any import-time failure of third-party code.
        raise RegistryError(f"cannot load: {type(exc).__name__}: {exc}") from None
    if not isinstance(flow, Flow):
        raise RegistryError(f"is a {type(flow).__name__}, not a Flow")
    if flow.name != point.name:
        raise RegistryError(f"declares the flow {flow.name!r} under the name {point.name!r}")
    if flow.built and (flow.request is None or flow.result is None):
        raise RegistryError("a built flow needs its request and result models")
    return flow


def build_registry(points: list[EntryPoint]) -> Registry:
    """Flows in entry-point order, attune's own first; a broken or clashing entry is
    skipped whole, with its reason, so one bad plugin never takes attune down."""
    registry = Registry()
    builtin = [p for p in points if p.dist is not None and p.dist.name == "attune"]
    ordered = builtin + sorted((p for p in points if p not in builtin), key=lambda p: p.name)
    for point in ordered:
        try:
            flow = _load(point)
            if flow.name in registry.flows and not registry.flows[flow.name].planned:
                raise RegistryError(f"flow name {flow.name!r} is already registered")
            mcp_taken = {f.mcp_tool for f in registry.flows.values() if f.mcp_tool}
            if flow.mcp_tool and flow.mcp_tool in mcp_taken:
                raise RegistryError(f"MCP tool {flow.mcp_tool!r} is already registered")
        except RegistryError as exc:
            registry.errors.append(f"flow {point.name!r} ({point.value}): {exc}")
            continue
        registry.flows[flow.name] = flow
    return registry


@functools.cache
def registry() -> Registry:
    """Every flow installed, read once per process."""
    return build_registry(list(entry_points(group=ENTRY_POINT_GROUP)))
