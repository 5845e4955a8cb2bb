"""pr-review's activities: the change and head's files, then the review report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.pr_review.activities import PrReviewActivities

    review = PrReviewActivities(resources.store)
    return [review.prepare, review.report]
