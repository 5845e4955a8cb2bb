"""attune's Python API: start, follow, decide on and read any flow from your own code.

    from attune import Attune

    async with await Attune.connect() as attune:
        result = await attune.run("security-audit", target="./src")
        print(result.summary.counts)

`Attune.connect()` finds Temporal the way the `attune` CLI does (envconfig profiles
and `TEMPORAL_*` variables, else the embedded dev server) and, like the CLI, runs a
worker in this process while it waits when no `attune worker` polls the task queue.
Requests and results are the flows' own pydantic models (`attune.flow(name).request`
and `.result`); every refusal and failure is a typed error from `starter.errors`.
`connect_sync()` gives the same API without `await`, for scripts and notebooks. A
script ends best with `leave(code)`: Temporal's runtime can crash the interpreter's
teardown, which `leave` skips once everything is flushed.

This is a facade over `starter.runner` and the registry, the code the CLI and the MCP
server run too: one way to start, follow and decide on a run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, Field
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.exceptions import CancelledError, TerminatedError, TimeoutError

from activities.artifacts import RAW_JSON, ArtifactStore
from activities.reports import REPORT_FILES
from starter import dashboard, runner
from starter.cli.common import leave
from starter.cli.common import reviewer as reviewer_or_user
from starter.connection import connect as connect_client
from starter.errors import (
    BadRequest,
    BlockersPresent,
    NotWaiting,
    RunFailed,
    UnknownFlow,
    UnknownWorkflow,
)
from starter.targets import prepare
from workflows.errors import root_cause
from workflows.registry import Flow, registry
from workflows.schemas import TIERS, ApprovalDecision, EscalateSignal, PendingApproval, Progress
from workflows.wire import (
    ANSWER_SIGNAL,
    APPROVE_SIGNAL,
    ESCALATE_SIGNAL,
    QUESTION_QUERY,
    REJECT_SIGNAL,
    SET_BUDGET_SIGNAL,
    SET_CEILING_SIGNAL,
)

__all__ = [
    "Attune",
    "AttuneSync",
    "BadRequest",
    "BlockersPresent",
    "NotWaiting",
    "Run",
    "RunFailed",
    "RunSync",
    "UnknownFlow",
    "UnknownWorkflow",
    "Waiting",
    "connect",
    "connect_sync",
    "leave",
]

CLOSED_STATUS = {
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


class Waiting(BaseModel):
    """What waits for a person now, across all runs of the namespace."""

    approvals: list[dashboard.ApprovalWait] = Field(default_factory=list)
    questions: list[dashboard.QuestionWait] = Field(default_factory=list)


def _failure(workflow_id: str, err: WorkflowFailureError) -> RunFailed:
    cause = err.cause
    if isinstance(cause, CancelledError):
        status = "cancelled"
    elif isinstance(cause, TerminatedError):
        status = "terminated"
    elif isinstance(cause, TimeoutError):
        status = "timed_out"
    else:
        status = "failed"
    return RunFailed(workflow_id, status, root_cause(err))


class Run:
    """One run of a flow: follow it, decide on it, read its result and report.

    Get one from `Attune.start` or `Attune.attach`; `id` is the workflow id, which
    any machine can `attach` to later.
    """

    def __init__(self, attune: Attune, flow: Flow, handle: WorkflowHandle[Any, Any]) -> None:
        self.attune = attune
        self.flow = flow
        self.handle = handle

    @property
    def id(self) -> str:
        return self.handle.id

    def __repr__(self) -> str:
        return f"Run({self.flow.name!r}, id={self.id!r})"

    async def result(self) -> BaseModel:
        """Wait for the run and return its result (an instance of `flow.result`).
        RunFailed when it failed, was cancelled, terminated or timed out. A run that
        waits for an approval waits here until someone decides."""
        async with self.attune.serving():
            try:
                return await self.handle.result()
            except WorkflowFailureError as err:
                raise _failure(self.id, err) from err

    async def progress(
        self, interval_s: float = runner.PROGRESS_INTERVAL_S
    ) -> AsyncIterator[Progress]:
        """Each change of the run's progress (stage, done, total, detail) until the run
        closes, ending with its last state; the run's outcome is `result()`'s to tell.
        Break out of the loop whenever you like (wrap it in `contextlib.aclosing` to
        stop asking at once)."""
        async with self.attune.serving():
            async for progress in runner.progress_of(self.handle, interval_s):
                yield progress

    async def status(self) -> str:
        """running, completed, failed, cancelled, terminated, continued_as_new or timed_out."""
        desc = await runner.describe(self.attune.client, self.id)
        status = desc.status or WorkflowExecutionStatus.RUNNING
        return CLOSED_STATUS.get(status, status.name.lower())

    async def pending_approvals(self) -> list[PendingApproval]:
        """The decisions the run waits for now, with the blockers and warnings to weigh;
        empty when it waits for none. NotWaiting when the flow never asks."""
        try:
            async with self.attune.serving():
                return await runner.pending_approvals(self.attune.client, self.id)
        except WorkflowQueryFailedError as err:
            raise NotWaiting(f"{self.id} does not take approvals: {err}") from err

    async def approve(
        self, *, reviewer: str | None = None, comment: str = "", override_blockers: bool = False
    ) -> None:
        """See `Attune.approve`."""
        await self.attune.approve(
            self.id, reviewer=reviewer, comment=comment, override_blockers=override_blockers
        )

    async def reject(self, *, reason: str, reviewer: str | None = None) -> None:
        """See `Attune.reject`."""
        await self.attune.reject(self.id, reason=reason, reviewer=reviewer)

    async def report(self) -> dict[str, Any]:
        """See `Attune.report`."""
        return await self.attune.report(self.id)

    async def cancel(self) -> None:
        """Ask the run to stop; it records itself as cancelled (`result()` raises
        RunFailed with status cancelled)."""
        await self.handle.cancel()


class Attune:
    """A connection to attune's flows on one Temporal namespace.

    Make one with `await Attune.connect()`, or wrap a `Client` you connected with
    attune's data converter (`temporalio.contrib.pydantic.pydantic_data_converter`).
    Use it as an async context manager, or `await close()`, so that a worker it runs
    in this process stops with it.
    """

    def __init__(
        self,
        client: Client,
        *,
        local_worker: bool = True,
        store: ArtifactStore | None = None,
    ) -> None:
        """`local_worker`: run a worker in this process while waiting when no
        `attune worker` polls (as the CLI does); False leaves the work to your fleet.
        `store`: where reports are read (default: the store `ATTUNE_ARTIFACTS` names)."""
        self.client = client
        self.local_worker = local_worker
        self.store = store or ArtifactStore()
        self._lock = asyncio.Lock()
        self._waiters = 0
        self._worker: AsyncExitStack | None = None

    @classmethod
    async def connect(
        cls,
        *,
        profile: str | None = None,
        start_embedded: bool = True,
        local_worker: bool = True,
    ) -> Self:
        """Connect as the CLI does: the envconfig `profile` (default `$TEMPORAL_PROFILE`
        or `default`) with `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`
        and TLS settings over it; with no address configured, the embedded dev server
        (started when nothing answers, unless `start_embedded` is False)."""
        client = await connect_client(start_embedded=start_embedded, profile=profile)
        return cls(client, local_worker=local_worker)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the in-process worker, if one runs (its activities finish first)."""
        async with self._lock:
            if self._worker is not None:
                await self._worker.aclose()
                self._worker = None

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """While inside, runs make progress: a worker runs in this process when no
        dedicated one polls. Nested and concurrent waits share that one worker."""
        if not self.local_worker:
            yield
            return
        async with self._lock:
            if self._worker is None:
                stack = AsyncExitStack()
                await stack.enter_async_context(runner.worker_if_needed(self.client))
                self._worker = stack
            self._waiters += 1
        try:
            yield
        finally:
            async with self._lock:
                self._waiters -= 1
                if self._waiters == 0 and self._worker is not None:
                    await self._worker.aclose()
                    self._worker = None

    # --- flows and requests ---------------------------------------------------------

    def flows(self) -> list[Flow]:
        """Every flow that can run, built-ins and installed plugins."""
        return registry().built()

    def flow(self, name: str) -> Flow:
        """The flow `name`; its `request` and `result` are the wire's pydantic models."""
        flow = registry().get(name)
        if flow is None or not flow.built:
            known = ", ".join(f.name for f in self.flows())
            raise UnknownFlow(f"unknown flow {name!r}; known: {known}")
        return flow

    def request(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> BaseModel:
        """The flow's request from a model, a mapping or keyword parameters (merged),
        checked as the CLI checks it: BadRequest (with pydantic's error in `errors`)
        for a bad field, a target the flow cannot use or one its own check refuses."""
        chosen = self.flow(flow)
        if isinstance(request, BaseModel) and not params:
            return prepare(chosen, request)
        values = request.model_dump() if isinstance(request, BaseModel) else dict(request or {})
        values.update(params)
        return prepare(chosen, values)

    # --- runs -----------------------------------------------------------------------

    async def start(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> Run:
        """Start a run and return at once; the request as for `request()`."""
        chosen = self.flow(flow)
        handle = await runner.start_workflow(
            self.client, chosen, self.request(flow, request, **params)
        )
        return Run(self, chosen, handle)

    async def run(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> BaseModel:
        """Start a run and wait for its result (see `Run.result`)."""
        return await (await self.start(flow, request, **params)).result()

    async def attach(self, workflow_id: str) -> Run:
        """The run with that id, started from anywhere. UnknownWorkflow when there is
        none, UnknownFlow when it is not one of attune's flows."""
        desc = await runner.describe(self.client, workflow_id)
        flow = registry().get(desc.workflow_type)
        if flow is None or not flow.built:
            raise UnknownFlow(f"{workflow_id} is a {desc.workflow_type}, not an attune flow")
        handle = self.client.get_workflow_handle(workflow_id, result_type=flow.result)
        return Run(self, flow, handle)

    async def report(self, workflow_id: str) -> dict[str, Any]:
        """The report JSON of a finished run (section 6 envelope, findings, warnings,
        skipped), read from the artifact store, so any machine that shares the store
        can read it. A run started with `out_dir` wrote its report there instead: it is
        read from that path when this machine sees it."""
        found = self.store.find(f"runs/{workflow_id}/{REPORT_FILES['json']}", RAW_JSON)
        if found is not None:
            return found[0]
        run = await self.attach(workflow_id)
        result: Any = await run.result()
        written = Path(result.artifacts.get("json", ""))
        if written.is_file():
            return RAW_JSON.validate_json(written.read_bytes())
        raise FileNotFoundError(f"no report of {workflow_id} in the artifact store or at {written}")

    # --- decisions ------------------------------------------------------------------

    async def waiting(self) -> Waiting:
        """Runs waiting for an approval (with their blockers) and Routers waiting for
        an answer to their question."""
        async with self.serving():
            approvals, questions = await dashboard.waiting(self.client)
        return Waiting(approvals=approvals, questions=questions)

    async def approve(
        self,
        workflow_id: str,
        *,
        reviewer: str | None = None,
        comment: str = "",
        override_blockers: bool = False,
    ) -> None:
        """Approve a run that waits for a decision. NotWaiting when it waits for none;
        BlockersPresent when blockers remain and `override_blockers` is False."""
        decision = ApprovalDecision(
            reviewer=reviewer_or_user(reviewer),
            comment=comment,
            override_blockers=override_blockers,
        )
        async with self.serving():
            await runner.send_decision(self.client, workflow_id, APPROVE_SIGNAL, decision)

    async def reject(self, workflow_id: str, *, reason: str, reviewer: str | None = None) -> None:
        """Reject a run that waits for a decision; NotWaiting when it waits for none."""
        decision = ApprovalDecision(reviewer=reviewer_or_user(reviewer), reason=reason)
        async with self.serving():
            await runner.send_decision(self.client, workflow_id, REJECT_SIGNAL, decision)

    async def question(self, workflow_id: str) -> dashboard.QuestionWait | None:
        """The question a Router asks now, with its options; None when it asks none."""
        desc = await runner.describe(self.client, workflow_id)
        if desc.status != WorkflowExecutionStatus.RUNNING:
            return None
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            async with self.serving():
                asked = await handle.query(QUESTION_QUERY, result_type=dict[str, Any] | None)
        except WorkflowQueryFailedError as err:
            raise NotWaiting(f"{workflow_id} asks no questions: {err}") from err
        if not asked:
            return None
        return dashboard.QuestionWait(
            workflow_id=workflow_id,
            question=asked.get("question"),
            options=list(asked.get("options") or []),
        )

    async def answer(self, workflow_id: str, reply: str) -> None:
        """Answer a Router's question (an option's text or your own words);
        NotWaiting when it asks none."""
        if await self.question(workflow_id) is None:
            raise NotWaiting(f"{workflow_id} is not waiting for an answer")
        await self.client.get_workflow_handle(workflow_id).signal(ANSWER_SIGNAL, reply)

    async def escalate(
        self, workflow_id: str, *, to: str | None = None, reason: str = ""
    ) -> list[str]:
        """Ask the run's running LLM stages to redo their task on a higher tier (`to`:
        sonnet or opus; default the next). Returns the stages signalled; NotWaiting
        when none runs now."""
        if to is not None and to not in TIERS:
            raise BadRequest(f"to: must be one of {', '.join(TIERS)}, got {to!r}")
        signal = EscalateSignal(to=to, reason=reason or "asked from the attune API")
        return await self._llm_signal(workflow_id, ESCALATE_SIGNAL, signal)

    async def set_ceiling(self, workflow_id: str, tier: str) -> list[str]:
        """Cap the tier the run's running LLM stages may escalate to. To cap a run
        before it starts, set its request's `llm_ceiling`."""
        if tier not in TIERS:
            raise BadRequest(f"tier: must be one of {', '.join(TIERS)}, got {tier!r}")
        return await self._llm_signal(workflow_id, SET_CEILING_SIGNAL, tier)

    async def set_budget(self, workflow_id: str, usd: float) -> list[str]:
        """Set the cost budget (USD) of the run's running LLM stages. To budget a run
        before it starts, set its request's `max_cost_usd`."""
        if usd < 0:
            raise BadRequest(f"usd: must be 0 or more, got {usd}")
        return await self._llm_signal(workflow_id, SET_BUDGET_SIGNAL, usd)

    async def _llm_signal(self, workflow_id: str, signal: str, arg: Any) -> list[str]:
        signalled = await runner.signal_llm_stages(self.client, workflow_id, signal, arg)
        if not signalled:
            raise NotWaiting(f"no LLM stage of {workflow_id} is running")
        return signalled


async def connect(
    *, profile: str | None = None, start_embedded: bool = True, local_worker: bool = True
) -> Attune:
    """`Attune.connect`, as a function."""
    return await Attune.connect(
        profile=profile, start_embedded=start_embedded, local_worker=local_worker
    )


# --- without await ----------------------------------------------------------------------


class _Portal:
    """An event loop on its own thread: the Temporal client lives there, so the sync API
    works in plain scripts and in notebooks, whose own loop is already running."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="attune-api", daemon=True)
        self.thread.start()

    def call[T](self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def iterate[T](self, items: AsyncIterator[T]) -> Iterator[T]:
        try:
            while True:
                try:
                    yield self.call(anext(items))  # type: ignore[arg-type]
                except StopAsyncIteration:
                    return
        finally:
            self.call(items.aclose())  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class RunSync:
    """`Run` without await; the same methods."""

    def __init__(self, portal: _Portal, run: Run) -> None:
        self._portal = portal
        self.run = run

    @property
    def id(self) -> str:
        return self.run.id

    @property
    def flow(self) -> Flow:
        return self.run.flow

    def __repr__(self) -> str:
        return repr(self.run)

    def result(self) -> BaseModel:
        return self._portal.call(self.run.result())

    def progress(self, interval_s: float = runner.PROGRESS_INTERVAL_S) -> Iterator[Progress]:
        return self._portal.iterate(self.run.progress(interval_s))

    def status(self) -> str:
        return self._portal.call(self.run.status())

    def pending_approvals(self) -> list[PendingApproval]:
        return self._portal.call(self.run.pending_approvals())

    def approve(
        self, *, reviewer: str | None = None, comment: str = "", override_blockers: bool = False
    ) -> None:
        self._portal.call(
            self.run.approve(
                reviewer=reviewer, comment=comment, override_blockers=override_blockers
            )
        )

    def reject(self, *, reason: str, reviewer: str | None = None) -> None:
        self._portal.call(self.run.reject(reason=reason, reviewer=reviewer))

    def report(self) -> dict[str, Any]:
        return self._portal.call(self.run.report())

    def cancel(self) -> None:
        self._portal.call(self.run.cancel())


class AttuneSync:
    """`Attune` without await, for scripts and notebooks; the same methods. Use it as a
    context manager, or call `close()`."""

    def __init__(self, portal: _Portal, attune: Attune) -> None:
        self._portal = portal
        self.attune = attune

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._portal.call(self.attune.close())
        self._portal.stop()

    def flows(self) -> list[Flow]:
        return self.attune.flows()

    def flow(self, name: str) -> Flow:
        return self.attune.flow(name)

    def request(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> BaseModel:
        return self.attune.request(flow, request, **params)

    def start(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> RunSync:
        return RunSync(self._portal, self._portal.call(self.attune.start(flow, request, **params)))

    def run(
        self, flow: str, request: BaseModel | Mapping[str, Any] | None = None, /, **params: Any
    ) -> BaseModel:
        return self._portal.call(self.attune.run(flow, request, **params))

    def attach(self, workflow_id: str) -> RunSync:
        return RunSync(self._portal, self._portal.call(self.attune.attach(workflow_id)))

    def report(self, workflow_id: str) -> dict[str, Any]:
        return self._portal.call(self.attune.report(workflow_id))

    def waiting(self) -> Waiting:
        return self._portal.call(self.attune.waiting())

    def approve(
        self,
        workflow_id: str,
        *,
        reviewer: str | None = None,
        comment: str = "",
        override_blockers: bool = False,
    ) -> None:
        self._portal.call(
            self.attune.approve(
                workflow_id,
                reviewer=reviewer,
                comment=comment,
                override_blockers=override_blockers,
            )
        )

    def reject(self, workflow_id: str, *, reason: str, reviewer: str | None = None) -> None:
        self._portal.call(self.attune.reject(workflow_id, reason=reason, reviewer=reviewer))

    def question(self, workflow_id: str) -> dashboard.QuestionWait | None:
        return self._portal.call(self.attune.question(workflow_id))

    def answer(self, workflow_id: str, reply: str) -> None:
        self._portal.call(self.attune.answer(workflow_id, reply))

    def escalate(self, workflow_id: str, *, to: str | None = None, reason: str = "") -> list[str]:
        return self._portal.call(self.attune.escalate(workflow_id, to=to, reason=reason))

    def set_ceiling(self, workflow_id: str, tier: str) -> list[str]:
        return self._portal.call(self.attune.set_ceiling(workflow_id, tier))

    def set_budget(self, workflow_id: str, usd: float) -> list[str]:
        return self._portal.call(self.attune.set_budget(workflow_id, usd))


def connect_sync(
    *, profile: str | None = None, start_embedded: bool = True, local_worker: bool = True
) -> AttuneSync:
    """`Attune.connect` without await (see there)."""
    portal = _Portal()
    try:
        attune = portal.call(
            Attune.connect(
                profile=profile, start_embedded=start_embedded, local_worker=local_worker
            )
        )
    except BaseException:
        portal.stop()
        raise
    return AttuneSync(portal, attune)
