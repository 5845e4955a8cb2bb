"""The release-prep report: every agent's outcome, the recommendation with its
rules, and the decision log, as Markdown for people and JSON for tools."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, atomic_write
from activities.teams import team_skipped_and_warnings
from workflows.release_prep.models import Recommendation, ReleaseReportRequest


def _blocker_lines(rec: Recommendation) -> list[str]:
    """Each blocker once, with where it is and the command and output that show it."""
    details = {d.message: d for d in rec.blocker_details}
    lines: list[str] = []
    for blocker in rec.blockers:
        lines.append(f"- {blocker}")
        detail = details.get(blocker)
        if detail is None:
            continue
        if detail.file:
            where = f"{detail.file}:{detail.line}" if detail.line else detail.file
            lines.append(f"  - at `{where}`")
        if detail.command:
            lines.append(f"  - command: `{detail.command}`")
        if detail.output_tail:
            output = "\n".join(f"    {line}" for line in detail.output_tail.splitlines()[-15:])
            lines += ["  - output (tail):", "", "    ```", output, "    ```", ""]
    return lines


def render_release_markdown(request: ReleaseReportRequest) -> str:
    rec = request.recommendation
    lines = [
        f"# attune release-prep: `{request.target}`",
        "",
        f"- Workflow: `{request.workflow_id}` (run `{request.run_id}`)",
        f"- Started: {request.started_at.isoformat()}",
        f"- Outcome: **{request.status}**",
        f"- Recommendation: **{rec.verdict}**",
        "",
        "## Blockers",
        "",
        *(_blocker_lines(rec) or ["- none"]),
        "",
        "## Warnings",
        "",
        *([f"- {w}" for w in rec.warnings] or ["- none"]),
        "",
        "## Agents",
        "",
        "| agent | status | summary |",
        "|---|---|---|",
    ]
    for role, result in request.team.agents.items():
        summary = result.summary.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {role} | {result.status} | {summary} |")
    changelog = request.team.agents.get("docs")
    draft = changelog.data.get("changelog_draft") if changelog else None
    if draft:
        lines += ["", "## Drafted changelog", "", draft]
    lines += ["", "## Decisions", ""]
    for event in request.decisions:
        override = " (over blockers)" if event.override_blockers else ""
        lines.append(
            f"- {event.at.isoformat()}: **{event.action}**{override} by {event.reviewer}"
            + (f": {event.text}" if event.text else "")
        )
    lines += ["", "## Rules", "", *[f"- {rule}" for rule in rec.rules], ""]
    return "\n".join(lines)


class ReleaseReportActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="write_release_report")
    async def write_release_report(self, request: ReleaseReportRequest) -> dict[str, str]:
        out = Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        paths = {"markdown": out / "report.md", "json": out / "report.json"}
        atomic_write(paths["markdown"], render_release_markdown(request).encode())
        reports = {
            role: r.data["report"] for role, r in request.team.agents.items() if "report" in r.data
        }
        skipped, warnings = team_skipped_and_warnings(request.team, reports)
        document = {
            "workflow": "release-prep",
            **request.model_dump(mode="json"),
            "skipped": skipped,
            "warnings": warnings,
        }
        atomic_write(paths["json"], json.dumps(document, indent=2).encode())
        return self.store.publish({kind: str(path.absolute()) for kind, path in paths.items()})
