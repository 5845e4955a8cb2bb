"""How a quality-checks result reads: the team view, with the counts of the merged report,
where a finding several checks share counts once (the agents' own counts would count it
once per check)."""

from __future__ import annotations

from typing import Any

from starter.views import EXIT_FAILED, EXIT_FINDINGS, TEAM, Brief, View, _at_or_above, load_report


def merged_counts(result: Any) -> dict[str, int]:
    return load_report(result)["summary"]["counts"]


def _exit(result: Any, threshold: str | None) -> int:
    if any(a.status != "ok" for a in result.agents.values()):
        return EXIT_FAILED
    return EXIT_FINDINGS if _at_or_above(merged_counts(result), threshold) else 0


def _brief(result: Any) -> Brief:
    summary = load_report(result)["summary"]
    return TEAM.brief(result).model_copy(
        update={"counts": summary["counts"], "findings_total": summary["findings_total"]}
    )


VIEW = View(render=TEAM.render, exit_code=_exit, brief=_brief)
