"""code-review's activities: the change set, discovery, the review batches, dead code and
type checks over the whole file set, the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.code_review.activities import CodeReviewActivities

    review = CodeReviewActivities(resources.store, resources.pool)
    return [
        review.changes,
        review.discover,
        review.analyze_batch,
        review.dead_code,
        review.types,
        review.report,
    ]
