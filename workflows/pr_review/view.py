"""How a pr-review result reads: the verdict and its reasons, the agents, the findings on
changed lines. `--fail-on comment|request_changes` exits 3 at that verdict or worse."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from starter.views import EXIT_FINDINGS, Brief, View
from workflows.pr_review.models import VERDICTS
from workflows.schemas import SEVERITIES

SHOWN = 10
FAIL_ON = ("comment", "request_changes")
COLOURS = {"approve": "green", "comment": "yellow", "request_changes": "red"}


def _render(result: Any, console: Console) -> None:
    console.print(
        f"{result.workflow_id}: {result.base[:12]} ({result.base_ref}) .. "
        f"{result.head[:12]} ({result.head_ref}), {result.files_changed} files, "
        f"{result.lines_changed} changed lines",
        highlight=False,
    )
    agents = Table("agent", "status", "summary")
    for role, agent in result.agents.items():
        agents.add_row(role, agent.status, agent.summary)
    console.print(agents)
    for name in result.not_available:
        console.print(f"[dim]{name}: not built yet[/]")
    counts = result.summary.counts
    console.print(
        f"{result.summary.findings_total} findings on changed lines: "
        + ", ".join(f"{s} {counts.get(s, 0)}" for s in SEVERITIES),
        highlight=False,
    )
    for finding in result.top[:SHOWN]:  # the result carries the ten most severe
        console.print(
            f"  {finding.severity:<8} {finding.file}:{finding.line} {finding.rule_id} "
            f"{finding.message.splitlines()[0][:100]}",
            highlight=False,
            markup=False,
        )
    colour = COLOURS[result.verdict]
    console.print(f"verdict: [bold {colour}]{result.verdict}[/]")
    for reason in result.verdict_reasons[:SHOWN]:
        console.print(f"  - {reason}", highlight=False, markup=False)
    if len(result.verdict_reasons) > SHOWN:
        console.print(f"  ... {len(result.verdict_reasons) - SHOWN} more in the report")
    for kind, path in result.artifacts.items():
        console.print(f"{kind:>13}: {path}", highlight=False)


def _exit(result: Any, threshold: str | None) -> int:
    if threshold is None:
        return 0
    return EXIT_FINDINGS if VERDICTS.index(result.verdict) >= VERDICTS.index(threshold) else 0


def _brief(result: Any) -> Brief:
    blocking = result.verdict == "request_changes"
    return Brief(
        status=result.status,
        counts=result.summary.counts,
        findings_total=result.summary.findings_total,
        risk_score=result.summary.risk_score,
        recommendation=result.verdict,
        blockers=result.verdict_reasons if blocking else [],
        warnings=[] if blocking or result.verdict == "approve" else result.verdict_reasons,
        findings_report=result.artifacts.get("json"),
        artifacts=result.artifacts,
    )


VIEW = View(render=_render, exit_code=_exit, brief=_brief, fail_on=FAIL_ON)
