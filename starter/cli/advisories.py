"""`attune advisories update|import|status`: the local OSV database dependency-check reads.

A database command rather than a flow: it fills `$ATTUNE_HOME/advisories/` once, and
every dependency-check run then works offline against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starter.cli.common import EXIT_FAILED, UsageProblem, err, out

advisories_app = typer.Typer(
    help="The local OSV advisory database that dependency-check reads.", no_args_is_help=True
)


def _show(summary, json_out: bool) -> None:
    if json_out:
        out.print_json(summary.model_dump_json())
        return
    newest = f"{summary.newest_advisory:%Y-%m-%d}" if summary.newest_advisory else "unknown"
    out.print(
        f"{summary.advisories} advisories for {summary.packages} PyPI packages "
        f"({summary.withdrawn} withdrawn) from {summary.source}; newest {newest}; "
        f"database {summary.path}",
        highlight=False,
    )
    if summary.unreadable:
        err.print(f"{summary.unreadable} JSON/YAML files did not parse and were left out")


@advisories_app.command("update")
def update_command(
    url: Annotated[
        str | None,
        typer.Option(help="the OSV PyPI archive (default: $ATTUNE_OSV_URL or OSV's all.zip)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Download OSV's PyPI advisories and replace the local database."""
    from activities.dependency_check.database import DatabaseError, update

    try:
        summary = update(url)
    except DatabaseError as exc:
        err.print(f"attune: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    _show(summary, json_out)


@advisories_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="a directory, zip or tar(.gz) of OSV JSON/YAML")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Replace the local database with the PyPI advisories found in PATH."""
    from activities.dependency_check.database import DatabaseError, import_advisories

    try:
        summary = import_advisories(path, str(path.absolute()))
    except DatabaseError as exc:
        raise UsageProblem(str(exc)) from None
    _show(summary, json_out)


@advisories_app.command("status")
def status_command(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Where the database came from and how old its newest advisory is."""
    from datetime import UTC, datetime

    from activities.dependency_check.database import database_info, database_path

    info = database_info(database_path(), datetime.now(UTC))
    if json_out:
        out.print_json(info.model_dump_json())
    elif info.status == "missing":
        out.print(f"no database at {info.path}: run `attune advisories update` or `import`")
    else:
        out.print(
            f"{info.advisories} advisories from {info.source}; newest "
            f"{info.newest_advisory:%Y-%m-%d} ({info.age_days:.0f} days old); {info.path}",
            highlight=False,
        )
    if info.status == "missing":
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    app.add_typer(advisories_app, name="advisories")
