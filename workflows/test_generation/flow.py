"""test-generation: Given/When/Then pytest tests that pass twice in isolation and add
coverage; possible bugs as findings; the test files committed to a new branch only with
`--apply`."""

from workflows.registry import Flow
from workflows.test_generation.models import TestGenerationRequest, TestGenerationResult

# fmt: off
FLOW = Flow(
    name="test-generation",
    summary="Given/When/Then pytest tests that pass twice and add coverage",
    request=TestGenerationRequest,
    result=TestGenerationResult,
    workflow="workflows.test_generation.workflow:TestGenerationWorkflow",
    activities="activities.test_generation:worker_activities",
    validate="activities.test_generation.checks:check_request",
    view="workflows.test_generation.view:VIEW",
    reports=("markdown", "json", "sarif", "tests"),
    mcp_tool="test_generation",
    target="python",
    description="write pytest tests",
    vocabulary={
        "test*": 1, "unittest*": 2, "generat* test": 3, "test generat*": 3, "writ* test": 3,
        "creat* test": 3, "add test": 3, "unit test": 2.5, "test coverage": 2.5, "coverage": 2,
        "pytest": 1.5, "missing test": 3, "given when then": 3, "test for": 1,
    },
    examples=("Generate tests for this module", "raise our test coverage"),
)
# fmt: on
