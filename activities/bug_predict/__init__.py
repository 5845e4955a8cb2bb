"""bug-predict's activities: discovery, metrics and patterns, git history, the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.bug_predict.activities import BugPredictActivities

    bug = BugPredictActivities(resources.store, resources.pool)
    return [bug.discover, bug.analyze_batch, bug.history, bug.report]
