"""`attune telemetry|dashboard|auth|memory|compose`: what runs, what it costs, what the
project remembers, and new team specs."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from starter.cli.common import EXIT_FAILED, UsageProblem, err, out, reviewer, run_async

memory_app = typer.Typer(
    help="Project memory: decisions later runs respect (e.g. accepted-risk:<fingerprint>).",
    no_args_is_help=True,
)
auth_app = typer.Typer(
    help="Credentials, models and prices; what sending a file would cost.", no_args_is_help=True
)


def telemetry_command(
    days: Annotated[int, typer.Option(help="runs started in the last N days", min=0)] = 7,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Usage, cost, savings and cache rates of recent runs, from Temporal visibility."""
    from starter import telemetry
    from starter.connection import connect

    try:
        telemetry.configure_metrics()
    except telemetry.MetricsConfigError as exc:
        raise UsageProblem(str(exc)) from exc

    async def gather() -> telemetry.TelemetryReport:
        return await telemetry.collect(await connect(), days)

    report = run_async(gather())
    telemetry.record_metrics(report)
    if json_out:
        out.print_json(report.model_dump_json())
    else:
        telemetry.render(report, out)


@auth_app.command("status")
def auth_status_command(
    json_out: Annotated[bool, typer.Option("--json")] = False,
    no_check: Annotated[bool, typer.Option("--no-check", help="do not call the API")] = False,
) -> None:
    """Which credentials, models and prices are in force, and whether the API answers."""
    from starter import auth

    try:
        status = run_async(auth.auth_status(check_api=not no_check))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from exc
    if json_out:
        out.print_json(status.model_dump_json())
    else:
        auth.render_status(status, out)
    if status.api.status == "error":
        raise typer.Exit(EXIT_FAILED)


@auth_app.command("recommend")
def auth_recommend_command(
    file: Annotated[Path, typer.Argument(help="the file you would send to Claude")],
    repeats: Annotated[int, typer.Option(help="how many times it will be sent", min=1)] = 1,
    offline: Annotated[
        bool, typer.Option("--offline", help="estimate without calling the API")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Token count, cost per tier, and a start tier and mode for sending FILE."""
    from starter import auth

    try:
        rec = run_async(auth.recommend(file, online=not offline, repeats=repeats))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from exc
    if json_out:
        out.print_json(rec.model_dump_json())
    else:
        auth.render_recommendation(rec, out)


ProjectOption = Annotated[Path, typer.Option("--project", help="the project's directory")]


def _project(path: Path) -> str:
    from activities import memory

    if not path.exists():
        raise UsageProblem(f"project {str(path)!r} does not exist")
    return memory.project_key(path)


async def _with_worker(work: Any) -> Any:
    """Updates and queries need a worker: run one here when no dedicated one polls."""
    from starter import runner
    from starter.connection import connect

    client = await connect()
    async with runner.worker_if_needed(client):
        return await work(client)


@memory_app.command("store")
def memory_store_command(
    key: str,
    value: str,
    project: ProjectOption = Path("."),
    author: Annotated[str | None, typer.Option(help="default $USER")] = None,
) -> None:
    """Remember KEY = VALUE for the project (e.g. accepted-risk:<fingerprint> "reason")."""
    from activities import memory
    from workflows.schemas import MemoryEntry

    if not key.strip():
        raise UsageProblem("the key must not be empty")
    name = _project(project)
    entry = MemoryEntry(key=key, value=value, author=reviewer(author))
    stored = run_async(_with_worker(lambda client: memory.store(client, name, entry)))
    err.print(f"stored {stored.key} for {name}")


def _print_entries(entries: list[Any], json_out: bool) -> None:
    from rich.table import Table

    if json_out:
        out.print_json(json.dumps([e.model_dump(mode="json") for e in entries]))
        return
    table = Table("key", "value", "author", "at")
    for entry in entries:
        table.add_row(entry.key, str(entry.value), entry.author, f"{entry.at:%Y-%m-%d %H:%M}")
    out.print(table)


@memory_app.command("get")
def memory_get_command(
    key: str,
    project: ProjectOption = Path("."),
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One entry (or every entry under a `prefix*`)."""
    from activities import memory

    name = _project(project)
    entries = run_async(_with_worker(lambda client: memory.retrieve(client, name, key)))
    if not entries:
        raise UsageProblem(f"nothing stored under {key!r} for {name}")
    _print_entries(entries, json_out)


@memory_app.command("list")
def memory_list_command(
    project: ProjectOption = Path("."),
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Everything the project remembers."""
    from activities import memory

    name = _project(project)
    entries = run_async(_with_worker(lambda client: memory.retrieve(client, name)))
    _print_entries(entries, json_out)


def dashboard_command(
    json_out: Annotated[bool, typer.Option("--json")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="redraw every few seconds")] = False,
    recent: Annotated[int, typer.Option(help="how many recent signals to show", min=1)] = 20,
    interval: Annotated[float, typer.Option(help="--watch refresh, seconds", min=0.5)] = 2.0,
) -> None:
    """Active agents, approvals and questions waiting for you, recent signals."""
    from starter import dashboard
    from starter.connection import connect

    if watch and json_out:
        raise UsageProblem("--watch and --json do not go together")

    async def show() -> None:
        client = await connect()
        if watch:
            await dashboard.watch(client, out, interval, recent)
            return
        shot = await dashboard.snapshot(client, recent)
        if json_out:
            out.print_json(shot.model_dump_json())
        else:
            dashboard.render(shot, out)

    with contextlib.suppress(KeyboardInterrupt):
        run_async(show())


def compose_command(
    name: Annotated[str | None, typer.Option(help="the new workflow's name")] = None,
    workflow: Annotated[
        list[str] | None, typer.Option("--workflow", help="a workflow to include")
    ] = None,
    summary: Annotated[bool, typer.Option(help="add an LLM summary step")] = True,
    approval: Annotated[bool, typer.Option(help="end with a human approval")] = True,
    out_file: Annotated[Path | None, typer.Option("--out", help="spec file to write")] = None,
) -> None:
    """Compose an agent team into a workflow spec file (asks when on a terminal)."""
    from starter.compose import compose_spec, write_spec
    from starter.specs import SpecError, spec_folder
    from workflows.registry import registry

    names = [flow.name for flow in registry().listed()]
    interactive = sys.stdin.isatty() and (name is None or not workflow)
    if interactive:
        name = name or typer.prompt("Name of the new workflow (lowercase-dashed)")
        chosen = typer.prompt(f"Which workflows should the team run? ({', '.join(names)})")
        workflow = [w.strip() for w in chosen.replace(",", " ").split() if w.strip()]
        summary = typer.confirm("Add an LLM summary of their results?", default=summary)
        approval = typer.confirm("End with a human approval?", default=approval)
    if not name or not workflow:
        raise UsageProblem("compose needs --name and at least one --workflow (or a terminal)")
    unknown = [w for w in workflow if w not in names]
    if unknown:
        raise UsageProblem(f"unknown workflow {unknown[0]!r}; one of {', '.join(names)}")
    target = out_file or spec_folder() / f"{name}.toml"
    text = compose_spec(name, workflow, summary=summary, approval=approval)
    try:
        spec = write_spec(text, target, set(names))
    except SpecError as exc:
        raise UsageProblem(str(exc)) from exc
    out.print(f"wrote {target}: {len(spec.steps)} steps")
    out.print(f"run it: attune workflow run {spec.name} PATH")


def register(app: typer.Typer) -> None:
    app.command("telemetry")(telemetry_command)
    app.command("dashboard")(dashboard_command)
    app.command("compose")(compose_command)
    app.add_typer(auth_app, name="auth")
    app.add_typer(memory_app, name="memory")
