"""code-review: correctness, maintainability and clarity of files or a diff; fixes as diffs."""

from workflows.code_review.models import CodeReviewRequest, CodeReviewResult
from workflows.registry import Flow, TeamRole

# fmt: off
FLOW = Flow(
    name="code-review",
    summary="correctness, maintainability and clarity of files or a diff; fixes as diffs",
    request=CodeReviewRequest,
    result=CodeReviewResult,
    workflow="workflows.code_review.workflow:CodeReviewWorkflow",
    activities="activities.code_review:worker_activities",
    extra_workflows=("workflows.code_review.agent:CodeReviewAgentWorkflow",),
    mcp_tool="code_review",
    target="python",
    view="workflows.code_review.view:VIEW",
    validate="activities.code_review.preflight:check_revisions",
    description="review files or a diff",
    vocabulary={
        "review*": 2, "code review": 1.5, "review code": 1, "feedback": 2, "critiqu*": 2,
        "look over": 2, "second opinion": 2.5, "read over": 2, "improv*": 1,
    },
    examples=("give me a code review", "get a second opinion on this module"),
    generic_route=True,
    team=TeamRole(
        role="review",
        agent="CodeReviewAgent",
        teams=("quality-checks", "release-prep", "pr-review"),
    ),
)
# fmt: on
