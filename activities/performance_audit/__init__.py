"""performance-audit's activities: discovery, the analysis batches, the report, profiling."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.performance_audit.activities import PerformanceAuditActivities

    perf = PerformanceAuditActivities(resources.store, resources.pool)
    return [perf.discover, perf.analyze_batch, perf.report, perf.profile]
