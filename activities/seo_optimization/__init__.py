"""seo-optimization's activities: preparing the site, the checks, Lighthouse, the drafts,
the patch, the branch writer and the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.seo_optimization.activities import SeoOptimizationActivities

    seo = SeoOptimizationActivities(resources.store, resources.pool)
    return [
        seo.prepare,
        seo.check_batch,
        seo.lighthouse,
        seo.site_check,
        seo.plan_drafts,
        seo.patch,
        seo.apply,
        seo.report,
    ]
