"""The dashboard: what attune runs now, what waits for a person, who signalled what.

Everything comes from Temporal itself (visibility, queries and histories), so it is
the same truth from any machine and needs no state of its own: a run that is not in
Temporal is not running, and a decision that is not in a history was not made.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution

from starter import runner
from workflows.registry import registry
from workflows.schemas import PendingApproval
from workflows.wire import (
    AGENT,
    ANSWER_SIGNAL,
    APPROVE_SIGNAL,
    ATTUNE_AWAITING,
    ATTUNE_STAGE,
    ATTUNE_TIER,
    ATTUNE_WORKFLOW,
    ESCALATE_SIGNAL,
    QUESTION_QUERY,
    REJECT_SIGNAL,
    ROUTER,
    TEAM,
    TIER_ESCALATION,
)

SHOWN_SIGNALS = frozenset({APPROVE_SIGNAL, REJECT_SIGNAL, ESCALATE_SIGNAL, ANSWER_SIGNAL})


def attune_runs() -> str:
    """attune's runs; building blocks started before every run set AttuneWorkflow too."""
    agents = sorted({f.team.agent for f in registry() if f.team and f.built})
    blocks = (TIER_ESCALATION, TEAM, AGENT, ROUTER, *agents)
    return (
        "(AttuneWorkflow IS NOT NULL OR WorkflowType IN ("
        + ", ".join(f'"{name}"' for name in blocks)
        + "))"
    )


RUNNING = 'ExecutionStatus = "Running"'
HISTORY_READS = 8
"""Histories fetched at once: enough to be quick, few enough to spare the server."""


class ActiveAgent(BaseModel):
    workflow_id: str
    run_id: str
    type: str
    workflow: str | None = Field(description="AttuneWorkflow: the catalog run it belongs to")
    parent_id: str | None
    stage: str | None
    tier: str | None
    started_at: datetime
    elapsed_s: float


class ApprovalWait(BaseModel):
    workflow_id: str
    type: str
    approvals: list[PendingApproval]


class QuestionWait(BaseModel):
    workflow_id: str
    question: str | None
    options: list[str]


class SignalEvent(BaseModel):
    at: datetime
    workflow_id: str
    run_id: str
    type: str
    signal: str
    input: Any = None


class Dashboard(BaseModel):
    at: datetime
    active: list[ActiveAgent]
    approvals: list[ApprovalWait]
    questions: list[QuestionWait]
    signals: list[SignalEvent]


async def _listed(client: Client, query: str, limit: int | None = None) -> list[Any]:
    return [execution async for execution in client.list_workflows(query, limit=limit)]


def _active(execution: WorkflowExecution, now: datetime) -> ActiveAgent:
    attributes = execution.typed_search_attributes
    return ActiveAgent(
        workflow_id=execution.id,
        run_id=execution.run_id,
        type=execution.workflow_type,
        workflow=attributes.get(ATTUNE_WORKFLOW),
        parent_id=execution.parent_id,
        stage=attributes.get(ATTUNE_STAGE),
        tier=attributes.get(ATTUNE_TIER),
        started_at=execution.start_time,
        elapsed_s=round((now - execution.start_time).total_seconds(), 1),
    )


async def _approvals(client: Client, execution: WorkflowExecution) -> ApprovalWait | None:
    """None when the run decided between the listing and the query: nothing waits then."""
    try:
        approvals = await runner.pending_approvals(client, execution.id)
    except Exception:
        return None
    if not approvals:
        return None
    return ApprovalWait(workflow_id=execution.id, type=execution.workflow_type, approvals=approvals)


async def _question(client: Client, execution: WorkflowExecution) -> QuestionWait | None:
    try:
        asked = await client.get_workflow_handle(execution.id).query(
            QUESTION_QUERY, result_type=dict[str, Any] | None
        )
    except Exception:
        return None
    if not asked:
        return None
    return QuestionWait(
        workflow_id=execution.id,
        question=asked.get("question"),
        options=list(asked.get("options") or []),
    )


async def _signals(client: Client, execution: WorkflowExecution) -> list[SignalEvent]:
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    found: list[SignalEvent] = []
    async for event in handle.fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            continue
        attributes = event.workflow_execution_signaled_event_attributes
        if attributes.signal_name not in SHOWN_SIGNALS:
            continue
        values = await client.data_converter.decode(attributes.input.payloads)
        found.append(
            SignalEvent(
                at=event.event_time.ToDatetime(UTC),
                workflow_id=execution.id,
                run_id=execution.run_id,
                type=execution.workflow_type,
                signal=attributes.signal_name,
                input=values[0] if len(values) == 1 else values or None,
            )
        )
    return found


async def _bounded[T](calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(HISTORY_READS)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def waiting(client: Client) -> tuple[list[ApprovalWait], list[QuestionWait]]:
    """What waits for a person now: runs that ask for an approval, Routers that ask a
    question; each read from the run itself (a run that decided meanwhile drops out)."""
    approval_runs, question_runs = await asyncio.gather(
        _listed(client, f'{ATTUNE_AWAITING.name} = "approval" AND {RUNNING}'),
        _listed(client, f'{ATTUNE_AWAITING.name} = "answer" AND {RUNNING}'),
    )
    approvals = await _bounded([lambda e=e: _approvals(client, e) for e in approval_runs])
    questions = await _bounded([lambda e=e: _question(client, e) for e in question_runs])
    return [a for a in approvals if a is not None], [q for q in questions if q is not None]


async def snapshot(client: Client, recent: int = 20, histories: int = 50) -> Dashboard:
    """The whole picture at one moment; signals come from the `histories` most recent
    attune runs, since visibility cannot search inside histories."""
    now = datetime.now(UTC)
    running, (approvals, questions), recent_runs = await asyncio.gather(
        _listed(client, f"{attune_runs()} AND {RUNNING}"),
        waiting(client),
        _listed(client, attune_runs(), limit=histories),
    )
    signals = await _bounded([lambda e=e: _signals(client, e) for e in recent_runs])
    latest = sorted((s for found in signals for s in found), key=lambda s: s.at, reverse=True)
    return Dashboard(
        at=now,
        active=sorted((_active(e, now) for e in running), key=lambda a: a.started_at, reverse=True),
        approvals=approvals,
        questions=questions,
        signals=latest[:recent],
    )


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _payload(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def view(dashboard: Dashboard) -> Group:
    """The dashboard as one renderable, so printing and Live share it."""
    active = Table(title=f"Active agents ({len(dashboard.active)})", title_justify="left")
    for column in ("workflow id", "type", "stage", "tier", "elapsed"):
        active.add_column(column)
    for agent in dashboard.active:
        active.add_row(
            agent.workflow_id,
            agent.type,
            agent.stage or "",
            agent.tier or "",
            _elapsed(agent.elapsed_s),
        )
    waiting = Table(
        title=f"Waiting for you ({len(dashboard.approvals) + len(dashboard.questions)})",
        title_justify="left",
    )
    for column in ("kind", "workflow id", "what", "do"):
        waiting.add_column(column)
    for wait in dashboard.approvals:
        for approval in wait.approvals:
            blockers = f", {len(approval.blockers)} blocker(s)" if approval.blockers else ""
            waiting.add_row(
                "approval",
                wait.workflow_id,
                f"{approval.what}: {approval.recommendation}{blockers}",
                f"attune approve {wait.workflow_id}",
            )
    for question in dashboard.questions:
        options = f" [{', '.join(question.options)}]" if question.options else ""
        waiting.add_row(
            "answer",
            question.workflow_id,
            f"{question.question or ''}{options}",
            f"temporal workflow signal --name answer --input '\"...\"' -w {question.workflow_id}",
        )
    signals = Table(title=f"Recent signals ({len(dashboard.signals)})", title_justify="left")
    for column in ("time", "workflow id", "signal", "input"):
        signals.add_column(column)
    for event in dashboard.signals:
        signals.add_row(
            f"{event.at.astimezone():%Y-%m-%d %H:%M:%S}",
            event.workflow_id,
            event.signal,
            _payload(event.input),
        )
    return Group(active, waiting, signals)


def render(dashboard: Dashboard, console: Console) -> None:
    console.print(view(dashboard))


async def watch(client: Client, console: Console, interval_s: float, recent: int = 20) -> None:
    """Redraw in place until cancelled (Ctrl-C); Live keeps the screen from scrolling."""
    with Live(console=console, auto_refresh=False) as live:
        while True:
            live.update(view(await snapshot(client, recent)), refresh=True)
            await asyncio.sleep(interval_s)
