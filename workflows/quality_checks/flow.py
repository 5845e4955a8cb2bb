"""quality-checks: every flow that serves the quality-checks team, in parallel, one report."""

from workflows.quality_checks.models import QualityChecksRequest, QualityChecksResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="quality-checks",
    summary="security-audit, code-review and bug-predict as one team in parallel, one merged "
    "report with findings several checks share counted once",
    request=QualityChecksRequest,
    result=QualityChecksResult,
    workflow="workflows.quality_checks.workflow:QualityChecksWorkflow",
    activities="activities.quality_checks:worker_activities",
    mcp_tool="quality_checks",
    target="python",
    view="workflows.quality_checks.view:VIEW",
    reports=("markdown", "json"),
    description="run every quality check as one report",
    vocabulary={
        "quality": 3, "quality check": 1, "lint*": 3, "ruff": 2.5, "mypy": 2.5, "type check": 2.5,
        "typecheck*": 2.5, "style": 1.5, "code smell": 2.5, "all check": 3, "every check": 3,
        "check everyth": 3, "ci": 1, "pre commit": 2, "health": 1.5, "check": 0.5, "clean": 0.5,
        "improv*": 1,
    },
    examples=("Run all quality checks", "lint my code", "check everything before I merge"),
)
# fmt: on
