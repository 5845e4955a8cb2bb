"""pr-review's activities: read the change and lay out head's files, then the review
report. Thin typed wrappers around `change` and `review`, which are plain functions."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import reports
from activities.artifacts import ArtifactStore
from activities.llm.stage import apply_outcomes
from activities.pr_review.change import BadRevision, checkout, read_change, repo_prefix
from activities.pr_review.review import POLICY, github_review, on_changed_lines, verdict
from activities.target import target_repository
from workflows.code_facts import ChangeSet
from workflows.pr_review.models import (
    ChangeRequest,
    KeptFinding,
    PreparedChange,
    ReviewOutcome,
    ReviewReportRequest,
    Selected,
    SelectRequest,
)
from workflows.schemas import Finding, ReportWarning

FINDINGS = TypeAdapter(list[Finding])
CHANGE = TypeAdapter(ChangeSet)
TOP_IN_RESULT = 10
KEPT = TypeAdapter(list[KeptFinding])


def run_base(run_key: str) -> str:
    return f"runs/{run_key}/artifacts/pr-review"


class PrReviewActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="pr_review_prepare")
    async def prepare(self, request: ChangeRequest) -> PreparedChange:
        return await asyncio.to_thread(self._prepare, request)

    def _prepare(self, request: ChangeRequest) -> PreparedChange:
        target = target_repository(request.target)
        try:
            change = read_change(target, request.base, request.head)
            where = checkout(target, change.head, self.store.root)
        except BadRevision as exc:
            raise ApplicationError(str(exc), type="BadRevision", non_retryable=True) from None
        ref = self.store.put(
            f"{run_base(request.run_key)}/changes.json", change, CHANGE, len(change.files)
        )
        return PreparedChange(
            base=change.base,
            head=change.head,
            base_ref=change.base_ref,
            head_ref=change.head_ref,
            tree=str(where.tree),
            materialised=where.materialised,
            why_materialised=where.why,
            repo_prefix=repo_prefix(target),
            changes=ref,
            paths=[f.file for f in change.files if f.status != "D"],
            lines_changed=sum(len(f.lines) for f in change.files),
        )

    @activity.defn(name="pr_review_select")
    async def select(self, request: SelectRequest) -> Selected:
        return await asyncio.to_thread(self._select, request)

    def _select(self, request: SelectRequest) -> Selected:
        change = self.store.get(request.change.changes, CHANGE)
        found = [
            (role, finding)
            for role, result in request.team.agents.items()
            if result.report is not None
            for finding in self.store.get(result.report, FINDINGS)
        ]
        kept = [
            KeptFinding(agent=a, finding=f, line=n) for a, f, n in on_changed_lines(found, change)
        ]
        findings = [k.finding for k in kept]
        base = run_base(request.run_key)
        return Selected(
            kept=self.store.put(f"{base}/kept.json", kept, KEPT, len(kept)),
            findings=self.store.put(
                f"{base}/changed-line-findings.json", findings, FINDINGS, len(findings)
            ),
            seen=len(found),
        )

    @activity.defn(name="pr_review_report")
    async def report(self, request: ReviewReportRequest) -> ReviewOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: ReviewReportRequest) -> ReviewOutcome:
        change = self.store.get(request.change.changes, CHANGE)
        agents = request.team.agents
        stored = self.store.get(request.selected.kept, KEPT)
        apply_outcomes(self.store, [k.finding for k in stored], request.llm_outcomes)
        kept = [(k.agent, k.finding, k.line) for k in stored]
        chosen, reasons = verdict(kept, agents)
        findings = [f for _, f, _ in kept]
        summary = reports.summarize(findings, len(request.change.paths), 0)
        ref = self.store.put(
            f"{run_base(request.run_key)}/findings.json", findings, FINDINGS, len(findings)
        )
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = {
            **reports.artifact_paths(out_dir),
            "github_review": str(out_dir.absolute() / "github-review.json"),
        }
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        review = github_review(chosen, reasons, kept, request.change.repo_prefix)
        report = reports.build_report(
            workflow=request.workflow,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            status="completed",
            target=request.target,
            started_at=request.started_at,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=[],
            llm=request.llm,
            artifacts=paths,
            warnings=_warnings(request),
        )
        report.update(
            verdict=chosen,
            verdict_reasons=reasons,
            policy=POLICY,
            change=_change_section(request, change),
            agents={r: a.model_dump(mode="json") for r, a in agents.items()},
            not_available=request.not_available,
            findings_seen=request.selected.seen,
        )
        version = metadata.version("attune")
        contents = {
            "markdown": review_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(reports.render_sarif(report, version), indent=2) + "\n",
            "github_review": json.dumps(review, indent=2, ensure_ascii=False) + "\n",
        }
        out_dir.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)  # whole or not at all, mode 0644
        return ReviewOutcome(
            verdict=chosen,
            reasons=reasons,
            summary=summary,
            findings=ref,
            top=findings[:TOP_IN_RESULT],
            comments=len(review["comments"]),
            artifacts=self.store.publish(paths),
            duration_s=duration,
        )


def _warnings(request: ReviewReportRequest) -> list[ReportWarning]:
    """What the reader should know about how the change was read: the agents' own
    warnings, and head's files read from a copy."""
    warnings = [
        ReportWarning(code="agent-warning", message=f"{role}: {text}")
        for role, result in request.team.agents.items()
        for text in result.warnings
    ]
    if request.change.materialised:
        warnings.append(
            ReportWarning(code="head-materialised", message=request.change.why_materialised)
        )
    return warnings


def _change_section(request: ReviewReportRequest, change: ChangeSet) -> dict[str, Any]:
    prepared = request.change
    return {
        "base": change.base,
        "head": change.head,
        "base_ref": change.base_ref,
        "head_ref": change.head_ref,
        "analysed": prepared.tree,
        "materialised": prepared.materialised,
        "why_materialised": prepared.why_materialised,
        "files": [f.model_dump(mode="json") for f in change.files],
        "lines_changed": prepared.lines_changed,
    }


def review_markdown(report: dict[str, Any]) -> str:
    """The shared findings report with the verdict, its reasons and the agents first."""
    change = report["change"]
    out = [
        f"## Verdict: **{report['verdict']}**",
        "",
        *(f"- {reports._inline(reason)}" for reason in report["verdict_reasons"]),
        "",
        f"Policy: {report['policy']}.",
        "",
        f"Change: `{change['base'][:12]}` ({reports._inline(change['base_ref'])}) .. "
        f"`{change['head'][:12]}` ({reports._inline(change['head_ref'])}), "
        f"{len(change['files'])} files, {change['lines_changed']} changed lines; "
        f"{len(report['findings'])} of the agents' {report['findings_seen']} findings are on "
        "changed lines.",
        "",
    ]
    if change["materialised"]:
        out += [f"Head's files were analysed from a copy: {change['why_materialised']}.", ""]
    out += ["| agent | status | summary |", "|---|---|---|"]
    out += [
        f"| {role} | {a['status']} | {reports._cell(a['summary'])} |"
        for role, a in report["agents"].items()
    ]
    out += [f"| {name} | not available | not built yet |" for name in report["not_available"]]
    out.append("")
    text = reports.render_markdown(report)
    marker = "## Summary"
    head, _, tail = text.partition(marker)
    return head + "\n".join(out) + "\n" + marker + tail
