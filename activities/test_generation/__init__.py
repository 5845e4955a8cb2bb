"""test-generation's activities: module discovery, coverage before, one activity per
module (engines and the isolation runner), the branch commit and the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.test_generation.activities import TestGenerationActivities

    tg = TestGenerationActivities(resources.store, resources.pool)
    return [tg.discover, tg.baseline, tg.module, tg.llm_prompts, tg.apply, tg.report]
