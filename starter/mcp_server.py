"""`attune mcp`: the catalog workflows and attune's utilities as MCP tools over stdio.

A tool only starts, signals or reads Temporal workflows; the work itself happens in a
worker. Like the CLI, the server runs one in-process worker while no dedicated
`attune worker` polls, and keeps it for its whole lifetime so a run started by one
call goes on while the assistant polls `workflow_status`.

stdout is the protocol channel. The SDK's stdio transport points fd 1 at stderr while
it serves, so stray prints, Temporal's logs and the scanners' subprocesses cannot
corrupt it; logging goes to stderr. Nothing ever prompts: stdin is the protocol too.
"""

import argparse
import functools
import inspect
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from anyio.abc import TaskGroup, TaskStatus
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field, create_model
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from activities import memory
from activities.artifacts import read_location, shared_artifacts
from activities.routing.classifier import classify
from starter import auth, dashboard, runner, telemetry
from starter.connection import TemporalUnavailable, connect
from starter.errors import BadRequest
from starter.targets import BadTarget, check_target, prepare
from starter.views import Brief
from workflows.errors import root_cause
from workflows.registry import Flow, registry
from workflows.router.models import RouteDecision
from workflows.schemas import (
    SEVERITY_RANK,
    ApprovalDecision,
    MemoryEntry,
    PendingApproval,
    Progress,
)
from workflows.wire import (
    APPROVE_SIGNAL,
    ATTUNE_AWAITING,
    ATTUNE_STAGE,
    PROGRESS_QUERY,
    REJECT_SIGNAL,
)

log = logging.getLogger("attune.mcp")

DEFAULT_WAIT_BUDGET_S = 60.0
POLL_INTERVAL_S = 0.25
TOP_FINDINGS = 10
SERVER_NAME = "attune"

WorkflowName = Literal[tuple(f.name for f in registry().listed())]  # type: ignore[valid-type]
Reviewer = Annotated[str | None, Field(description="Who decides; default: $USER")]


# --- tool outputs ---------------------------------------------------------------------


class FindingBrief(BaseModel):
    rule: str
    severity: str
    cwe: int | None
    file: str
    line: int
    message: str


class RunSummary(BaseModel):
    counts: dict[str, int] = Field(default_factory=dict, description="Findings by severity")
    findings_total: int | None = None
    suppressed: int = Field(
        default=0, description="Findings suppressed (inline, test code, baseline): not counted"
    )
    risk_score: int | None = Field(default=None, description="0-100, higher is riskier")
    recommendation: Literal["go", "no-go"] | None = None
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class RunResult(BaseModel):
    """Where a run stands. While `status` is `running`, poll `workflow_status`."""

    workflow_id: str
    workflow: str
    status: str = Field(
        description="running; completed (audits); approved, rejected or timed_out (releases); "
        "failed, cancelled, terminated or timed_out (the run itself)"
    )
    stage: str | None = None
    progress: Progress | None = None
    pending_approval: PendingApproval | None = Field(
        default=None, description="Set while the run waits for `approve` or `reject`"
    )
    summary: RunSummary | None = None
    top_findings: list[FindingBrief] = Field(
        default_factory=list, description=f"At most {TOP_FINDINGS}, most severe first"
    )
    report_paths: dict[str, str] = Field(default_factory=dict)
    message: str = ""


# --- paths ----------------------------------------------------------------------------


def allowed_path(raw: str, roots: list[Path], *, must_exist: bool = True) -> Path:
    """The resolved path (symlinks followed), refused unless it lies under a root.

    The roots check comes before the existence check so that a refused path reveals
    nothing about what exists outside the roots.
    """
    try:
        resolved = Path(raw).expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise ToolError(f"cannot resolve {raw!r}: {exc}") from exc
    if not any(resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots)
        raise ToolError(
            f"{raw!r} is outside the allowed roots ({allowed}); "
            "start the server with `attune mcp --root DIR` to allow more"
        )
    if must_exist and not resolved.exists():
        raise ToolError(f"{raw!r} does not exist")
    return resolved


def request_for(flow: Flow, path: str, params: dict[str, Any], roots: list[Path]) -> Any:
    """The workflow's request, with every path in it checked against the roots and the
    target checked against what the flow needs, before anything starts."""
    try:
        target = check_target(flow, allowed_path(path, roots))
    except BadTarget as exc:
        raise ToolError(str(exc)) from exc
    values = {**params, "target": str(target)}
    if params.get("out_dir") and shared_artifacts():
        raise ToolError(
            "out_dir: with ATTUNE_ARTIFACTS set the reports are published to the store, and "
            "the run's result names them"
        )
    if params.get("out_dir"):
        values["out_dir"] = str(allowed_path(params["out_dir"], roots, must_exist=False))
    try:
        return prepare(flow, values)
    except BadRequest as exc:
        if exc.errors is not None:
            raise ToolError(f"invalid parameters for {flow.name}: {exc.errors}") from exc
        raise ToolError(str(exc)) from exc


def tool_input_model(flow: Flow) -> type[BaseModel]:
    """The request type with `path` (checked against the roots) in place of `target`,
    without the fields a flow marks `json_schema_extra={"mcp": False}` (a command to run
    on the worker is for the person at the CLI, not for whatever client speaks MCP)."""
    fields: dict[str, Any] = {
        "path": (str, Field(description="File or directory, under an allowed root")),
    }
    assert flow.request is not None and flow.mcp_tool is not None
    for name, info in flow.request.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if name != "target" and extra.get("mcp", True):
            fields[name] = (info.annotation, info)
    model_name = "".join(part.title() for part in flow.mcp_tool.split("_")) + "Input"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


def typed_tool(
    name: str, model: type[BaseModel], body: Callable[..., Awaitable[RunResult]]
) -> Callable[..., Awaitable[RunResult]]:
    """A function whose signature is `model`'s fields, so the SDK publishes them as the
    tool's input schema, flat, with their types, bounds, defaults and descriptions."""

    async def tool(**arguments: Any) -> RunResult:
        return await body(**arguments)

    parameters = [
        inspect.Parameter(
            field,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if info.is_required() else info.default,
            annotation=Annotated[info.annotation, info],
        )
        for field, info in model.model_fields.items()
    ]
    tool.__name__ = name
    tool.__signature__ = inspect.Signature(parameters, return_annotation=RunResult)  # type: ignore[attr-defined]
    return tool


# --- results --------------------------------------------------------------------------


def top_findings(report_json: str | None) -> list[FindingBrief]:
    """Read from the report on disk: the workflow result carries only a claim check."""
    if not report_json:
        return []
    try:
        findings = json.loads(read_location(report_json))["findings"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot read findings from %s: %s", report_json, exc)
        return []
    # Suppressed and accepted findings stay in the report, not among an assistant's top ones.
    open_findings = [
        f for f in findings if f.get("suppressed") is None and f.get("accepted_risk") is None
    ]
    ranked = sorted(open_findings, key=lambda f: -SEVERITY_RANK.get(f.get("severity"), -1))
    return [
        FindingBrief(
            rule=f["rule_id"],
            severity=f["severity"],
            cwe=f.get("cwe"),
            file=f["file"],
            line=f["line"],
            message=f["message"],
        )
        for f in ranked[:TOP_FINDINGS]
    ]


def finished(base: RunResult, brief: Brief) -> RunResult:
    """A finished run as its flow's view sums it up, with the top findings on disk."""
    summary = RunSummary(
        counts=brief.counts,
        findings_total=brief.findings_total,
        suppressed=brief.suppressed,
        risk_score=brief.risk_score,
        recommendation=brief.recommendation,
        blockers=brief.blockers,
        warnings=brief.warnings,
    )
    return base.model_copy(
        update={
            "status": brief.status,
            "summary": summary,
            "top_findings": top_findings(brief.findings_report),
            "report_paths": brief.artifacts,
        }
    )


async def describe(client: Client, workflow_id: str) -> WorkflowExecutionDescription:
    try:
        return await runner.describe(client, workflow_id)
    except runner.UnknownWorkflow as exc:
        raise ToolError(str(exc)) from exc


async def snapshot(client: Client, workflow_id: str) -> RunResult:
    desc = await describe(client, workflow_id)
    flow = registry().get(desc.workflow_type)
    if flow is None or not flow.built:
        raise ToolError(f"{workflow_id} is a {desc.workflow_type}, not an attune workflow")
    status = desc.status or WorkflowExecutionStatus.RUNNING
    base = RunResult(
        workflow_id=workflow_id,
        workflow=flow.name,
        status=status.name.lower(),
        stage=desc.typed_search_attributes.get(ATTUNE_STAGE),
    )
    handle = client.get_workflow_handle(workflow_id, result_type=flow.result)
    if status == WorkflowExecutionStatus.RUNNING:
        return await _running(client, base, flow)
    try:
        result = await handle.result()
    except WorkflowFailureError as exc:
        return base.model_copy(update={"message": root_cause(exc)})
    return finished(base, flow.presentation().brief(result))


async def _running(client: Client, base: RunResult, flow: Flow) -> RunResult:
    """What the run waits for, then its progress, both from the run itself (queries):
    a run that waits for a decision stays at that stage until one arrives, so the
    stage read second agrees with the approval read first. A query can race the run's
    first task or its end; the snapshot is still useful without it."""
    handle = client.get_workflow_handle(base.workflow_id)
    update: dict[str, Any] = {}
    try:
        if flow.asks_approval:
            pending = await runner.pending_approvals(client, base.workflow_id)
            update["pending_approval"] = next(iter(pending), None)
        progress = await handle.query(PROGRESS_QUERY, result_type=Progress)
        update.update(progress=progress, stage=progress.stage)
    except (WorkflowQueryFailedError, RPCError) as exc:
        log.info("query of %s failed: %s", base.workflow_id, exc)
    return base.model_copy(update=update)


def awaiting_approval(desc: WorkflowExecutionDescription) -> bool:
    return desc.typed_search_attributes.get(ATTUNE_AWAITING) == "approval"


# --- the server -----------------------------------------------------------------------


class Backend:
    """One Temporal client, connected on first use so the handshake never waits for
    Temporal, and the in-process worker that lives as long as the server."""

    def __init__(self, roots: list[Path], wait_budget_s: float) -> None:
        self.roots = [root.expanduser().resolve() for root in roots]
        self.wait_budget_s = wait_budget_s
        self._client: Client | None = None

    @asynccontextmanager
    async def lifespan(self, _server: MCPServer[None]) -> AsyncIterator[None]:
        """The worker is stopped by an event rather than by cancellation, so its
        graceful shutdown gets to finish in-flight activities."""
        self._lock = anyio.Lock()
        self._stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            self._tasks: TaskGroup = tasks
            try:
                yield
            finally:
                self._stop.set()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                try:
                    client = await connect()
                except TemporalUnavailable as exc:
                    raise ToolError(str(exc)) from exc
                await self._tasks.start(self._keep_worker, client)
                self._client = client
        return self._client

    async def _keep_worker(
        self, client: Client, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        async with runner.worker_if_needed(client) as local:
            if local:
                log.info("no dedicated worker polls the task queue: running one in this process")
            task_status.started()
            await self._stop.wait()

    async def wait(self, workflow_id: str, *, until_decision: bool) -> RunResult:
        """Wait up to the budget for the run to close. A run waiting for a person is not
        worth waiting on, unless a decision was just sent and is being applied."""
        client = await self.client()
        with anyio.move_on_after(self.wait_budget_s):
            while True:
                desc = await describe(client, workflow_id)
                if desc.status != WorkflowExecutionStatus.RUNNING:
                    break
                if awaiting_approval(desc) and not until_decision:
                    break
                await anyio.sleep(POLL_INTERVAL_S)
        return await snapshot(client, workflow_id)

    async def run(self, flow: Flow, path: str, params: dict[str, Any]) -> RunResult:
        request = request_for(flow, path, params, self.roots)
        client = await self.client()
        handle = await runner.start_workflow(client, flow, request)
        log.info("started %s", handle.id)
        return await self.wait(handle.id, until_decision=False)

    async def decide(self, workflow_id: str, signal: str, decision: ApprovalDecision) -> RunResult:
        client = await self.client()
        try:
            await runner.send_decision(client, workflow_id, signal, decision)
        except (runner.UnknownWorkflow, runner.NotWaiting) as exc:
            raise ToolError(str(exc)) from exc
        except runner.BlockersPresent as exc:
            raise ToolError(
                f"{workflow_id} has {len(exc.blockers)} blocker(s) ({exc}); "
                "approve with override_blockers=true to release anyway"
            ) from exc
        return await self.wait(workflow_id, until_decision=True)


async def run_flow(backend: Backend, flow: Flow, path: str, **params: Any) -> RunResult:
    """Unset optional parameters stay out, so the request type's own defaults apply."""
    return await backend.run(flow, path, {k: v for k, v in params.items() if v is not None})


def reviewer_name(reviewer: str | None) -> str:
    return reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "mcp"


def build_server(
    roots: list[Path], wait_budget_s: float = DEFAULT_WAIT_BUDGET_S
) -> MCPServer[None]:
    backend = Backend(roots, wait_budget_s)
    mcp: MCPServer[None] = MCPServer(
        SERVER_NAME,
        instructions=(
            "attune runs developer workflows (security audit, release prep) as durable "
            f"Temporal workflows. A call waits up to {wait_budget_s:g}s; a run still going "
            "returns status `running`: poll `workflow_status` with its workflow_id. Paths "
            "must lie under: " + ", ".join(str(root) for root in backend.roots)
        ),
        lifespan=backend.lifespan,
    )

    for tool, flow in registry().by_mcp_tool().items():
        mcp.add_tool(
            typed_tool(tool, tool_input_model(flow), functools.partial(run_flow, backend, flow)),
            name=tool,
            description=f"Run the {flow.name} workflow: {flow.summary}.",
        )

    @mcp.tool()
    async def workflow_run(
        name: Annotated[WorkflowName, Field(description="Catalog workflow name")],
        path: Annotated[str, Field(description="File or directory, under an allowed root")],
        params: Annotated[
            dict[str, Any] | None, Field(description="The workflow's optional request parameters")
        ] = None,
    ) -> RunResult:
        """Run any catalog workflow by name."""
        if params and "target" in params:
            raise ToolError("give the target as `path`, not in params")
        flow = registry().get(name)
        if flow is None or not flow.built or not flow.listed:
            raise ToolError(f"unknown workflow {name!r}")
        return await backend.run(flow, path, params or {})

    @mcp.tool()
    async def workflow_status(
        workflow_id: Annotated[str, Field(description="Id returned by a run")],
    ) -> RunResult:
        """Status, stage and progress of a run, or its summary and reports once it is done."""
        return await snapshot(await backend.client(), workflow_id)

    @mcp.tool()
    async def approve(
        workflow_id: str,
        reviewer: Reviewer = None,
        comment: str = "",
        override_blockers: Annotated[
            bool, Field(description="Approve although the recommendation lists blockers")
        ] = False,
    ) -> RunResult:
        """Approve a run waiting for a decision (release-prep)."""
        decision = ApprovalDecision(
            reviewer=reviewer_name(reviewer), comment=comment, override_blockers=override_blockers
        )
        return await backend.decide(workflow_id, APPROVE_SIGNAL, decision)

    @mcp.tool()
    async def reject(
        workflow_id: str,
        reason: Annotated[str, Field(min_length=1, description="Why; recorded with the run")],
        reviewer: Reviewer = None,
    ) -> RunResult:
        """Reject a run waiting for a decision (release-prep)."""
        decision = ApprovalDecision(reviewer=reviewer_name(reviewer), reason=reason)
        return await backend.decide(workflow_id, REJECT_SIGNAL, decision)

    @mcp.tool()
    async def auth_status(
        check_api: Annotated[
            bool, Field(description="Ask the Anthropic API whether the key works (free)")
        ] = True,
    ) -> auth.AuthStatus:
        """Credentials (masked), models and prices in force, and whether the API answers."""
        try:
            return await auth.auth_status(check_api=check_api)
        except ValueError as exc:
            raise ToolError(str(exc)) from exc

    @mcp.tool()
    async def auth_recommend(
        path: Annotated[str, Field(description="The file you would send to Claude")],
        repeats: Annotated[int, Field(ge=1, description="How many times it will be sent")] = 1,
        offline: Annotated[bool, Field(description="Estimate without calling the API")] = False,
    ) -> auth.Recommendation:
        """Token count, cost per tier, and a start tier and mode for sending a file."""
        checked = allowed_path(path, backend.roots)
        try:
            return await auth.recommend(checked, online=not offline, repeats=repeats)
        except ValueError as exc:
            raise ToolError(str(exc)) from exc

    @mcp.tool()
    async def telemetry_stats(
        days: Annotated[int, Field(ge=0, description="Runs started in the last N days")] = 7,
    ) -> telemetry.TelemetryReport:
        """Usage, cost, savings and cache rates of recent runs, from Temporal visibility."""
        return await telemetry.collect(await backend.client(), days)

    @mcp.tool()
    async def dashboard_status(
        recent: Annotated[int, Field(ge=1, le=200, description="Recent signals to show")] = 20,
    ) -> dashboard.Dashboard:
        """Running agents, approvals and questions waiting for people, recent signals."""
        return await dashboard.snapshot(await backend.client(), recent)

    @mcp.tool()
    async def route(
        goal: Annotated[str, Field(min_length=1, description="What you want, in plain words")],
    ) -> RouteDecision:
        """Where a goal would be routed (workflows, inferred params, the question it would
        ask when unsure), without running anything."""
        return classify(goal)

    @mcp.tool()
    async def memory_store(
        project: Annotated[str, Field(description="The project's directory")],
        key: Annotated[str, Field(min_length=1, description="e.g. accepted-risk:<fingerprint>")],
        value: Annotated[str, Field(description="What to remember")],
        author: Reviewer = None,
    ) -> MemoryEntry:
        """Remember a project decision that later runs respect."""
        checked = allowed_path(project, backend.roots)
        entry = MemoryEntry(key=key, value=value, author=reviewer_name(author))
        client = await backend.client()
        return await memory.store(client, memory.project_key(checked), entry)

    @mcp.tool()
    async def memory_retrieve(
        project: Annotated[str, Field(description="The project's directory")],
        key: Annotated[str | None, Field(description="A key, a `prefix*`, or all")] = None,
    ) -> list[MemoryEntry]:
        """What a project remembers."""
        checked = allowed_path(project, backend.roots)
        client = await backend.client()
        return await memory.retrieve(client, memory.project_key(checked), key)

    return mcp


def serve(roots: list[Path], wait_budget_s: float = DEFAULT_WAIT_BUDGET_S) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin."""
    build_server(roots, wait_budget_s).run("stdio")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="attune mcp", description="attune's workflows as MCP tools over stdio"
    )
    parser.add_argument(
        "--root",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="also allow paths under DIR (the working directory is always allowed)",
    )
    parser.add_argument(
        "--wait-budget",
        type=float,
        default=DEFAULT_WAIT_BUDGET_S,
        metavar="SECONDS",
        help="how long a call waits for its run before returning `running`",
    )
    args = parser.parse_args(argv)
    if args.wait_budget < 0:
        parser.error("--wait-budget must be 0 or more")
    serve([Path.cwd(), *args.root], args.wait_budget)


if __name__ == "__main__":
    main(sys.argv[1:])
