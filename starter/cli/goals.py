"""`attune "goal"`, `attune route "goal"` and `attune` alone: routing goals in plain words.

A goal runs only after the person confirms it (`--yes` confirms ahead); without a
terminal to ask on and without `--yes`, attune prints where the goal would go and
exits 2, so a mistyped command never starts real work.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from activities.routing.classifier import MAX_QUESTIONS, UTILITIES, decide, describe
from starter.cli.common import EXIT_FAILED, EXIT_USAGE, UsageProblem, err, out, run_async
from workflows.registry import registry

if TYPE_CHECKING:
    from workflows.router.models import RouteDecision

MAX_TYPO_EDITS = 2


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def command_like(word: str, commands: set[str]) -> bool:
    """A word that belongs on a command line rather than in a sentence."""
    return (
        word.startswith("-")
        or word in commands
        or word in registry()
        or "/" in word
        or word in (".", "..")
        or any(edit_distance(word, c) <= 1 for c in commands if len(c) > 3)
    )


def typo_of(args: list[str], commands: set[str], subcommands: set[str]) -> str | None:
    """The command a mistyped first word meant, when the rest reads like a command line.

    A goal given as one quoted argument is never second-guessed; neither is a first
    word followed only by ordinary words ("revew my code" is a goal)."""
    first, rest = args[0], args[1:]
    if " " in first or not rest or not any(command_like(w, subcommands) for w in rest):
        return None
    close = sorted((edit_distance(first.lower(), c), c) for c in commands if not c.startswith("_"))
    if close and close[0][0] <= MAX_TYPO_EDITS and close[0][0] < len(first):
        return close[0][1]
    return None


def show_decision(decision: RouteDecision) -> None:
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


def route_command(
    goal: Annotated[list[str], typer.Argument(help="what you want, in plain words")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show where a goal would be routed, without running anything."""
    from activities.routing.classifier import classify

    decision = classify(" ".join(goal))
    if json_out:
        out.print_json(decision.model_dump_json())
    else:
        show_decision(decision)


def ask_command(
    goal: Annotated[list[str], typer.Argument(help="what you want, in plain words")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="run without asking first")] = False,
) -> None:
    """Route a goal in plain words and run what it asks for, once you confirm."""
    raise typer.Exit(route_goal(" ".join(goal), confirmed=yes))


def interview() -> None:
    if not sys.stdin.isatty():
        raise UsageProblem('no goal given: attune "what you want", or attune --help')
    goal = typer.prompt("What are you trying to accomplish?")
    raise typer.Exit(route_goal(goal, confirmed=False))


def _prompt(question: str, options: list[str]) -> str:
    listed = "".join(f"\n  {number}) {option}" for number, option in enumerate(options, 1))
    return typer.prompt(f"{question}{listed}\n")


def route_goal(goal: str, confirmed: bool) -> int:
    """Narrow the goal here while a person can answer, then let the Router run it."""
    from starter.cli import main

    interactive = sys.stdin.isatty()
    answers: list[str] = []
    decision = decide(goal, answers)
    while decision.question and interactive and len(answers) < MAX_QUESTIONS:
        answers.append(_prompt(decision.question, decision.options))
        decision = decide(goal, answers)
    if decision.question and not interactive:
        raise UsageProblem(f"not sure what {goal!r} asks for: {decision.question}")
    show_decision(decision)
    if not decision.question and decision.workflows and decision.workflows[0] in UTILITIES:
        command = UTILITIES[decision.workflows[0]].split()[1:]
        if not confirmed and not interactive:
            err.print(f"attune: run `{UTILITIES[decision.workflows[0]]}` (or add --yes)")
            return EXIT_USAGE
        return main(command)
    built = {f.name for f in registry().built()}
    runnable = [w for w in decision.workflows if w in built]
    if not decision.question and not runnable:
        return 0 if decision.workflows else EXIT_USAGE
    if not confirmed:
        if not interactive:
            err.print(f"attune: not started; to run {', '.join(runnable)}, add --yes")
            return EXIT_USAGE
        if not typer.confirm(f"Run {', '.join(runnable)}?", default=True):
            return 0
    return run_async(_route_workflow(goal, answers))


async def _route_workflow(goal: str, answers: list[str]) -> int:
    from activities.artifacts import ArtifactStore
    from activities.snapshots import snapshot_if_shared
    from starter import runner
    from starter.connection import connect
    from workflows.router.models import RouteRequest, RouteResult
    from workflows.wire import ANSWER_SIGNAL, QUESTION_QUERY, ROUTER, TASK_QUEUE

    client = await connect()
    here = await asyncio.to_thread(snapshot_if_shared, ArtifactStore(), str(Path.cwd()))
    request = RouteRequest(
        goal=goal,
        path=here,
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


def register(app: typer.Typer) -> None:
    app.command("route")(route_command)
    app.command("ask", hidden=True)(ask_command)
