"""Plugins found through real package metadata (a dist-info on sys.path), no mocks."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from starter.plugins import load_plugins, workflow_name
from workflows.catalog import CATALOG

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def sample_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "sample_plugin"))


@pytest.fixture
def broken_plugins(monkeypatch: pytest.MonkeyPatch, sample_plugin: None) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "broken_plugin"))


def test_no_plugins_installed_loads_nothing() -> None:
    loaded = load_plugins()
    assert (loaded.workflows, loaded.activities, loaded.catalog, loaded.errors) == ([], [], [], [])


def test_an_installed_plugin_is_found(sample_plugin: None) -> None:
    loaded = load_plugins()
    assert loaded.errors == []
    assert [workflow_name(cls) for cls in loaded.workflows] == ["sample-hello"]
    assert [fn.__name__ for fn in loaded.activities] == ["greet"]
    [entry] = loaded.catalog
    assert (entry.name, entry.mcp_tool) == ("sample-hello", "sample_hello")
    assert entry.name not in CATALOG


def test_broken_plugins_are_reported_not_raised(broken_plugins: None) -> None:
    loaded = load_plugins()
    assert [workflow_name(cls) for cls in loaded.workflows] == ["sample-hello"]
    assert [entry.name for entry in loaded.catalog] == ["sample-hello"]
    assert loaded.errors == [
        "plugin 'clash' (attune_sample_plugin.bad:CLASH): "
        "catalog entry name already registered: security-audit",
        "plugin 'import_error' (attune_sample_plugin.broken:PLUGIN): cannot load: "
        "ModuleNotFoundError: No module named 'attune_sample_plugin_missing_dependency'",
        "plugin 'wrong_type' (attune_sample_plugin.bad:NOT_A_PLUGIN): "
        "is a dict, not an AttunePlugin",
    ]


def test_a_plugin_cannot_replace_a_worker_workflow(sample_plugin: None) -> None:
    from attune_sample_plugin import SampleHelloWorkflow, greet

    loaded = load_plugins(builtin_workflows=[SampleHelloWorkflow])
    assert loaded.workflows == []
    assert loaded.errors == [
        "plugin 'sample' (attune_sample_plugin:PLUGIN): "
        "workflow name already registered: sample-hello"
    ]
    assert load_plugins(builtin_activities=[greet]).errors == [
        "plugin 'sample' (attune_sample_plugin:PLUGIN): "
        "activity name already registered: sample_greet"
    ]


async def test_a_loaded_plugin_runs_on_a_worker(sample_plugin: None, client: Client) -> None:
    loaded = load_plugins()
    [entry] = loaded.catalog
    queue = f"plugins-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=loaded.workflows, activities=loaded.activities
    ):
        result = await client.execute_workflow(
            entry.name,
            entry.request_type(target=".", name="attune"),
            id=f"sample-hello-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            result_type=entry.result_type,
        )
    assert result == entry.result_type(greeting="Hello, attune!")
