"""refactor-plan: a ranked refactoring plan and ruff's mechanical patch, committed to a new
branch only with `--apply`."""

from workflows.refactor_plan.models import RefactorPlanRequest, RefactorPlanResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="refactor-plan",
    summary="a ranked refactoring plan: hotspots, long functions, duplication, dead code",
    request=RefactorPlanRequest,
    result=RefactorPlanResult,
    workflow="workflows.refactor_plan.workflow:RefactorPlanWorkflow",
    activities="activities.refactor_plan:worker_activities",
    validate="activities.apply_branch:check_request",
    target="python",
    view="workflows.refactor_plan.view:VIEW",
    reports=("markdown", "json", "sarif", "patch"),
    description="plan a refactoring",
    vocabulary={
        "refactor*": 4, "restructur*": 3, "clean up": 2, "cleanup": 2, "tech debt": 3,
        "technical debt": 3, "simplif*": 2, "modulariz*": 2.5, "untangl*": 2.5, "reorganiz*": 2.5,
        "architectur*": 2, "spaghetti": 2.5, "improv*": 1, "break up": 3, "split up": 3,
        "god class": 4, "too big": 2, "too long": 2, "extract": 1.5, "decompos*": 2.5,
        "dead code": 3, "duplicat*": 2,
    },
    examples=("plan a refactoring", "break up this class", "this class is too big, split it up"),
)
# fmt: on
