"""The go/no-go decision as an activity: the rules can change between releases of
attune without changing how a release that waits for its approval replays."""

from __future__ import annotations

from temporalio import activity

from activities.release_prep.decision import (
    REVIEW,
    SECURITY,
    recommend,
    review_counts,
    security_counts,
)
from workflows.release_prep.models import Recommendation
from workflows.schemas import AgentResult


@activity.defn(name="recommend_release")
async def recommend_release(agents: dict[str, AgentResult]) -> Recommendation:
    """The rules, with the security and review counts read from their reports."""
    recount = {SECURITY: security_counts, REVIEW: review_counts}
    return recommend({role: recount.get(role, lambda r: r)(r) for role, r in agents.items()})
