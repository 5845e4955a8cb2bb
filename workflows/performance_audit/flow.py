"""performance-audit: static performance anti-patterns, ruff's and attune's own."""

from workflows.performance_audit.models import PerformanceAuditRequest, PerformanceAuditResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="performance-audit",
    summary="static performance anti-patterns (ruff PERF/FURB/C4/ASYNC and attune rules)",
    request=PerformanceAuditRequest,
    result=PerformanceAuditResult,
    workflow="workflows.performance_audit.workflow:PerformanceAuditWorkflow",
    activities="activities.performance_audit:worker_activities",
    mcp_tool="performance_audit",
    target="python",
    description="find slow code and performance anti-patterns",
    vocabulary={
        "performanc*": 3, "perf": 3, "slow*": 3, "speed*": 2.5, "fast*": 2, "bottleneck*": 3,
        "profil*": 3, "latenc*": 3, "optimiz*": 2, "efficien*": 2, "hot path": 2.5,
        "memory usage": 2, "cpu": 2, "throughput": 2.5, "sluggish": 3, "n+1": 3,
    },
    examples=("Check performance", "why is this endpoint so slow?"),
)
# fmt: on
