"""How a dependency-check result reads: the findings view, then the entries checked and
the advisory database's source and age (a stale or missing database is said aloud)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import FINDINGS, Brief, View

STALE_DAYS = 30


def database_line(result: Any) -> str:
    database = result.database
    if database.status != "ok":
        return (
            "advisory database: none, vulnerabilities not checked "
            "(attune advisories update, or attune advisories import PATH)"
        )
    age = f"{database.age_days:.0f} days old" if database.age_days is not None else "age unknown"
    stale = (
        " (stale: run attune advisories update)" if (database.age_days or 0) > STALE_DAYS else ""
    )
    return f"advisory database: {database.source}, {age}{stale}"


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    console.print(
        f"{result.dependencies} dependency entries, {result.vulnerable} vulnerable or able "
        "to resolve to a vulnerable version",
        highlight=False,
    )
    console.print(database_line(result), highlight=False)


def _brief(result: Any) -> Brief:
    brief = FINDINGS.brief(result)
    brief.warnings.append(database_line(result))
    return brief


VIEW = View(render=_render, exit_code=FINDINGS.exit_code, brief=_brief)
