"""composed: a user's workflow spec (TOML or YAML) run without Temporal code."""

from workflows.composed.models import ComposedRequest, ComposedResult
from workflows.registry import Flow

FLOW = Flow(
    name="composed",
    summary="a user-composed workflow spec",
    request=ComposedRequest,
    result=ComposedResult,
    workflow="workflows.composed.workflow:ComposedWorkflow",
    activities="activities.composed:worker_activities",
    listed=False,
    target="any",
    view="starter.views:STEPS",
    reports=("markdown", "json"),
)
