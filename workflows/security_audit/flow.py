"""security-audit: ruff S, attune's AST/taint rules and secret detection; Claude triage."""

from workflows.registry import Flow, TeamRole
from workflows.security_audit.models import AuditRequest, AuditResult

# fmt: off
FLOW = Flow(
    name="security-audit",
    summary="ruff S rules + attune AST/taint rules + secret detection; CWE per finding",
    request=AuditRequest,
    result=AuditResult,
    workflow="workflows.security_audit.workflow:SecurityAuditWorkflow",
    activities="activities.security_audit:worker_activities",
    extra_workflows=("workflows.security_audit.agent:SecurityAgentWorkflow",),
    mcp_tool="security_audit",
    target="python",
    validate="activities.security_audit.baseline:check_request",
    view="starter.views:FINDINGS",
    description="find vulnerabilities, secrets and risky code",
    vocabulary={
        "secur*": 3, "insecur*": 3, "vulnerab*": 3, "exploit*": 3, "inject*": 3, "cwe": 3,
        "owasp": 3, "xss": 3, "csrf": 3, "ssrf": 3, "taint*": 3, "hardcod*": 2, "secret*": 3,
        "password*": 2, "credential*": 1.5, "leak*": 2, "bandit": 3, "sanitiz*": 2, "attack*": 2,
        "safe": 1, "audit": 1, "scan": 1, "security audit": 2, "cve": 1.5,
    },
    examples=(
        "Review this code for security",
        "audit ./src for vulnerabilities",
        "find hardcoded secrets",
        "is this code safe against SQL injection?",
    ),
    team=TeamRole(
        role="security",
        agent="SecurityAgent",
        teams=("quality-checks", "release-prep", "pr-review"),
    ),
)
# fmt: on
