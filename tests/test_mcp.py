"""`attune mcp` as an assistant sees it: a real MCP client talking to the server over
stdio, the server talking to the session's Temporal dev server."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import CallToolResult

from tests.conftest import SAMPLE
from tests.release.conftest import make_repo
from workflows.registry import registry
from workflows.schemas import SEVERITIES

UTILITIES = {
    "workflow_run",
    "workflow_status",
    "approve",
    "reject",
    "auth_status",
    "auth_recommend",
    "telemetry_stats",
    "dashboard_status",
    "route",
    "memory_store",
    "memory_retrieve",
}


@asynccontextmanager
async def mcp_session(
    env: dict[str, str], root: Path, wait_budget_s: float
) -> AsyncIterator[tuple[ClientSession, list[Exception]]]:
    """The server runs in `root`, so the working directory adds no other root. Anything
    on its stdout that is not protocol reaches the handler as an exception."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "starter.mcp_server", "--wait-budget", str(wait_budget_s)],
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        cwd=root,
    )
    garbage: list[Exception] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            garbage.append(message)

    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, message_handler=on_message) as session,
    ):
        await session.initialize()
        yield session, garbage


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    result: CallToolResult = await session.call_tool(tool, arguments)
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)


async def poll(session: ClientSession, workflow_id: str, until: Any) -> dict[str, Any]:
    """Wait on the condition, however long a loaded machine takes to get there."""
    while True:
        state = await call(session, "workflow_status", workflow_id=workflow_id)
        if until(state):
            return state
        await anyio.sleep(0.3)


async def test_tools_audit_utilities_and_refusals(cli_env: dict[str, str], tmp_path: Path) -> None:
    app = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, app)
    async with mcp_session(cli_env, tmp_path, wait_budget_s=60) as (session, garbage):
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == set(registry().by_mcp_tool()) | UTILITIES
        for tool in tools.values():
            assert tool.input_schema["type"] == "object"
            assert tool.output_schema is not None
        audit_schema = tools["security_audit"].input_schema
        assert audit_schema["required"] == ["path"]
        assert "target" not in audit_schema["properties"]
        assert audit_schema["properties"]["batch_size"]["type"] == "integer"

        audit = await call(session, "security_audit", path=str(app), batch_size=5)
        assert audit["status"] == "completed"
        assert audit["workflow_id"].startswith("security-audit-vulnerable-app-")
        summary = audit["summary"]
        assert summary["counts"]["critical"] + summary["counts"]["high"] > 0
        assert 0 < len(audit["top_findings"]) <= 10
        top = audit["top_findings"][0]
        worst = next(sev for sev in SEVERITIES if summary["counts"].get(sev))
        assert top["severity"] == worst
        assert set(top) == {"rule", "severity", "cwe", "file", "line", "message"}
        assert {"markdown", "json", "sarif"} <= set(audit["report_paths"])
        assert all(Path(p).is_file() for p in audit["report_paths"].values())

        by_name = await call(
            session, "workflow_run", name="security-audit", path=str(app / "app" / "views.py")
        )
        assert by_name["status"] == "completed"
        assert by_name["workflow_id"] != audit["workflow_id"]
        checks = await call(session, "quality_checks", path=str(app))
        assert checks["status"] == "completed"
        merged = json.loads(Path(checks["report_paths"]["json"]).read_text())["summary"]
        assert checks["summary"]["counts"] == merged["counts"]
        assert all(checks["summary"]["counts"][s] >= n for s, n in summary["counts"].items())
        status = await call(session, "workflow_status", workflow_id=audit["workflow_id"])
        assert status["status"] == "completed"
        assert status["summary"] == summary
        assert status["report_paths"] == audit["report_paths"]

        auth = await call(session, "auth_status")
        assert auth["anthropic"]["api_key"] is None
        assert auth["api"]["status"] == "not checked"
        advice = await call(
            session, "auth_recommend", path=str(app / "app" / "views.py"), repeats=3
        )
        assert advice["input_tokens"] > 0
        assert advice["start_tier"] == "haiku"
        stats = await call(session, "telemetry_stats", days=1)
        assert stats["runs_by_workflow"].get("security-audit", 0) >= 2
        routed = await call(session, "route", goal="Review this code for security")
        assert routed["workflows"] == ["security-audit"]
        board = await call(session, "dashboard_status", recent=5)
        assert "approvals" in board and "signals" in board
        stored = await session.call_tool(
            "memory_store", {"project": str(app), "key": "owner", "value": "ann"}
        )
        assert not stored.is_error, stored.content
        remembered = await session.call_tool("memory_retrieve", {"project": str(app)})
        assert not remembered.is_error, remembered.content
        assert "ann" in json.dumps(remembered.structured_content)
        assert await refused(session, "memory_retrieve", project=str(SAMPLE))

        outside = SAMPLE  # the original: not under the server's only root
        for tool, arguments in (
            ("security_audit", {"path": str(outside)}),
            ("workflow_run", {"name": "release-prep", "path": str(outside)}),
            ("auth_recommend", {"path": str(outside / "app" / "views.py")}),
            ("security_audit", {"path": str(app), "out_dir": "/tmp/elsewhere"}),
        ):
            assert "outside the allowed roots" in await refused(session, tool, **arguments)
        link = tmp_path / "escape"
        link.symlink_to(outside)
        assert "outside the allowed roots" in await refused(
            session, "security_audit", path=str(link)
        )
        assert "does not exist" in await refused(session, "security_audit", path="missing")
        notes = tmp_path / "notes.md"
        notes.write_text("# not Python\n")
        assert "analyses Python code" in await refused(session, "security_audit", path=str(notes))
        assert "needs a directory" in await refused(session, "release_prep", path=str(notes))
        stats_after = await call(session, "telemetry_stats", days=1)
        assert stats_after["runs"] == stats["runs"], "a refused path started a workflow"

        assert await refused(session, "security_audit", path=str(app), batch_size="many")
        assert await refused(session, "security_audit", path=str(app), batch_size=0)
        assert await refused(session, "telemetry_stats", days=-1)
        assert await refused(session, "workflow_run", name="no-such-workflow", path=str(app))
        assert await refused(
            session, "workflow_run", name="security-audit", path=str(app), params={"nope": 1}
        )
        assert "no workflow" in await refused(session, "workflow_status", workflow_id="nope")
        assert garbage == []


async def test_release_prep_waits_for_a_decision(cli_env: dict[str, str], tmp_path: Path) -> None:
    approved_repo = make_repo(tmp_path / "demo").path
    rejected_repo = make_repo(tmp_path / "other").path
    async with mcp_session(cli_env, tmp_path, wait_budget_s=2) as (session, garbage):
        first = await call(session, "release_prep", path=str(approved_repo))
        assert first["status"] == "running"
        second = await call(session, "workflow_run", name="release-prep", path=str(rejected_repo))
        assert second["status"] == "running"

        waiting = await poll(session, first["workflow_id"], lambda s: s["pending_approval"])
        assert (waiting["status"], waiting["stage"]) == ("running", "awaiting-approval")
        pending = waiting["pending_approval"]
        if pending["blockers"]:
            blocked = await refused(session, "approve", workflow_id=first["workflow_id"])
            assert "override_blockers" in blocked
        decided = await call(
            session,
            "approve",
            workflow_id=first["workflow_id"],
            reviewer="alice",
            comment="ship it",
            override_blockers=bool(pending["blockers"]),
        )
        done = await poll(session, first["workflow_id"], lambda s: s["status"] != "running")
        assert done["status"] == decided["status"] == "approved"
        assert done["summary"]["recommendation"] == pending["recommendation"]
        assert {"markdown", "json"} <= set(done["report_paths"])

        await poll(session, second["workflow_id"], lambda s: s["pending_approval"])
        assert await refused(session, "reject", workflow_id=second["workflow_id"], reason="")
        await call(session, "reject", workflow_id=second["workflow_id"], reason="not this week")
        rejected = await poll(session, second["workflow_id"], lambda s: s["status"] != "running")
        assert rejected["status"] == "rejected"
        assert "not waiting" in await refused(session, "approve", workflow_id=second["workflow_id"])
        assert garbage == []


def test_top_findings_are_open_ones(tmp_path: Path) -> None:
    from starter.mcp_server import top_findings

    def entry(rule: str, severity: str) -> dict[str, Any]:
        return {"rule_id": rule, "severity": severity, "file": "a.py", "line": 1, "message": rule}

    report = tmp_path / "report.json"
    findings = [
        entry("NOSEC", "critical") | {"suppressed": "inline: # nosec"},
        entry("ACCEPTED", "critical") | {"accepted_risk": "legacy"},
        entry("OPEN", "medium"),
    ]
    report.write_text(json.dumps({"findings": findings}))
    assert [f.rule for f in top_findings(str(report))] == ["OPEN"]
