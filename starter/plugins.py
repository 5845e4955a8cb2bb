"""Python plugins: installed packages that add workflows, activities and catalog entries.

A package declares an entry point in the `attune.workflows` group naming an
`AttunePlugin` object. A broken plugin must never take the worker down with it, so
every failure becomes a line in `LoadedPlugins.errors` and the plugin is skipped
whole: half a plugin (a workflow without its activities) would fail at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from temporalio import activity, workflow

from workflows.catalog import CATALOG, CatalogEntry

ENTRY_POINT_GROUP = "attune.workflows"


@dataclass(frozen=True)
class AttunePlugin:
    """What a plugin package exports; catalog entries name workflows of the same plugin."""

    workflows: list[type] = field(default_factory=list)
    activities: list[Callable[..., Any]] = field(default_factory=list)
    catalog: list[CatalogEntry] = field(default_factory=list)


@dataclass
class LoadedPlugins:
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable[..., Any]] = field(default_factory=list)
    catalog: list[CatalogEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class PluginError(Exception):
    pass


def workflow_name(cls: type) -> str | None:
    definition = workflow._Definition.from_class(cls)
    return definition.name if definition else None


def activity_name(fn: Callable[..., Any]) -> str | None:
    definition = activity._Definition.from_callable(fn)
    return definition.name if definition else None


def load_plugins(
    builtin_workflows: Iterable[type] = (),
    builtin_activities: Iterable[Callable[..., Any]] = (),
) -> LoadedPlugins:
    """Every plugin that loads cleanly; the worker passes its own workflows and activities
    so a plugin cannot replace one of them by registering the same name."""
    loaded = LoadedPlugins()
    taken_workflows = {n for cls in builtin_workflows if (n := workflow_name(cls))}
    taken_activities = {n for fn in builtin_activities if (n := activity_name(fn))}
    taken_catalog = set(CATALOG)
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            plugin = _resolve(point)
            names = _check(plugin, taken_workflows, taken_activities, taken_catalog)
        except PluginError as exc:
            loaded.errors.append(f"plugin {point.name!r} ({point.value}): {exc}")
            continue
        taken_workflows |= names[0]
        taken_activities |= names[1]
        taken_catalog |= names[2]
        loaded.workflows += plugin.workflows
        loaded.activities += plugin.activities
        loaded.catalog += plugin.catalog
    return loaded


def _resolve(point: EntryPoint) -> AttunePlugin:
    try:
        plugin = point.load()
    except Exception as exc:  # Any import-time failure of third-party code.
        raise PluginError(f"cannot load: {type(exc).__name__}: {exc}") from None
    if not isinstance(plugin, AttunePlugin):
        raise PluginError(f"is a {type(plugin).__name__}, not an AttunePlugin")
    return plugin


def _check(
    plugin: AttunePlugin, workflows: set[str], activities: set[str], catalog: set[str]
) -> tuple[set[str], set[str], set[str]]:
    """The plugin's new names, or why it cannot be registered."""
    new_workflows = _names(plugin.workflows, workflow_name, "workflow", "@workflow.defn class")
    new_activities = _names(plugin.activities, activity_name, "activity", "@activity.defn")
    new_catalog: set[str] = set()
    for entry in plugin.catalog:
        if not isinstance(entry, CatalogEntry):
            raise PluginError(f"catalog item {entry!r} is not a CatalogEntry")
        if entry.name not in new_workflows:
            raise PluginError(f"catalog entry {entry.name!r} names none of the plugin's workflows")
        new_catalog.add(entry.name)
    for kind, new, taken in (
        ("workflow", new_workflows, workflows),
        ("activity", new_activities, activities),
        ("catalog entry", new_catalog, catalog),
    ):
        if clash := sorted(new & taken):
            raise PluginError(f"{kind} name already registered: {', '.join(clash)}")
    return new_workflows, new_activities, new_catalog


def _names(
    items: list[Any], name_of: Callable[[Any], str | None], kind: str, expected: str
) -> set[str]:
    names: set[str] = set()
    for item in items:
        try:
            name = name_of(item)
        except Exception:  # temporalio rejects some non-callables loudly, others quietly.
            name = None
        if name is None:
            raise PluginError(f"{kind} {item!r} is not a {expected}")
        if name in names:
            raise PluginError(f"{kind} name {name!r} is listed twice")
        names.add(name)
    return names
