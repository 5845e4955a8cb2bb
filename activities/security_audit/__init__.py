"""security-audit's activities: discovery, scanning, LLM prompts, the report."""

from __future__ import annotations

from activities.resources import WorkerResources


def worker_activities(resources: WorkerResources) -> list:
    from activities.llm.stage import LLMStageActivities
    from activities.security_audit.activities import SecurityActivities

    security = SecurityActivities(resources.store, resources.pool)
    stage = LLMStageActivities(resources.store)
    return [
        security.discover_files,
        security.scan_batch,
        security.trace_taint,
        security.build_audit_report,
        stage.plan_triage,
        stage.plan_remediation,
    ]
