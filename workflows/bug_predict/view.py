"""How a bug-predict result reads: the findings view, then the top hotspots."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import FINDINGS, View

SHOWN = 5


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    if result.history == "skipped":
        console.print(f"git history skipped: {result.history_reason}")
    for rank, spot in enumerate(result.hotspots[:SHOWN], 1):
        console.print(f"hotspot {rank}: {spot.file} ({spot.score:g}): {'; '.join(spot.reasons)}")


VIEW = View(render=_render, exit_code=FINDINGS.exit_code, brief=FINDINGS.brief)
