"""`attune server|worker|mcp|gc`: running attune itself."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from starter.cli.common import EXIT_FAILED, UsageProblem, err, out, run_async

server_app = typer.Typer(help="The embedded Temporal dev server.", no_args_is_help=True)


@server_app.command("start")
def server_start() -> None:
    """Start the embedded dev server (no-op when one answers)."""
    from starter import server

    state = server.start()
    if state.foreign:
        out.print(f"reusing a Temporal server attune did not start at {state.address}")
    out.print(f"Temporal at {state.address}, UI {state.ui_url}, database {state.database}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the embedded dev server that attune started (and only that)."""
    from starter import server

    out.print("stopped" if server.stop() else "no attune-started server was running")


@server_app.command("status")
def server_status(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Whether attune's embedded dev server is running."""
    from starter import server

    state = server.status()
    info = {
        "running": state.running,
        "answering": state.answering,
        "foreign": state.foreign,
        "pid": state.pid,
        "address": state.address,
        "ui": state.ui_url,
        "database": str(state.database),
        "log": str(state.log),
    }
    if json_out:
        out.print_json(json.dumps(info))
        return
    for key, value in info.items():
        out.print(f"{key:>9}: {value}")
    if not state.running:
        if state.foreign:
            err.print(
                f"{state.address} answers, but it is not attune's dev server "
                "(attune server stop leaves it alone)"
            )
        raise typer.Exit(EXIT_FAILED)


def worker_command(
    otel_console: Annotated[
        bool, typer.Option("--otel-console", help="print trace spans to stderr")
    ] = False,
    queues: Annotated[
        str | None,
        typer.Option(
            "--queues",
            help="all (default, or $ATTUNE_WORKER_QUEUES), main (workflows and scans) "
            "or llm (Claude calls only)",
        ),
    ] = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT."""
    from starter import telemetry
    from starter.fleet import FleetSettings
    from starter.tracing import configure_tracing

    if queues is not None:
        os.environ["ATTUNE_WORKER_QUEUES"] = queues
    settings = FleetSettings.from_env()
    configure_tracing(console=otel_console)
    try:
        telemetry.configure_metrics()
    except telemetry.MetricsConfigError as exc:
        raise UsageProblem(str(exc)) from exc

    async def serve() -> None:
        from starter.connection import connect
        from worker import serve as serve_worker
        from workflows.wire import LLM_TASK_QUEUE, TASK_QUEUE

        client = await connect()
        address = client.service_client.config.target_host
        names = {"all": (TASK_QUEUE, LLM_TASK_QUEUE), "main": (TASK_QUEUE,)}
        polled = ", ".join(repr(q) for q in names.get(settings.queues, (LLM_TASK_QUEUE,)))
        version = settings.version
        build = f" as {version.deployment_name}/{version.build_id}" if version else ""
        err.print(f"worker polling task queues {polled} on {address}{build}")
        await serve_worker(client, settings)

    run_async(serve())


def mcp_command(
    root: Annotated[
        list[Path] | None,
        typer.Option("--root", help="also allow paths under DIR (besides the working directory)"),
    ] = None,
    wait_budget: Annotated[
        float,
        typer.Option(
            "--wait-budget", help="seconds a call waits before returning `running`", min=0
        ),
    ] = 60.0,
) -> None:
    """Serve the workflows as MCP tools over stdio (for AI assistants)."""
    from starter.mcp_server import serve

    serve([Path.cwd(), *(root or [])], wait_budget)


def gc_command(
    older_than: Annotated[
        str, typer.Option("--older-than", help="age of what goes: 30d, 12h, 90m, 45s")
    ] = "30d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would go")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Remove finished runs' reports and artifacts, and scan cache rows, older than that."""
    from activities.artifacts import attune_home
    from starter.housekeeping import collect_garbage, parse_age

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise UsageProblem(f"--older-than: {exc}") from None

    async def running() -> set[str]:
        """Every running workflow's id: a child writes runs/<child-id> of its own. An
        unreachable server fails loudly: an empty set would delete live runs' files."""
        from starter.connection import connect

        client = await connect()
        return {e.id async for e in client.list_workflows('ExecutionStatus = "Running"')}

    keep = run_async(running())
    report = collect_garbage(attune_home(), age, datetime.now(UTC), dry_run, keep=keep)
    if json_out:
        out.print_json(report.model_dump_json())
    else:
        verb = "would free" if dry_run else "freed"
        out.print(
            f"{verb} {report.bytes_freed / 1e6:.1f} MB: {report.run_dirs.count} runs "
            f"({report.reports.count} report and {report.artifacts.count} artifact files), "
            f"{report.scan_cache.count} scan cache rows, {report.trees.count} commit trees; "
            f"{len(report.kept_running)} running kept"
        )
    for problem in report.errors:
        err.print(f"[yellow]{problem}[/]")
    if report.errors:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    app.command("gc")(gc_command)
    app.add_typer(server_app, name="server")
    app.command("worker")(worker_command)
    app.command("mcp")(mcp_command)
