"""release-prep: an agent team checks a release, then a person approves or rejects it."""

from workflows.registry import Flow
from workflows.release_prep.models import ReleasePrepRequest, ReleasePrepResult

# fmt: off
FLOW = Flow(
    name="release-prep",
    summary="team of security, testing, docs, version and health agents; go/no-go; "
    "waits for a human approval",
    request=ReleasePrepRequest,
    result=ReleasePrepResult,
    workflow="workflows.release_prep.workflow:ReleasePrepWorkflow",
    activities="activities.release_prep:worker_activities",
    mcp_tool="release_prep",
    target="repository",
    view="starter.views:RELEASE",
    reports=("markdown", "json"),
    asks_approval=True,
    description="go/no-go release checks, then your approval",
    vocabulary={
        "releas*": 3, "ship*": 2.5, "publish*": 2, "go no go": 3, "changelog": 1.5,
        "version bump": 2, "bump version": 2, "tag": 1, "cut": 1.5, "prepar*": 0.5, "deploy*": 1.5,
        "launch*": 1.5, "out door": 3, "new version": 2.5, "rollout": 2, "roll out": 2,
        "ready merge": 1, "ready ship": 3, "get out": 1.5,
        r"re:(?<![\w.])v?\d+\.\d+(\.\d+)?(?![\w.])": 1.5,
    },
    examples=(
        "Prepare a release",
        "get version 2.1 out the door",
        "cut a new release",
        "ship it",
        "are we ready to ship?",
    ),
)
# fmt: on
