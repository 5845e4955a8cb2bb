"""pr-review: a pull request's change reviewed by the pr-review team; a verdict."""

from workflows.pr_review.models import PrReviewRequest, PrReviewResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="pr-review",
    summary="a pull request's diff: review, bug and security checks on changed lines; verdict",
    request=PrReviewRequest,
    result=PrReviewResult,
    workflow="workflows.pr_review.workflow:PrReviewWorkflow",
    activities="activities.pr_review:worker_activities",
    target="repository",
    validate="activities.pr_review.change:check_request",
    view="workflows.pr_review.view:VIEW",
    reports=("markdown", "json", "sarif", "github_review"),
    description="review a pull request",
    vocabulary={
        "pull request": 4, "pr": 3, "merge request": 4, "diff": 2, "changeset*": 2, "branch*": 1,
        "patch": 1,
    },
    examples=("review my pull request", "check this PR before merging"),
)
# fmt: on
