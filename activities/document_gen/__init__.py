"""document-gen's activities: discovery, the style vote, the measuring batches, the API
reference, the summary prompts, the drafts' patch, the branch writer and the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.document_gen.activities import DocumentGenActivities

    docs = DocumentGenActivities(resources.store, resources.pool)
    return [
        docs.discover,
        docs.style,
        docs.measure_batch,
        docs.reference,
        docs.plan_summaries,
        docs.drafts,
        docs.apply,
        docs.report,
    ]
