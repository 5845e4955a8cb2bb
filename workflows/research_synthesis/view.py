"""How a research-synthesis result reads: the sources and what was read of them, the
offline counts, the LLM stage and its citation check, and where the synthesis is."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from starter.views import EXIT_FAILED, Brief, View


def _render(result: Any, console: Console) -> None:
    console.print(f"{result.workflow_id}: {result.question}", highlight=False, markup=False)
    for source in result.sources:
        state = (
            f"{source.documents} documents, {source.sentences} sentences"
            if source.status == "ok"
            else f"skipped: {source.reason}"
        )
        console.print(f"  {source.source}: {state}", highlight=False, markup=False)
    console.print(
        f"{result.sentences} sentences read, {result.claims} claims in two or more sources, "
        f"{result.contradictions} candidate contradictions in {result.duration_s:.1f}s"
    )
    llm = result.llm
    if llm.status == "ok":
        calls = ", ".join(f"{tier} {n}" for tier, n in sorted(llm.calls_by_tier.items()))
        console.print(
            f"LLM: {calls} (${llm.cost_usd:.4f}); {result.citations} citations checked, "
            f"{result.invalid_citations} invalid, {result.unsupported_claims} claims without a "
            "source",
            highlight=False,
        )
    else:
        console.print(f"LLM {llm.status}: {llm.reason}", highlight=False, markup=False)
    for warning in result.warnings[:10]:
        console.print(f"[yellow]warning[/]: {escape(warning)}", highlight=False)
    if len(result.warnings) > 10:
        console.print(f"{len(result.warnings) - 10} more warnings in report.json")
    for kind, path in result.artifacts.items():
        console.print(f"{kind:>8}: {path}")


def _exit(result: Any, threshold: str | None) -> int:
    return 0 if result.status == "completed" else EXIT_FAILED


def _brief(result: Any) -> Brief:
    return Brief(status=result.status, warnings=result.warnings, artifacts=result.artifacts)


VIEW = View(render=_render, exit_code=_exit, brief=_brief, fail_on=())
