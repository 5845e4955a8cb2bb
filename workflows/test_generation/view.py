"""How a test-generation result reads: coverage before and after per module, the kept
and rejected counts, the possible bugs, the test files and the branch they went to."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from starter.views import EXIT_FAILED, FINDINGS, View


def _render(result: Any, console: Console) -> None:
    table = Table(title=f"{result.workflow_id}: {result.kept} tests kept")
    for column in ("module", "before", "after", "kept"):
        table.add_column(column, justify="left" if column == "module" else "right")
    for row in result.coverage:
        table.add_row(row.module, f"{row.before:.1f}%", f"{row.after:.1f}%", str(row.kept))
    console.print(table)
    rejected = ", ".join(f"{n} {reason}" for reason, n in result.rejected.items() if n)
    console.print(f"rejected: {rejected or 'none'}", highlight=False)
    bugs = result.summary.findings_total
    console.print(f"possible bugs: {bugs}" + (" (see the report)" if bugs else ""))
    console.print(
        f"llm: {result.llm.status}" + (f" ({result.llm.reason})" if result.llm.reason else "")
    )
    applied = result.applied
    if applied.status in ("committed", "unchanged"):
        console.print(f"applied: branch {applied.branch} ({(applied.commit or '')[:12]})")
    elif applied.status in ("nothing-to-apply", "failed"):
        console.print(f"applied: {applied.status} ({applied.reason})", highlight=False)
    for kind, path in result.artifacts.items():
        console.print(f"{kind}: {path}", highlight=False, markup=False)


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
