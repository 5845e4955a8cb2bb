"""dependency-check's activities: inventory, advisories, hygiene, report (with the SBOM)."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.dependency_check.activities import DependencyCheckActivities

    check = DependencyCheckActivities(resources.store)
    return [check.inventory, check.advisories, check.hygiene, check.report]
