"""The `attune` command line.

Exit codes: 0 done; 1 the workflow failed, was cancelled or rejected; 2 bad usage
or input (one line on stderr, no traceback); 3 findings at or above `--fail-on`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
import traceback
import uuid
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError

# typer >= 0.29 vendors click; its exceptions are how bad usage reaches `main`.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from activities import memory
from activities.artifacts import attune_home
from starter import auth, dashboard, runner, server, telemetry
from starter.compose import compose_spec, write_spec
from starter.connection import TemporalUnavailable, connect
from starter.plugins import load_plugins
from starter.specs import SpecError, discover_specs, load_spec, spec_folder
from starter.tracing import configure_tracing, shutdown_tracing
from worker import serve as serve_worker
from workflows.catalog import CATALOG, COMPOSED, CatalogEntry
from workflows.composed.models import ComposedResult
from workflows.quality_checks.models import QualityChecksResult
from workflows.release_prep.models import ReleasePrepResult
from workflows.router import (
    ANSWER_SIGNAL,
    MAX_QUESTIONS,
    QUESTION_QUERY,
    ROUTER,
    UTILITIES,
    RouteDecision,
    RouteRequest,
    RouteResult,
    classify,
    decide,
    describe,
)
from workflows.schemas import (
    SEVERITIES,
    SEVERITY_RANK,
    TIERS,
    ApprovalDecision,
    EscalateSignal,
    MemoryEntry,
)
from workflows.security_audit.models import AuditProgress, AuditResult
from workflows.wire import (
    APPROVE_SIGNAL,
    ATTUNE_AWAITING,
    ATTUNE_STAGE,
    PROGRESS_QUERY,
    REJECT_SIGNAL,
    TASK_QUEUE,
)

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3
SPEC_SUFFIXES = frozenset({".toml", ".yaml", ".yml"})

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class GoalGroup(TyperGroup):
    """`attune "goal in plain words"`: a first word that is no command starts a goal."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "ask", self.commands["ask"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=GoalGroup,
    help='AI developer workflows as durable Temporal workflows. `attune "what you want"` '
    "routes a goal in plain words; `attune` alone asks for one.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        _interview()


workflow_app = typer.Typer(help="Run and follow catalog workflows.", no_args_is_help=True)
server_app = typer.Typer(help="The embedded Temporal dev server.", no_args_is_help=True)
app.add_typer(workflow_app, name="workflow")
memory_app = typer.Typer(
    help="Project memory: decisions later runs respect (e.g. accepted-risk:<fingerprint>).",
    no_args_is_help=True,
)
auth_app = typer.Typer(
    help="Credentials, models and prices; what sending a file would cost.", no_args_is_help=True
)
app.add_typer(server_app, name="server")
app.add_typer(auth_app, name="auth")
app.add_typer(memory_app, name="memory")


class UsageProblem(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@functools.cache
def _catalog() -> dict[str, CatalogEntry]:
    """Built-in workflows, then those of installed plugins (entry points read once)."""
    return {**{e.name: e for e in load_plugins().catalog}, **CATALOG}


def _spec_entry(path: Path) -> tuple[CatalogEntry, dict[str, Any]]:
    known = set(_catalog())
    try:
        spec = load_spec(path, known_workflows=known)
    except SpecError as exc:
        raise UsageProblem(str(exc)) from exc
    entry = COMPOSED.model_copy(
        update={"name": spec.name, "summary": spec.description, "workflow_type": COMPOSED.name}
    )
    return entry, spec.model_dump(mode="json")


def _entry(name: str) -> tuple[CatalogEntry, dict[str, Any] | None]:
    """A catalog name, a spec file, or the name of a spec in the spec folder."""
    catalog = _catalog()
    if name in catalog:
        return catalog[name], None
    path = Path(name).expanduser()
    if path.suffix in SPEC_SUFFIXES:
        if not path.is_file():
            raise UsageProblem(f"spec file {name!r} does not exist")
        return _spec_entry(path)
    for spec_path, spec in discover_specs(spec_folder(), set(catalog)):
        if not isinstance(spec, SpecError) and spec.name == name:
            return _spec_entry(spec_path)
    raise UsageProblem(f"unknown workflow {name!r}; `attune workflow list` shows the catalog")


def _parse_params(params: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageProblem(f"--param expects key=value, got {item!r}")
        parsed[key.strip().replace("-", "_")] = value
    return parsed


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: str) -> int:
    """Seconds from `90`, `90s`, `30m`, `12h` or `7d`."""
    number, unit = value[:-1], value[-1]
    if value.isdigit():
        number, unit = value, "s"
    if unit not in DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise UsageProblem(
            f"--approval-timeout takes a duration like 7d, 12h, 30m or 90s, got {value!r}"
        )
    return int(number) * DURATION_UNITS[unit]


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() not in SEVERITIES:
        raise UsageProblem(f"--fail-on must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value.lower()


@workflow_app.command("list")
def workflow_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The catalog of workflows."""
    rows = [
        {**e.model_dump(include={"name", "mcp_tool", "summary"}), "source": "catalog"}
        for e in _catalog().values()
    ]
    for path, spec in discover_specs(spec_folder(), set(_catalog())):
        if isinstance(spec, SpecError):
            rows.append(
                {"name": path.stem, "mcp_tool": "", "summary": str(spec), "source": "error"}
            )
        else:
            rows.append(
                {
                    "name": spec.name,
                    "mcp_tool": "",
                    "summary": spec.description,
                    "source": str(path),
                }
            )
    if json_out:
        out.print_json(json.dumps(rows))
        return
    table = Table("workflow", "MCP tool", "what it does", "from")
    for row in rows:
        table.add_row(row["name"], row["mcp_tool"], row["summary"], row["source"])
    out.print(table)


@workflow_app.command("run")
def workflow_run(
    name: Annotated[str, typer.Argument(help="catalog name, e.g. security-audit")],
    path: Annotated[Path, typer.Argument(help="directory or file to analyse")] = Path("."),
    json_out: Annotated[bool, typer.Option("--json", help="print the report JSON")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write reports here")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="start and print the id")] = False,
    fail_on: Annotated[str | None, typer.Option(help="exit 3 at this severity or above")] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="LLM budget for the run, in USD", min=0)
    ] = None,
    approval_timeout: Annotated[
        str | None, typer.Option(help="release-prep: how long to wait, e.g. 7d, 12h, 30m")
    ] = None,
    param: Annotated[list[str] | None, typer.Option(help="workflow parameter key=value")] = None,
) -> None:
    """Start a workflow (a catalog name or a spec file) and follow it to its report."""
    entry, spec = _entry(name)
    threshold = _severity(fail_on)
    options: dict[str, Any] = {}
    if max_cost is not None:
        options["max_cost_usd"] = max_cost
    if approval_timeout is not None:
        if "approval_timeout_s" not in entry.request_type.model_fields:
            raise UsageProblem(f"--approval-timeout does not apply to {entry.name}")
        options["approval_timeout_s"] = _duration(approval_timeout)
    target = path.expanduser()
    if not target.exists():
        raise UsageProblem(f"path {str(path)!r} does not exist")
    try:
        request = entry.request_type.model_validate(
            {
                **_parse_params(param or []),
                **options,
                **({"spec": spec} if spec is not None else {}),
                "target": str(target.resolve()),
                "out_dir": str(out_dir.expanduser().resolve()) if out_dir else None,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageProblem(f"--param {where}: {first['msg']}") from exc
    raise typer.Exit(_run(_run_workflow(entry, request, json_out, no_wait, threshold)))


async def _run_workflow(
    entry: CatalogEntry, request: Any, json_out: bool, no_wait: bool, threshold: str | None
) -> int:
    client = await connect()
    handle = await runner.start_workflow(client, entry, request)
    err.print(f"started [bold]{handle.id}[/]  (attune workflow watch {handle.id})")
    if no_wait:
        if json_out:
            out.print_json(json.dumps({"workflow_id": handle.id, "run_id": handle.result_run_id}))
        else:
            out.print(handle.id)
        return 0
    return await _wait(client, handle.id, json_out, threshold)


@workflow_app.command("watch")
def workflow_watch(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
    fail_on: Annotated[str | None, typer.Option(help="exit 3 at this severity or above")] = None,
) -> None:
    """Re-attach to a run and wait for it, running a worker here if none polls."""
    threshold = _severity(fail_on)

    async def watch() -> int:
        client = await connect()
        await _describe(client, workflow_id)
        return await _wait(client, workflow_id, json_out, threshold)

    raise typer.Exit(_run(watch()))


async def _describe(client: Client, workflow_id: str) -> Any:
    try:
        return await runner.describe(client, workflow_id)
    except runner.UnknownWorkflow as exc:
        raise UsageProblem(str(exc)) from exc


async def _wait(client: Client, workflow_id: str, json_out: bool, threshold: str | None) -> int:
    desc = await _describe(client, workflow_id)
    entry = {**_catalog(), COMPOSED.name: COMPOSED}.get(desc.workflow_type)
    if entry is None:
        raise UsageProblem(f"{workflow_id} is a {desc.workflow_type}, not a catalog workflow")
    handle = client.get_workflow_handle(workflow_id, result_type=entry.result_type)
    if entry.name == "release-prep" and desc.status == WorkflowExecutionStatus.RUNNING:
        err.print(
            f"waiting for a decision: attune approve {workflow_id}  |  "
            f"attune reject {workflow_id} --reason ..."
        )
    async with runner.worker_if_needed(client) as local:
        if local:
            err.print("[dim]no worker polls the task queue: running one in this process[/]")
        try:
            result = await _follow_with_bar(handle)
        except WorkflowFailureError as exc:
            cause = exc.cause
            if isinstance(cause, CancelledError):
                err.print(f"[yellow]{workflow_id} was cancelled[/]")
            else:
                err.print(f"[red]{workflow_id} failed:[/] {cause.message if cause else exc}")
            return EXIT_FAILED
    if json_out:
        out.print_json(json.dumps(runner.load_report(result)), highlight=False)
    if isinstance(result, ReleasePrepResult):
        if not json_out:
            _print_release(result)
        return 0 if result.status == "approved" else EXIT_FAILED
    if isinstance(result, ComposedResult):
        if not json_out:
            table = Table("step", "kind", "status", "summary", title=f"{result.workflow_id}")
            for step in result.steps.values():
                table.add_row(step.role, step.kind, step.status, step.summary[:120])
            out.print(table)
            for kind, path in result.artifacts.items():
                out.print(f"{kind:>8}: {path}")
        return 0 if result.status == "completed" else EXIT_FAILED
    if isinstance(result, QualityChecksResult):
        if not json_out:
            _print_team(result.workflow_id, result.agents, result.artifacts)
            for name in result.not_available:
                out.print(f"[dim]{name}: not in the catalog yet[/]")
        failed = any(a.status != "ok" for a in result.agents.values())
        return EXIT_FAILED if failed else 0
    if not json_out:
        _print_summary(result)
    if threshold is not None:
        rank = SEVERITY_RANK[threshold]
        if any(n for sev, n in result.summary.counts.items() if SEVERITY_RANK[sev] >= rank):
            return EXIT_FINDINGS
    return 0


def _print_team(title: str, agents: dict[str, Any], artifacts: dict[str, str] | None) -> None:
    table = Table("agent", "status", "summary", title=title)
    for role, agent in agents.items():
        table.add_row(role, agent.status, agent.summary)
    out.print(table)
    for kind, path in (artifacts or {}).items():
        out.print(f"{kind:>8}: {path}")


def _print_release(result: ReleasePrepResult) -> None:
    rec = result.recommendation
    title = f"{result.workflow_id}: {result.status} (recommended: {rec.verdict})"
    _print_team(title, result.agents, None)
    for blocker in rec.blockers:
        out.print(f"[red]blocker[/]: {blocker}")
    for warning in rec.warnings:
        out.print(f"[yellow]warning[/]: {warning}")
    for event in result.decisions:
        out.print(f"{event.at:%Y-%m-%d %H:%M:%S} {event.action} by {event.reviewer} {event.text}")
    for kind, path in result.artifacts.items():
        out.print(f"{kind:>8}: {path}")


async def _follow_with_bar(handle: Any) -> AuditResult:
    if not err.is_terminal:
        return await runner.follow(handle)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files  {task.fields[findings]} findings"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None, findings=0)

        def show(progress: AuditProgress) -> None:
            bar.update(
                task,
                description=progress.stage,
                total=progress.files_total or None,
                completed=progress.files_scanned,
                findings=progress.findings,
            )

        return await runner.follow(handle, show)


def _print_summary(result: AuditResult) -> None:
    summary = result.summary
    table = Table(title=f"{result.workflow_id}: risk score {summary.risk_score}/100")
    for severity in SEVERITIES:
        table.add_column(severity, justify="right")
    table.add_row(*(str(summary.counts.get(s, 0)) for s in SEVERITIES))
    out.print(table)
    out.print(
        f"{summary.files_scanned} files scanned, {summary.files_skipped} skipped, "
        f"{summary.findings_total} findings in {result.duration_s:.1f}s"
    )
    if summary.top_files:
        out.print(
            "top files: " + ", ".join(f"{t.file} ({t.findings})" for t in summary.top_files[:5])
        )
    for kind, path in result.artifacts.items():
        out.print(f"{kind:>8}: {path}")


@workflow_app.command("status")
def workflow_status(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where a run is: status, stage, progress."""

    async def status() -> dict[str, Any]:
        client = await connect()
        desc = await _describe(client, workflow_id)
        info: dict[str, Any] = {
            "workflow_id": workflow_id,
            "run_id": desc.run_id,
            "workflow": desc.workflow_type,
            "status": desc.status.name.lower() if desc.status else "unknown",
            "stage": desc.typed_search_attributes.get(ATTUNE_STAGE),
            "started_at": desc.start_time.isoformat(),
        }
        entry = {**_catalog(), COMPOSED.name: COMPOSED}.get(desc.workflow_type)
        handle = client.get_workflow_handle(workflow_id)
        if desc.status == WorkflowExecutionStatus.RUNNING:
            if entry is not None and entry.result_type is AuditResult:
                progress = await handle.query(PROGRESS_QUERY, result_type=AuditProgress)
                info["progress"] = progress.model_dump()
            if desc.typed_search_attributes.get(ATTUNE_AWAITING) == "approval":
                pending = await runner.pending_approvals(client, workflow_id)
                info["pending_approvals"] = [p.model_dump(mode="json") for p in pending]
        elif desc.status == WorkflowExecutionStatus.COMPLETED and entry is not None:
            result = await client.get_workflow_handle(
                workflow_id, result_type=entry.result_type
            ).result()
            info["result"] = result.model_dump(
                mode="json", include={"status", "summary", "recommendation", "artifacts"}
            )
        return info

    info = _run(status())
    if json_out:
        out.print_json(json.dumps(info))
        return
    for key, value in info.items():
        out.print(f"{key:>12}: {value}")


@workflow_app.command("cancel")
def workflow_cancel(workflow_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Ask a run to stop; it records itself as cancelled."""

    async def cancel() -> None:
        client = await connect()
        await _describe(client, workflow_id)
        await client.get_workflow_handle(workflow_id).cancel()

    _run(cancel())
    err.print(f"cancellation requested for {workflow_id}")


def _reviewer(reviewer: str | None) -> str:
    return reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


async def _decide(workflow_id: str, signal: str, decision: ApprovalDecision) -> None:
    client = await connect()
    try:
        await runner.send_decision(client, workflow_id, signal, decision)
    except (runner.UnknownWorkflow, runner.NotWaiting) as exc:
        raise UsageProblem(str(exc)) from exc
    except runner.BlockersPresent as exc:
        raise UsageProblem(
            f"{workflow_id} has {len(exc.blockers)} blocker(s) ({exc.blockers[0]}); "
            "approve with --override-blockers to release anyway"
        ) from exc


@app.command("approve")
def approve_command(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    comment: Annotated[str, typer.Option(help="recorded with the decision")] = "",
    reviewer: Annotated[str | None, typer.Option(help="who decides; default $USER")] = None,
    override_blockers: Annotated[
        bool, typer.Option("--override-blockers", help="approve although blockers remain")
    ] = False,
) -> None:
    """Approve a run that waits for a decision (release-prep)."""
    decision = ApprovalDecision(
        reviewer=_reviewer(reviewer), comment=comment, override_blockers=override_blockers
    )
    _run(_decide(workflow_id, APPROVE_SIGNAL, decision))
    err.print(f"approved {workflow_id}")


@app.command("reject")
def reject_command(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why; recorded with the decision")],
    reviewer: Annotated[str | None, typer.Option(help="who decides; default $USER")] = None,
) -> None:
    """Reject a run that waits for a decision (release-prep)."""
    decision = ApprovalDecision(reviewer=_reviewer(reviewer), reason=reason)
    _run(_decide(workflow_id, REJECT_SIGNAL, decision))
    err.print(f"rejected {workflow_id}")


@app.command("escalate")
def escalate_command(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    to: Annotated[str | None, typer.Option(help="sonnet or opus; default: the next tier")] = None,
    reason: Annotated[str, typer.Option(help="why, recorded with the attempt")] = "",
) -> None:
    """Ask a running LLM stage to redo its task on a higher tier."""
    if to is not None and to not in TIERS:
        raise UsageProblem(f"--to must be one of {', '.join(TIERS)}, got {to!r}")
    signal = EscalateSignal(to=to, reason=reason or "asked from the attune CLI")

    async def escalate() -> list[str]:
        client = await connect()
        return await runner.escalate(client, workflow_id, signal)

    targets = _run(escalate())
    if not targets:
        raise UsageProblem(f"no LLM stage of {workflow_id} is running")
    for target in targets:
        err.print(f"escalation requested for {target}")


@app.command("telemetry")
def telemetry_command(
    days: Annotated[int, typer.Option(help="runs started in the last N days", min=0)] = 7,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Usage, cost, savings and cache rates of recent runs, from Temporal visibility."""
    try:
        telemetry.configure_metrics()
    except telemetry.MetricsConfigError as exc:
        raise UsageProblem(str(exc)) from exc

    async def gather() -> telemetry.TelemetryReport:
        return await telemetry.collect(await connect(), days)

    report = _run(gather())
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
    try:
        status = _run(auth.auth_status(check_api=not no_check))
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
    try:
        rec = _run(auth.recommend(file, online=not offline, repeats=repeats))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from exc
    if json_out:
        out.print_json(rec.model_dump_json())
    else:
        auth.render_recommendation(rec, out)


ProjectOption = Annotated[Path, typer.Option("--project", help="the project's directory")]


def _project(path: Path) -> str:
    if not path.exists():
        raise UsageProblem(f"project {str(path)!r} does not exist")
    return memory.project_key(path)


async def _with_worker(work: Any) -> Any:
    """Updates and queries need a worker: run one here when no dedicated one polls."""
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
    if not key.strip():
        raise UsageProblem("the key must not be empty")
    name = _project(project)
    entry = MemoryEntry(key=key, value=value, author=_reviewer(author))
    stored = _run(_with_worker(lambda client: memory.store(client, name, entry)))
    err.print(f"stored {stored.key} for {name}")


def _print_entries(entries: list[MemoryEntry], json_out: bool) -> None:
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
    name = _project(project)
    entries = _run(_with_worker(lambda client: memory.retrieve(client, name, key)))
    if not entries:
        raise UsageProblem(f"nothing stored under {key!r} for {name}")
    _print_entries(entries, json_out)


@memory_app.command("list")
def memory_list_command(
    project: ProjectOption = Path("."),
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Everything the project remembers."""
    name = _project(project)
    _print_entries(_run(_with_worker(lambda client: memory.retrieve(client, name))), json_out)


@app.command("mcp")
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
    from starter.mcp_server import serve  # the MCP SDK loads only for this command

    serve([Path.cwd(), *(root or [])], wait_budget)


def _show_decision(decision: RouteDecision) -> None:
    if decision.workflows:
        out.print(f"workflows: {', '.join(decision.workflows)}")
    if decision.params:
        out.print(f"   params: {', '.join(f'{k}={v}' for k, v in decision.params.items())}")
    out.print(f"confidence: {decision.confidence:.2f}  ({decision.reason})", highlight=False)
    if decision.question:
        out.print(f" question: {decision.question}", highlight=False)
        for number, option in enumerate(decision.options, 1):
            out.print(f"   {number}) {option}", highlight=False)
    for missing in decision.missing:
        nearest = missing.nearest or "none"
        out.print(f"  missing: {missing.workflow} is not available yet; nearest: {nearest}")
    if decision.workflows and not decision.question:
        out.print(describe(decision), highlight=False)


@app.command("route")
def route_command(
    goal: Annotated[list[str], typer.Argument(help="what you want, in plain words")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show where a goal would be routed, without running anything."""
    decision = classify(" ".join(goal))
    if json_out:
        out.print_json(decision.model_dump_json())
    else:
        _show_decision(decision)


@app.command("ask", hidden=True)
def ask_command(
    goal: Annotated[list[str], typer.Argument(help="what you want, in plain words")],
) -> None:
    """Route a goal in plain words and run what it asks for."""
    raise typer.Exit(_route(" ".join(goal), confirm=False))


def _interview() -> None:
    if not sys.stdin.isatty():
        raise UsageProblem('no goal given: attune "what you want", or attune --help')
    goal = typer.prompt("What are you trying to accomplish?")
    raise typer.Exit(_route(goal, confirm=True))


def _prompt(question: str, options: list[str]) -> str:
    listed = "".join(f"\n  {number}) {option}" for number, option in enumerate(options, 1))
    return typer.prompt(f"{question}{listed}\n")


def _route(goal: str, confirm: bool) -> int:
    """Narrow the goal here while a person can answer, then let the Router run it."""
    answers: list[str] = []
    decision = decide(goal, answers)
    while decision.question and sys.stdin.isatty() and len(answers) < MAX_QUESTIONS:
        answers.append(_prompt(decision.question, decision.options))
        decision = decide(goal, answers)
    if decision.question and not sys.stdin.isatty():
        raise UsageProblem(f"not sure what {goal!r} asks for: {decision.question}")
    _show_decision(decision)
    if not decision.question and decision.workflows and decision.workflows[0] in UTILITIES:
        command = UTILITIES[decision.workflows[0]].split()[1:]
        if command[0] in typer.main.get_command(app).commands:
            return main(command)
    runnable = [w for w in decision.workflows if w in CATALOG]
    if not decision.question and not runnable:
        return 0 if decision.workflows else EXIT_USAGE
    if confirm and runnable and not typer.confirm(f"Run {', '.join(runnable)}?", default=True):
        return 0
    return _run(_route_workflow(goal, answers))


async def _route_workflow(goal: str, answers: list[str]) -> int:
    client = await connect()
    request = RouteRequest(
        goal=goal,
        path=str(Path.cwd()),
        answers=answers,
        llm_available=bool(os.environ.get("ANTHROPIC_API_KEY")),
    )
    handle = await client.start_workflow(
        ROUTER,
        request,
        id=f"router-{uuid.uuid4().hex[:8]}",
        task_queue=TASK_QUEUE,
        result_type=RouteResult,
        static_summary=goal[:200],
    )
    err.print(f"started [bold]{handle.id}[/]  (attune dashboard shows what it runs)")
    async with runner.worker_if_needed(client) as local:
        if local:
            err.print("[dim]no worker polls the task queue: running one in this process[/]")
        result = asyncio.ensure_future(handle.result())
        while not result.done():
            asked = await handle.query(QUESTION_QUERY, result_type=dict[str, Any] | None)
            if asked and sys.stdin.isatty():
                reply = await asyncio.to_thread(_prompt, asked["question"], asked["options"])
                await handle.signal(ANSWER_SIGNAL, reply)
            elif asked:
                result.cancel()
                await handle.cancel()
                raise UsageProblem(f"{handle.id} asks: {asked['question']} (no terminal to ask)")
            await asyncio.wait([result], timeout=0.5)
        routed = await result
    for ran in routed.ran:
        out.print(f"{ran.workflow}: {ran.status}  (attune workflow status {ran.workflow_id})")
    out.print(routed.message, highlight=False)
    ok = {"completed", "approved"}
    return 0 if all(r.status in ok for r in routed.ran) else EXIT_FAILED


@app.command("dashboard")
def dashboard_command(
    json_out: Annotated[bool, typer.Option("--json")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="redraw every few seconds")] = False,
    recent: Annotated[int, typer.Option(help="how many recent signals to show", min=1)] = 20,
    interval: Annotated[float, typer.Option(help="--watch refresh, seconds", min=0.5)] = 2.0,
) -> None:
    """Active agents, approvals and questions waiting for you, recent signals."""
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
        _run(show())


@app.command("compose")
def compose_command(
    name: Annotated[str | None, typer.Option(help="the new workflow's name")] = None,
    workflow: Annotated[
        list[str] | None, typer.Option("--workflow", help="a catalog workflow to include")
    ] = None,
    summary: Annotated[bool, typer.Option(help="add an LLM summary step")] = True,
    approval: Annotated[bool, typer.Option(help="end with a human approval")] = True,
    out_file: Annotated[Path | None, typer.Option("--out", help="spec file to write")] = None,
) -> None:
    """Compose an agent team into a workflow spec file (asks when on a terminal)."""
    catalog = _catalog()
    interactive = sys.stdin.isatty() and (name is None or not workflow)
    if interactive:
        name = name or typer.prompt("Name of the new workflow (lowercase-dashed)")
        listed = ", ".join(catalog)
        chosen = typer.prompt(f"Which workflows should the team run? ({listed})")
        workflow = [w.strip() for w in chosen.replace(",", " ").split() if w.strip()]
        summary = typer.confirm("Add an LLM summary of their results?", default=summary)
        approval = typer.confirm("End with a human approval?", default=approval)
    if not name or not workflow:
        raise UsageProblem("compose needs --name and at least one --workflow (or a terminal)")
    unknown = [w for w in workflow if w not in catalog]
    if unknown:
        raise UsageProblem(f"unknown workflow {unknown[0]!r}; one of {', '.join(catalog)}")
    target = out_file or spec_folder() / f"{name}.toml"
    text = compose_spec(name, workflow, summary=summary, approval=approval)
    try:
        spec = write_spec(text, target, set(catalog))
    except SpecError as exc:
        raise UsageProblem(str(exc)) from exc
    out.print(f"wrote {target}: {len(spec.steps)} steps")
    out.print(f"run it: attune workflow run {spec.name} PATH")


@server_app.command("start")
def server_start() -> None:
    """Start the embedded dev server (no-op when one answers)."""
    state = server.start()
    out.print(f"Temporal at {state.address}, UI {state.ui_url}, database {state.database}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the embedded dev server that attune started."""
    out.print("stopped" if server.stop() else "no attune-started server was running")


@server_app.command("status")
def server_status(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Whether the embedded dev server is running."""
    state = server.status()
    info = {
        "running": state.running,
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
        raise typer.Exit(EXIT_FAILED)


@app.command("worker")
def worker_command(
    otel_console: Annotated[
        bool, typer.Option("--otel-console", help="print trace spans to stderr")
    ] = False,
) -> None:
    """Run a worker until SIGTERM/SIGINT."""
    configure_tracing(console=otel_console)
    try:
        telemetry.configure_metrics()
    except telemetry.MetricsConfigError as exc:
        raise UsageProblem(str(exc)) from exc

    async def serve() -> None:
        client = await connect()
        address = client.service_client.config.target_host
        err.print(f"worker polling task queue {TASK_QUEUE!r} on {address}")
        await serve_worker(client)

    _run(serve())


def _complain(message: object) -> None:
    """One plain line on stderr: no wrapping, no markup, no traceback."""
    sys.stderr.write(f"attune: {' '.join(str(message).split())}\n")


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="attune", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        err.print(exc.ctx.get_help() if exc.ctx else "", highlight=False, markup=False)
        return EXIT_USAGE
    except (UsageError, ClickException) as exc:
        _complain(exc.format_message())
        return EXIT_USAGE
    except UsageProblem as exc:
        _complain(exc)
        return EXIT_USAGE
    except (TemporalUnavailable, server.ServerError) as exc:
        _complain(exc)
        return EXIT_FAILED
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:  # the last line of defence: one line, details in the log
        log = attune_home() / "logs" / "cli.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as sink:
            traceback.print_exc(file=sink)
        _complain(f"{type(exc).__name__}: {exc} (details in {log})")
        return EXIT_FAILED
    except typer.Abort:
        err.print("attune: interrupted; a started run goes on (attune workflow watch ID)")
        return 130
    return code if isinstance(code, int) else 0


def run(argv: list[str] | None = None) -> NoReturn:
    """The console script. It leaves with `os._exit`: Temporal's Rust runtime keeps
    threads that can crash CPython's interpreter teardown (a known SDK issue), and
    everything worth keeping has been flushed by then."""
    code = main(argv)
    shutdown_tracing()
    telemetry.shutdown_metrics()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
