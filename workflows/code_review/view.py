"""How a code-review result reads: the findings view, then the review's own figures."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import FINDINGS, View


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    scope = "whole files"
    if result.mode == "diff" and result.base:
        scope = f"the change {result.base[:12]}..{(result.head or '')[:12]}"
    console.print(f"reviewed {scope} (profile {result.profile})")
    console.print(", ".join(f"{n} {category}" for category, n in result.categories.items()))
    console.print(
        f"{result.fixes} findings with a suggested fix; type check: {result.type_check}; "
        f"cache: {result.cache_hits} hits, {result.cache_misses} misses"
    )
    if result.complexity_change is not None:
        console.print(f"complexity of the changed files: {result.complexity_change:+d}")


VIEW = View(render=_render, exit_code=FINDINGS.exit_code, brief=FINDINGS.brief)
