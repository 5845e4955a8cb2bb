"""How a refactor-plan result reads: the findings view, the top plan items, the patch and
the branch it was committed to."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import EXIT_FAILED, FINDINGS, View

SHOWN = 10


def _location(item: Any) -> str:
    end = f"-{item.end_line}" if item.end_line and item.end_line != item.line else ""
    return f"{item.file}:{item.line}{end}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    if result.history == "skipped":
        console.print(f"hotspots left out: {result.history_reason}")
    if result.plan:
        shown = result.plan[:SHOWN]
        console.print(f"refactoring plan: top {len(shown)} of {result.plan_total}")
        for item in shown:
            console.print(
                f"{item.rank:>3}. [{item.effort}] {item.score:>6g}  {item.kind}  "
                f"{_location(item)}  {item.title}",
                highlight=False,
                markup=False,
            )
    else:
        console.print("refactoring plan: nothing passed the thresholds")
    if result.patches:
        files, changed = len(result.patches), sum(p.added + p.removed for p in result.patches)
        console.print(
            f"patch: ruff's safe fixes in {_count(files, 'file')} "
            f"({_count(changed, 'line')} changed)"
        )
    applied = result.applied
    if applied.status in ("committed", "unchanged"):
        console.print(f"applied: branch {applied.branch} ({(applied.commit or '')[:12]})")
    elif applied.status == "nothing-to-apply":
        console.print(f"applied: nothing ({applied.reason})")
    elif applied.status == "failed":
        console.print(f"apply failed: {applied.reason}", highlight=False)


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
