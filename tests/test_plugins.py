"""Plugin flows found through real package metadata (a dist-info on sys.path), no mocks.

A plugin flow registers exactly as the built-ins do, so it gets `attune workflow
list/run`, an MCP tool, routing and a place on the worker without any consumer
naming it.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.routing.classifier import classify
from starter import runner
from tests.conftest import FIXTURES, fresh_registry, with_sample_plugin
from tests.test_cli import attune
from worker import running_worker
from workflows.registry import ENTRY_POINT_GROUP, build_registry, registry

ATTUNE_ENTRIES = {p.name for p in entry_points(group=ENTRY_POINT_GROUP) if p.dist.name == "attune"}
BUILTIN = {f.name for f in registry().built()} & ATTUNE_ENTRIES
"""attune's own built flows, from its package metadata: adding one edits no test."""


@pytest.fixture
def broken_plugins(monkeypatch: pytest.MonkeyPatch, sample_plugin: None) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "broken_plugin"))
    fresh_registry()


def test_the_builtins_register_like_plugins() -> None:
    found = build_registry(list(entry_points(group=ENTRY_POINT_GROUP)))
    assert found.errors == []
    assert {"security-audit", "release-prep", "quality-checks", "composed"} <= BUILTIN
    assert {f.name for f in found} == ATTUNE_ENTRIES
    assert all(f.planned for f in found if f.name not in BUILTIN)


def test_an_installed_plugin_is_a_flow_like_any_other(sample_plugin: None) -> None:
    found = registry()
    assert found.errors == []
    flow = found.flows["sample-hello"]
    assert flow.built and flow.listed
    assert found.by_mcp_tool()["sample_hello"] is flow
    assert classify("greet me").workflows == ["sample-hello"]


def test_broken_plugins_are_reported_not_raised(broken_plugins: None) -> None:
    found = registry()
    assert {f.name for f in found.built()} == BUILTIN | {"sample-hello"}
    assert found.flows["security-audit"].workflow == (
        "workflows.security_audit.workflow:SecurityAuditWorkflow"
    )
    assert sorted(found.errors) == [
        "flow 'import_error' (attune_sample_plugin.broken:FLOW): cannot load: "
        "ModuleNotFoundError: No module named 'attune_sample_plugin_missing_dependency'",
        "flow 'misnamed' (attune_sample_plugin.bad:MISNAMED): declares the flow "
        "'something-else' under the name 'misnamed'",
        "flow 'security-audit' (attune_sample_plugin.bad:CLASH): "
        "flow name 'security-audit' is already registered",
        "flow 'wrong_type' (attune_sample_plugin.bad:NOT_A_FLOW): is a dict, not a Flow",
    ]


async def test_a_plugin_flow_runs_on_the_worker(sample_plugin: None, client: Client) -> None:
    flow = registry().flows["sample-hello"]
    async with running_worker(client):
        handle = await runner.start_workflow(client, flow, flow.request(target=".", name="attune"))
        assert await handle.result() == flow.result(greeting="Hello, attune!")
    assert handle.id.startswith("sample-hello-")


def test_a_plugin_flow_gets_the_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = with_sample_plugin(cli_env)
    listed = attune(env, "workflow", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["sample-hello"]["mcp_tool"] == "sample_hello"
    ran = attune(env, "workflow", "run", "sample-hello", str(tmp_path), "--param", "name=you")
    assert ran.returncode == 0, ran.stderr
    assert "Hello, you!" in ran.stdout
    unknown = attune(env, "workflow", "run", "sample-hello", str(tmp_path), "--param", "nme=x")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "attune: --param nme: sample-hello has no such parameter (accepted: name)"
    )
    routed = attune(env, "route", "greet", "everyone", "--json")
    assert json.loads(routed.stdout)["workflows"] == ["sample-hello"]


async def test_a_plugin_flow_is_an_mcp_tool(sample_plugin: None) -> None:
    from starter.mcp_server import build_server

    tools = {tool.name: tool for tool in await build_server([FIXTURES]).list_tools()}
    assert {"sample_hello", "security_audit"} <= set(tools)
    assert "name" in tools["sample_hello"].input_schema["properties"]
