"""`attune workflow list|run|watch|status|cancel`: any flow in the registry, or a spec."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from activities.artifacts import shared_artifacts
from starter.cli.common import (
    EXIT_FAILED,
    UsageProblem,
    duration_s,
    err,
    out,
    parse_params,
    run_async,
    severity,
)
from starter.errors import BadRequest
from starter.targets import BadTarget, check_target, prepare
from workflows.registry import Flow, registry

if TYPE_CHECKING:
    from temporalio.client import Client

SPEC_SUFFIXES = frozenset({".toml", ".yaml", ".yml"})

workflow_app = typer.Typer(help="Run and follow attune's workflows.", no_args_is_help=True)


@dataclass(frozen=True)
class Chosen:
    """A flow to run, with the label and spec of a user's composed workflow."""

    flow: Flow
    name: str
    summary: str
    spec: dict[str, Any] | None = None


def _composed() -> Flow:
    for flow in registry():
        if flow.built and flow.request is not None and "spec" in flow.request.model_fields:
            return flow
    raise UsageProblem("no flow in this attune runs workflow specs")


def _spec(path: Path) -> Chosen:
    from starter.specs import SpecError, load_spec

    try:
        spec = load_spec(path, known_workflows={f.name for f in registry().listed()})
    except SpecError as exc:
        raise UsageProblem(str(exc)) from exc
    return Chosen(
        flow=_composed(),
        name=spec.name,
        summary=spec.description,
        spec=spec.model_dump(mode="json"),
    )


def choose(name: str) -> Chosen:
    """A flow's name, a spec file, or the name of a spec in the spec folder."""
    from starter.specs import SpecError, discover_specs, spec_folder

    flow = registry().get(name)
    if flow is not None and flow.listed:
        if flow.planned:
            nearest = f"; the nearest is {flow.nearest}" if flow.nearest else ""
            raise UsageProblem(f"{name} is not available yet{nearest}")
        return Chosen(flow=flow, name=flow.name, summary=flow.summary)
    path = Path(name).expanduser()
    if path.suffix in SPEC_SUFFIXES:
        if not path.is_file():
            raise UsageProblem(f"spec file {name!r} does not exist")
        return _spec(path)
    for spec_path, spec in discover_specs(spec_folder(), {f.name for f in registry().listed()}):
        if not isinstance(spec, SpecError) and spec.name == name:
            return _spec(spec_path)
    raise UsageProblem(f"unknown workflow {name!r}; `attune workflow list` shows them all")


@workflow_app.command("list")
def workflow_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every workflow: built ones, those planned, and your specs."""
    from starter.specs import SpecError, discover_specs, spec_folder

    rows = [
        {
            "name": flow.name,
            "mcp_tool": "" if flow.planned else flow.mcp_tool or "",
            "summary": flow.summary,
            "source": "planned" if flow.planned else "built-in",
            "reports": [] if flow.planned else list(flow.reports),
        }
        for flow in registry()
        if flow.listed or flow.planned
    ]
    for path, spec in discover_specs(spec_folder(), {f.name for f in registry().listed()}):
        if isinstance(spec, SpecError):
            rows.append(
                {
                    "name": path.stem,
                    "mcp_tool": "",
                    "summary": str(spec),
                    "source": "error",
                    "reports": [],
                }
            )
        else:
            rows.append(
                {
                    "name": spec.name,
                    "mcp_tool": "",
                    "summary": spec.description,
                    "source": str(path),
                    "reports": list(_composed().reports),
                }
            )
    if json_out:
        out.print_json(json.dumps(rows))
        return
    table = Table("workflow", "MCP tool", "what it does", "from")
    for row in rows:
        table.add_row(row["name"], row["mcp_tool"], row["summary"], row["source"])
    out.print(table)
    for problem in registry().errors:
        err.print(f"[yellow]skipped[/] {problem}")


@workflow_app.command("run")
def workflow_run(
    name: Annotated[str, typer.Argument(help="a workflow name, e.g. security-audit, or a spec")],
    path: Annotated[Path, typer.Argument(help="directory or file to analyse")] = Path("."),
    json_out: Annotated[bool, typer.Option("--json", help="print the report JSON")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write reports here")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="start and print the id")] = False,
    fail_on: Annotated[str | None, typer.Option(help="exit 3 at this severity or above")] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="LLM budget for the run, in USD", min=0)
    ] = None,
    approval_timeout: Annotated[
        str | None, typer.Option(help="how long to wait for an approval, e.g. 7d, 12h, 30m")
    ] = None,
    param: Annotated[list[str] | None, typer.Option(help="workflow parameter key=value")] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="write the flow's changes (to a new git branch)")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(help="an earlier run's report.json: only findings new since it are open"),
    ] = None,
) -> None:
    """Start a workflow and follow it to its report. Everything is checked first."""
    chosen = choose(name)
    flow: Flow = chosen.flow
    threshold = severity(fail_on, flow.presentation().fail_on)
    try:
        target = check_target(flow, path)
    except BadTarget as exc:
        raise UsageProblem(str(exc)) from exc
    values: dict[str, Any] = parse_params(param or [])
    if "target" in values:
        # DESIGN section 10: `--param target=...` selects inside PATH, as the `select` field.
        if "select" not in flow.request.model_fields:
            raise UsageProblem(f"--param target: the target of {chosen.name} is PATH")
        values.setdefault("select", values.pop("target"))
    for option, field, given in (
        ("--max-cost", "max_cost_usd", max_cost),
        ("--approval-timeout", "approval_timeout_s", approval_timeout),
        ("--baseline", "baseline", baseline),
    ):
        if given is not None and field not in flow.request.model_fields:
            raise UsageProblem(f"{option} does not apply to {chosen.name}")
    if apply:
        if "apply" not in flow.request.model_fields:
            raise UsageProblem(f"{chosen.name} does not write changes")
        values["apply"] = True
    if max_cost is not None:
        values["max_cost_usd"] = max_cost
    if approval_timeout is not None:
        values["approval_timeout_s"] = duration_s(approval_timeout, "--approval-timeout")
    if baseline is not None:
        # Workers read it, from their own working directory: they get it absolute.
        values["baseline"] = str(baseline.expanduser().resolve())
    if chosen.spec is not None:
        values["spec"] = chosen.spec
    values["target"] = str(target)
    save_to = None
    if out_dir is not None:
        # With shared artifacts a worker elsewhere publishes the reports to the store,
        # and this process copies them to --out.
        if shared_artifacts():
            save_to = out_dir.expanduser().resolve()
        else:
            values["out_dir"] = str(out_dir.expanduser().resolve())
    try:
        request = prepare(flow, values)
    except BadRequest as exc:
        prefix = "--param " if exc.errors is not None else ""
        raise UsageProblem(f"{prefix}{exc}") from exc
    raise typer.Exit(
        run_async(_start_and_wait(chosen, request, json_out, no_wait, threshold, save_to))
    )


async def _start_and_wait(
    chosen: Chosen,
    request: BaseModel,
    json_out: bool,
    no_wait: bool,
    threshold: str | None,
    save_to: Path | None,
) -> int:
    from starter import runner
    from starter.connection import connect

    client = await connect()
    handle = await runner.start_workflow(
        client, chosen.flow, request, name=chosen.name, summary=chosen.summary
    )
    err.print(f"started [bold]{handle.id}[/]  (attune workflow watch {handle.id})")
    if no_wait:
        if json_out:
            out.print_json(json.dumps({"workflow_id": handle.id, "run_id": handle.result_run_id}))
        else:
            out.print(handle.id)
        return 0
    return await wait(client, handle.id, json_out, threshold, save_to)


@workflow_app.command("watch")
def workflow_watch(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
    fail_on: Annotated[str | None, typer.Option(help="exit 3 at this severity or above")] = None,
) -> None:
    """Re-attach to a run and wait for it, running a worker here if none polls."""

    async def watch() -> int:
        from starter.connection import connect

        client = await connect()
        return await wait(client, workflow_id, json_out, fail_on)

    raise typer.Exit(run_async(watch()))


async def describe(client: Client, workflow_id: str) -> Any:
    from starter import runner

    try:
        return await runner.describe(client, workflow_id)
    except runner.UnknownWorkflow as exc:
        raise UsageProblem(str(exc)) from exc


def flow_of(workflow_type: str) -> Flow | None:
    flow = registry().get(workflow_type)
    return flow if flow is not None and flow.built else None


async def wait(
    client: Client,
    workflow_id: str,
    json_out: bool,
    fail_on: str | None,
    save_to: Path | None = None,
) -> int:
    from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

    from starter import runner
    from starter.views import load_report, save_reports
    from workflows.errors import root_cause
    from workflows.wire import ATTUNE_AWAITING

    desc = await describe(client, workflow_id)
    flow = flow_of(desc.workflow_type)
    if flow is None:
        raise UsageProblem(f"{workflow_id} is a {desc.workflow_type}, not an attune workflow")
    view = flow.presentation()
    threshold = severity(fail_on, view.fail_on)
    handle = client.get_workflow_handle(workflow_id, result_type=flow.result)
    waiting = desc.typed_search_attributes.get(ATTUNE_AWAITING) == "approval"
    if desc.status == WorkflowExecutionStatus.RUNNING and (waiting or flow.asks_approval):
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
            from temporalio.exceptions import CancelledError

            if isinstance(exc.cause, CancelledError):
                err.print(f"[yellow]{workflow_id} was cancelled[/]")
            else:
                err.print(f"[red]{workflow_id} failed:[/] {root_cause(exc)}", highlight=False)
            return EXIT_FAILED
    if save_to is not None:
        result.artifacts = save_reports(result.artifacts, save_to)
    if json_out:
        out.print_json(json.dumps(load_report(result)), highlight=False)
    else:
        view.render(result, out)
    return view.exit_code(result, threshold)


async def _follow_with_bar(handle: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from starter import runner

    if not err.is_terminal:
        return await runner.follow(handle)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None, detail="")

        def show(progress: Any) -> None:
            bar.update(
                task,
                description=progress.stage,
                total=progress.total or None,
                completed=progress.done,
                detail=progress.detail,
            )

        return await runner.follow(handle, show)


@workflow_app.command("status")
def workflow_status(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where a run is: status, stage, progress, what it waits for."""

    async def status() -> dict[str, Any]:
        from temporalio.client import WorkflowExecutionStatus, WorkflowQueryFailedError

        from starter import runner
        from starter.connection import connect
        from workflows.schemas import Progress
        from workflows.wire import ATTUNE_AWAITING, ATTUNE_STAGE, PROGRESS_QUERY

        client = await connect()
        desc = await describe(client, workflow_id)
        info: dict[str, Any] = {
            "workflow_id": workflow_id,
            "run_id": desc.run_id,
            "workflow": desc.workflow_type,
            "status": desc.status.name.lower() if desc.status else "unknown",
            "stage": desc.typed_search_attributes.get(ATTUNE_STAGE),
            "started_at": desc.start_time.isoformat(),
        }
        flow = flow_of(desc.workflow_type)
        handle = client.get_workflow_handle(workflow_id)
        if desc.status == WorkflowExecutionStatus.RUNNING:
            try:
                progress = await handle.query(PROGRESS_QUERY, result_type=Progress)
                info["progress"] = progress.model_dump()
            except WorkflowQueryFailedError:
                pass
            if desc.typed_search_attributes.get(ATTUNE_AWAITING) == "approval":
                pending = await runner.pending_approvals(client, workflow_id)
                info["pending_approvals"] = [p.model_dump(mode="json") for p in pending]
        elif desc.status == WorkflowExecutionStatus.COMPLETED and flow is not None:
            result = await client.get_workflow_handle(workflow_id, result_type=flow.result).result()
            info["result"] = result.model_dump(
                mode="json", include={"status", "summary", "recommendation", "artifacts"}
            )
        return info

    info = run_async(status())
    if json_out:
        out.print_json(json.dumps(info))
        return
    for key, value in info.items():
        out.print(f"{key:>12}: {value}")


@workflow_app.command("cancel")
def workflow_cancel(workflow_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Ask a run to stop; it records itself as cancelled."""

    async def cancel() -> None:
        from starter.connection import connect

        client = await connect()
        await describe(client, workflow_id)
        await client.get_workflow_handle(workflow_id).cancel()

    run_async(cancel())
    err.print(f"cancellation requested for {workflow_id}")
