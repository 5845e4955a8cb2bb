"""Flows attune announces but has not built yet.

Each is a `Flow` with `planned=True`: routing recognises how people ask for it, says
plainly that it is not available yet, and offers `nearest`. Building one replaces
its entry-point line in pyproject.toml with the real flow unit's `FLOW`.
"""

from workflows.registry import Flow

# fmt: off
TEST_GENERATION = Flow(
    name="test-generation", planned=True, nearest="quality-checks", mcp_tool="test_generation",
    summary="Given/When/Then pytest tests that pass twice and add coverage",
    description="write pytest tests",
    vocabulary={
        "test*": 1, "unittest*": 2, "generat* test": 3, "test generat*": 3, "writ* test": 3,
        "creat* test": 3, "add test": 3, "unit test": 2.5, "test coverage": 2.5, "coverage": 2,
        "pytest": 1.5, "missing test": 3, "given when then": 3, "test for": 1,
    },
    examples=("Generate tests for this module", "raise our test coverage"),
)
# fmt: on
