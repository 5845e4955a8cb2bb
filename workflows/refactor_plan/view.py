"""How a refactor-plan result reads: the findings view, the top plan items, the patch and
the branch it was committed to."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from starter.views import EXIT_FAILED, FINDINGS, View

SHOWN = 10


def _location(item: Any) -> str:
    end = f"-{item.end_line}" if item.end_line and item.end_line != item.line else ""
    return f"{item.file}:{item.line}{end}"


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    if result.history == "skipped":
        console.print(f"hotspots left out: {result.history_reason}")
    if result.plan:
        table = Table(
            "#", "kind", "location", "item", "effort", "score",
            title=f"refactoring plan: top {min(SHOWN, len(result.plan))} of {result.plan_total}",
        )  # fmt: skip
        for item in result.plan[:SHOWN]:
            table.add_row(
                str(item.rank), item.kind, _location(item), item.title, item.effort,
                f"{item.score:g}",
            )  # fmt: skip
        console.print(table)
    else:
        console.print("refactoring plan: nothing passed the thresholds")
    if result.patches:
        changed = sum(p.added + p.removed for p in result.patches)
        console.print(
            f"patch: ruff's safe fixes in {len(result.patches)} files ({changed} lines changed)"
        )
    applied = result.applied
    if applied.status in ("committed", "unchanged"):
        console.print(f"applied: branch {applied.branch} ({(applied.commit or '')[:12]})")
    elif applied.status != "not-requested":
        console.print(f"apply {applied.status}: {applied.reason}")


def _exit(result: Any, threshold: str | None) -> int:
    if result.applied.status == "failed":
        return EXIT_FAILED
    return FINDINGS.exit_code(result, threshold)


def _brief(result: Any) -> Any:
    brief = FINDINGS.brief(result)
    if result.applied.status == "failed":
        brief.warnings.append(f"apply failed: {result.applied.reason}")
    return brief


VIEW = View(render=_render, exit_code=_exit, brief=_brief)
