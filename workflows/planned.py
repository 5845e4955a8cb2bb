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
DOCUMENT_GEN = Flow(
    name="document-gen", planned=True,
    summary="docstring coverage and consistency, API reference, docstring drafts",
    description="write documentation",
    vocabulary={
        "document*": 3, "doc": 3, "docstring*": 3, "readme": 3, "api refer*": 2.5, "explain*": 1.5,
        "comment*": 1.5, "write up": 1,
    },
    examples=("document this package", "write the missing docstrings"),
)
RESEARCH_SYNTHESIS = Flow(
    name="research-synthesis", planned=True,
    summary="question + sources -> cited synthesis",
    description="research a question and synthesise sources",
    vocabulary={
        "research*": 4, "synthes*": 3, "literatur*": 3, "paper*": 2, "summariz*": 2, "sources": 2,
        "investigat*": 1, "state art": 2.5,
    },
    examples=("research how others solve this", "summarize these sources"),
)
DEPENDENCY_CHECK = Flow(
    name="dependency-check", planned=True, nearest="security-audit",
    summary="dependency inventory, OSV advisories from a local database, hygiene, SBOM",
    description="check dependencies for outdated or vulnerable packages",
    vocabulary={
        "dependenc*": 4, "dep": 3, "outdat*": 3, "requirement*": 3, "package*": 1.5, "upgrad*": 2,
        "pip audit": 3, "licens*": 2, "supply chain": 3, "lockfile*": 2, "lock file": 2,
        "third party": 2, "librar*": 1, "cve": 2, "advisor*": 2.5, "osv": 3, "sbom": 4,
        "pin*": 1.5, "pyproject": 1.5, "known vulnerab*": 2, "vulnerab* package": 3,
        "vulnerab* dependenc*": 2, r"re:requirements[\w.-]*\.(txt|in)": 3,
    },
    examples=(
        "check requirements.txt for known CVEs",
        "are any of our dependencies vulnerable?",
        "which packages are outdated?",
    ),
)
# fmt: on
