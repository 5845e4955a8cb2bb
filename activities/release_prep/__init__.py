"""release-prep's activities: the agents' checks, the recommendation, the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.release_prep.agents import ReleaseAgentActivities
    from activities.release_prep.recommendation import recommend_release
    from activities.release_prep.report import ReleaseReportActivities

    agents = ReleaseAgentActivities(resources.store)
    report = ReleaseReportActivities(resources.store)
    return [
        agents.run_tests,
        agents.check_version,
        agents.check_docs,
        agents.check_health,
        recommend_release,
        report.write_release_report,
    ]
