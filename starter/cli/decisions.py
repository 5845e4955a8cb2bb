"""`attune approve|reject|escalate`: a person's say in a running workflow."""

from __future__ import annotations

from typing import Annotated

import typer

from starter.cli.common import UsageProblem, err, reviewer, run_async
from workflows.schemas import TIERS, ApprovalDecision, EscalateSignal
from workflows.wire import APPROVE_SIGNAL, ESCALATE_SIGNAL, REJECT_SIGNAL


async def _decide(workflow_id: str, signal: str, decision: ApprovalDecision) -> None:
    from starter import runner
    from starter.connection import connect

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


def approve_command(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    comment: Annotated[str, typer.Option(help="recorded with the decision")] = "",
    reviewer_name: Annotated[
        str | None, typer.Option("--reviewer", help="who decides; default $USER")
    ] = None,
    override_blockers: Annotated[
        bool, typer.Option("--override-blockers", help="approve although blockers remain")
    ] = False,
) -> None:
    """Approve a run that waits for a decision (release-prep, spec approval gates)."""
    decision = ApprovalDecision(
        reviewer=reviewer(reviewer_name), comment=comment, override_blockers=override_blockers
    )
    run_async(_decide(workflow_id, APPROVE_SIGNAL, decision))
    err.print(f"approved {workflow_id}")


def reject_command(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why; recorded with the decision")],
    reviewer_name: Annotated[
        str | None, typer.Option("--reviewer", help="who decides; default $USER")
    ] = None,
) -> None:
    """Reject a run that waits for a decision (release-prep, spec approval gates)."""
    decision = ApprovalDecision(reviewer=reviewer(reviewer_name), reason=reason)
    run_async(_decide(workflow_id, REJECT_SIGNAL, decision))
    err.print(f"rejected {workflow_id}")


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
        from starter import runner
        from starter.connection import connect

        client = await connect()
        try:
            return await runner.signal_llm_stages(client, workflow_id, ESCALATE_SIGNAL, signal)
        except runner.UnknownWorkflow as exc:
            raise UsageProblem(str(exc)) from exc

    targets = run_async(escalate())
    if not targets:
        raise UsageProblem(f"no LLM stage of {workflow_id} is running")
    for target in targets:
        err.print(f"escalation requested for {target}")


def register(app: typer.Typer) -> None:
    app.command("approve")(approve_command)
    app.command("reject")(reject_command)
    app.command("escalate")(escalate_command)
