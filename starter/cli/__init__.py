"""The `attune` command line.

Exit codes: 0 done; 1 the workflow failed, was cancelled or rejected; 2 bad usage
or input (one line on stderr, no traceback); 3 findings at or above `--fail-on`;
130 interrupted at a prompt.

Commands live in one module per role (runs, decisions, goals, insight, admin); each
imports Temporal, anthropic and the engines only when it runs.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, NoReturn

import typer

# typer >= 0.29 vendors click; its exceptions are how bad usage reaches `main`.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup
from typer.exceptions import Abort

from starter.cli import admin, advisories, decisions, goals, insight
from starter.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageProblem,
    err,
    leave,
)
from starter.cli.runs import workflow_app


class GoalGroup(TyperGroup):
    """`attune "goal in plain words"`: a first word that is no command starts a goal,
    unless it is a command mistyped in front of a command line (did you mean ...)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            subcommands = {
                name
                for command in self.commands.values()
                for name in getattr(command, "commands", {})
            }
            meant = goals.typo_of(args, set(self.commands), subcommands)
            if meant is not None:
                raise UsageProblem(f"unknown command {args[0]!r}; did you mean {meant!r}?")
            return "ask", self.commands["ask"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=GoalGroup,
    help='AI developer workflows as durable Temporal workflows. `attune "what you want"` '
    "routes a goal in plain words (it runs once you confirm, or with --yes); `attune` "
    "alone asks for one.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        goals.interview()


app.add_typer(workflow_app, name="workflow")
decisions.register(app)
goals.register(app)
insight.register(app)
admin.register(app)
advisories.register(app)


def _complain(message: object) -> None:
    """One plain line on stderr: no wrapping, no markup, no traceback."""
    sys.stderr.write(f"attune: {' '.join(str(message).split())}\n")


def _unexpected(exc: BaseException) -> int:
    """The last line of defence: one line here, the traceback in the log."""
    from activities.artifacts import attune_home

    log = attune_home() / "logs" / "cli.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as sink:
        traceback.print_exception(exc, file=sink)
    _complain(f"{type(exc).__name__}: {exc} (details in {log})")
    return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="attune", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        err.print(exc.ctx.get_help() if exc.ctx else "", highlight=False, markup=False)
        return EXIT_USAGE
    except (Abort, KeyboardInterrupt):
        _complain("interrupted; a run already started goes on (attune workflow watch ID)")
        return EXIT_INTERRUPTED
    except (UsageError, ClickException) as exc:
        _complain(exc.format_message())
        return EXIT_USAGE
    except UsageProblem as exc:
        _complain(exc)
        return EXIT_USAGE
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        from starter.connection import TemporalUnavailable
        from starter.fleet import FleetConfigError
        from starter.server import ServerError

        if isinstance(exc, FleetConfigError):
            _complain(exc)
            return EXIT_USAGE
        if isinstance(exc, TemporalUnavailable | ServerError):
            _complain(exc)
            return EXIT_FAILED
        return _unexpected(exc)
    return code if isinstance(code, int) else 0


def run(argv: list[str] | None = None) -> NoReturn:
    """The console script; it leaves as `leave` says why."""
    leave(main(argv))
