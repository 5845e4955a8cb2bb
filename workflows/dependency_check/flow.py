"""dependency-check: inventory, OSV advisories from a local database, hygiene, SBOM."""

from workflows.dependency_check.models import DependencyCheckRequest, DependencyCheckResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="dependency-check",
    summary="dependency inventory, OSV advisories from a local database, hygiene, SBOM",
    request=DependencyCheckRequest,
    result=DependencyCheckResult,
    workflow="workflows.dependency_check.workflow:DependencyCheckWorkflow",
    activities="activities.dependency_check:worker_activities",
    extra_workflows=("workflows.dependency_check.agent:DependencyCheckAgentWorkflow",),
    target="any",
    view="workflows.dependency_check.view:VIEW",
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
