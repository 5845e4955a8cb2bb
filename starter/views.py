"""How a flow's result reads: the CLI's summary and exit code, the MCP tool's brief.

A flow names its view in the registry (`Flow.view`), so the CLI and the MCP server
present any flow, a plugin's included, without knowing it. Four shapes cover the
flows: findings (summary counts and a risk score), a team of checks, a release with
its decision, and the steps of a composed spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from activities.artifacts import CHECKSUM_MARK, atomic_write, read_location
from workflows.schemas import SEVERITIES, SEVERITY_RANK

EXIT_FAILED = 1
EXIT_FINDINGS = 3


class Brief(BaseModel):
    """What an assistant needs of a finished run; the report has the rest."""

    status: str
    counts: dict[str, int] = Field(default_factory=dict)
    findings_total: int | None = None
    suppressed: int = Field(default=0, description="Findings reported but out of the counts")
    risk_score: int | None = None
    recommendation: str | None = None
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    findings_report: str | None = Field(
        default=None, description="report.json whose `findings` are the top findings"
    )
    artifacts: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class View:
    render: Callable[[Any, Console], None]
    exit_code: Callable[[Any, str | None], int]
    """The exit code for a result and the `--fail-on` threshold."""
    brief: Callable[[Any], Brief]
    fail_on: tuple[str, ...] = field(default=SEVERITIES)
    """What `--fail-on` accepts for this flow."""


def load_report(result: Any) -> dict[str, Any]:
    return json.loads(read_location(result.artifacts["json"]))


def save_reports(artifacts: dict[str, str], folder: Path) -> dict[str, str]:
    """Copies of a run's published reports in `folder` (`--out` with shared artifacts),
    by kind, each checked against its checksum on the way."""
    saved = {}
    for kind, location in artifacts.items():
        name = PurePosixPath(urlsplit(location.partition(CHECKSUM_MARK)[0]).path).name
        atomic_write(folder / name, read_location(location))
        (folder / name).chmod(0o644)  # reports are for teammates too, as where workers write
        saved[kind] = str(folder / name)
    return saved


def _artifacts(console: Console, artifacts: dict[str, str]) -> None:
    for kind, path in artifacts.items():
        console.print(f"{kind:>8}: {path}")


def _at_or_above(counts: dict[str, int], threshold: str | None) -> bool:
    if threshold is None:
        return False
    rank = SEVERITY_RANK[threshold]
    return any(n for sev, n in counts.items() if SEVERITY_RANK.get(sev, -1) >= rank)


# --- findings -------------------------------------------------------------------------


def _render_findings(result: Any, console: Console) -> None:
    summary = result.summary
    table = Table(title=f"{result.workflow_id}: risk score {summary.risk_score}/100")
    for severity in SEVERITIES:
        table.add_column(severity, justify="right")
    table.add_row(*(str(summary.counts.get(s, 0)) for s in SEVERITIES))
    console.print(table)
    apart = [
        f"{n} {what}"
        for n, what in (
            (summary.suppressed, "suppressed"),
            (summary.accepted_risks, "accepted"),
        )
        if n
    ]
    console.print(
        f"{summary.files_scanned} files scanned, {summary.files_skipped} skipped, "
        f"{summary.findings_total} findings"
        + (f" ({', '.join(apart)}, out of the counts)" if apart else "")
        + f" in {result.duration_s:.1f}s"
    )
    if summary.top_files:
        console.print(
            "top files: " + ", ".join(f"{t.file} ({t.findings})" for t in summary.top_files[:5])
        )
    _artifacts(console, result.artifacts)


def _findings_exit(result: Any, threshold: str | None) -> int:
    return EXIT_FINDINGS if _at_or_above(result.summary.counts, threshold) else 0


def _findings_brief(result: Any) -> Brief:
    summary = result.summary
    return Brief(
        status=result.status,
        counts=summary.counts,
        findings_total=summary.findings_total,
        suppressed=summary.suppressed,
        risk_score=summary.risk_score,
        findings_report=result.artifacts.get("json"),
        artifacts=result.artifacts,
    )


FINDINGS = View(render=_render_findings, exit_code=_findings_exit, brief=_findings_brief)


# --- teams ----------------------------------------------------------------------------


def _team_table(console: Console, title: str, agents: dict[str, Any]) -> None:
    table = Table("agent", "status", "summary", title=title)
    for role, agent in agents.items():
        table.add_row(role, agent.status, agent.summary)
    console.print(table)


def _security_data(agents: dict[str, Any]) -> dict[str, Any]:
    """Counts of the agents that report findings, summed (the security agent today)."""
    counts: dict[str, int] = {}
    data: dict[str, Any] = {}
    for agent in agents.values():
        for severity, n in agent.data.get("counts", {}).items():
            counts[severity] = counts.get(severity, 0) + n
        if "risk_score" in agent.data:
            data.setdefault("risk_score", agent.data["risk_score"])
            data.setdefault("report", agent.data.get("report"))
    return {"counts": counts, **data}


def _render_team(result: Any, console: Console) -> None:
    _team_table(console, result.workflow_id, result.agents)
    for name in result.not_available:
        console.print(f"[dim]{name}: not built yet[/]")
    _artifacts(console, result.artifacts)


def _team_exit(result: Any, threshold: str | None) -> int:
    if any(a.status != "ok" for a in result.agents.values()):
        return EXIT_FAILED
    return EXIT_FINDINGS if _at_or_above(_security_data(result.agents)["counts"], threshold) else 0


def _team_brief(result: Any) -> Brief:
    data = _security_data(result.agents)
    failed = any(a.status != "ok" for a in result.agents.values())
    return Brief(
        status="failed" if failed else "completed",
        counts=data["counts"],
        risk_score=data.get("risk_score"),
        findings_report=data.get("report"),
        artifacts=result.artifacts,
    )


TEAM = View(render=_render_team, exit_code=_team_exit, brief=_team_brief)


# --- releases -------------------------------------------------------------------------


def _render_release(result: Any, console: Console) -> None:
    rec = result.recommendation
    title = f"{result.workflow_id}: {result.status} (recommended: {rec.verdict})"
    _team_table(console, title, result.agents)
    for blocker in rec.blockers:
        console.print(f"[red]blocker[/]: {blocker}")
    for warning in rec.warnings:
        console.print(f"[yellow]warning[/]: {warning}")
    for event in result.decisions:
        console.print(
            f"{event.at:%Y-%m-%d %H:%M:%S} {event.action} by {event.reviewer} {event.text}"
        )
    _artifacts(console, result.artifacts)


def _release_exit(result: Any, threshold: str | None) -> int:
    return 0 if result.status == "approved" else EXIT_FAILED


def _release_brief(result: Any) -> Brief:
    data = _security_data(result.agents)
    rec = result.recommendation
    return Brief(
        status=result.status,
        counts=data["counts"],
        risk_score=data.get("risk_score"),
        recommendation=rec.verdict,
        blockers=rec.blockers,
        warnings=rec.warnings,
        findings_report=data.get("report"),
        artifacts=result.artifacts,
    )


RELEASE = View(render=_render_release, exit_code=_release_exit, brief=_release_brief, fail_on=())


# --- composed specs -------------------------------------------------------------------


def _render_steps(result: Any, console: Console) -> None:
    table = Table("step", "kind", "status", "summary", title=result.workflow_id)
    for step in result.steps.values():
        table.add_row(step.role, step.kind, step.status, step.summary[:120])
    console.print(table)
    _artifacts(console, result.artifacts)


def _steps_exit(result: Any, threshold: str | None) -> int:
    return 0 if result.status == "completed" else EXIT_FAILED


def _steps_brief(result: Any) -> Brief:
    return Brief(status=result.status, artifacts=result.artifacts)


STEPS = View(render=_render_steps, exit_code=_steps_exit, brief=_steps_brief, fail_on=())
