"""refactor-plan's activities: discovery, metrics, history, cross-file facts, patches,
the branch writer and the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.refactor_plan.activities import RefactorPlanActivities

    plan = RefactorPlanActivities(resources.store, resources.pool)
    return [
        plan.discover,
        plan.measure_batch,
        plan.history,
        plan.cross_file,
        plan.patches,
        plan.apply,
        plan.rank,
        plan.report,
    ]
