"""How a document-gen result reads: the findings view, the coverage, the drafts, the
reference and the branch the drafts were committed to."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import EXIT_FAILED, FINDINGS, View


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    cov = result.coverage
    console.print(
        f"docstring coverage: {cov.percent}% ({cov.covered} of {cov.total} definitions)",
        highlight=False,
    )
    by = f", {result.drafted_by_llm} with Claude's text" if result.drafted_by_llm else ""
    console.print(
        f"drafts: {result.drafted} docstrings in {result.style} style ({result.style_source}"
        f"{by}); pydoclint on the drafts: {result.draft_violations} violations",
        highlight=False,
    )
    if result.reference_modules:
        console.print(f"API reference: {result.reference_modules} modules", highlight=False)
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
