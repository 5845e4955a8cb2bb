"""bug-predict: hotspots (latest changed, then most complex) and high-precision bug patterns."""

from workflows.bug_predict.models import BugPredictRequest, BugPredictResult
from workflows.registry import Flow, TeamRole

# fmt: off
FLOW = Flow(
    name="bug-predict",
    summary="hotspots (latest changed, then most complex) and high-precision bug patterns",
    request=BugPredictRequest,
    result=BugPredictResult,
    workflow="workflows.bug_predict.workflow:BugPredictWorkflow",
    activities="activities.bug_predict:worker_activities",
    extra_workflows=("workflows.bug_predict.agent:BugPredictAgentWorkflow",),
    mcp_tool="bug_predict",
    target="python",
    view="workflows.bug_predict.view:VIEW",
    description="rank the code most likely to have bugs",
    vocabulary={
        "bug*": 3, "buggy": 3, "predict*": 2, "defect*": 3, "crash*": 2, "fragil*": 2, "risky": 2,
        "error prone": 3, "likely break": 3, "hotspot*": 2, "churn": 2,
    },
    examples=("where are the bugs likely to be?", "find the most fragile files"),
    team=TeamRole(
        role="bugs", agent="BugPredictAgent", teams=("quality-checks", "release-prep", "pr-review")
    ),
)
# fmt: on
