"""research-synthesis's activities: reading sources, the offline engine, the Claude
prompts, the citation check and the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.research_synthesis.activities import ResearchSynthesisActivities

    research = ResearchSynthesisActivities(resources.store)
    return [
        research.read,
        research.analyze,
        research.plan_llm,
        research.check_citations,
        research.report,
    ]
