"""How a seo-optimization result reads: the findings view, the pages, whether Lighthouse
ran (and if not, why), the drafts and the branch they were committed to."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from starter.views import EXIT_FAILED, FINDINGS, View


def _render(result: Any, console: Console) -> None:
    FINDINGS.render(result, console)
    source = result.url or result.target
    console.print(f"site: {result.kind}, {result.pages} pages ({source})", highlight=False)
    if result.lighthouse == "ok":
        console.print("lighthouse: ran on every page; its results are merged")
    else:
        console.print(
            f"lighthouse {result.lighthouse}: {result.lighthouse_reason}",
            highlight=False,
            markup=False,
        )
    if result.drafts:
        console.print(f"drafts: {result.drafts} titles/descriptions (see the report and patch)")
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
    if result.lighthouse != "ok":
        brief.warnings.append(f"lighthouse {result.lighthouse}: {result.lighthouse_reason}")
    if result.applied.status == "failed":
        brief.warnings.append(f"apply failed: {result.applied.reason}")
    return brief


VIEW = View(render=_render, exit_code=_exit, brief=_brief)
