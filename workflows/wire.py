"""Names on the wire. They are a protocol: never rename one that has shipped."""

from temporalio.common import SearchAttributeKey

TASK_QUEUE = "attune"

ATTUNE_WORKFLOW = SearchAttributeKey.for_keyword("AttuneWorkflow")
ATTUNE_TARGET = SearchAttributeKey.for_keyword("AttuneTarget")
ATTUNE_STAGE = SearchAttributeKey.for_keyword("AttuneStage")
ATTUNE_TIER = SearchAttributeKey.for_keyword("AttuneTier")
ATTUNE_AWAITING = SearchAttributeKey.for_keyword("AttuneAwaiting")
ATTUNE_COST_USD = SearchAttributeKey.for_float("AttuneCostUSD")

SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    ATTUNE_WORKFLOW,
    ATTUNE_TARGET,
    ATTUNE_STAGE,
    ATTUNE_TIER,
    ATTUNE_AWAITING,
    ATTUNE_COST_USD,
)

PROGRESS_QUERY = "progress"
USAGE_MEMO = "usage"

TIER_ESCALATION = "TierEscalation"
ESCALATE_SIGNAL = "escalate"
SET_CEILING_SIGNAL = "set_ceiling"
SET_BUDGET_SIGNAL = "set_budget"
STATE_QUERY = "state"
TEAM = "Team"
AGENT = "Agent"
SECURITY_AGENT = "SecurityAgent"
MEMORY_STORE_SIGNAL = "memory_store"
MEMORY_RETRIEVE_QUERY = "memory_retrieve"
APPROVE_SIGNAL = "approve"
REJECT_SIGNAL = "reject"
PENDING_APPROVALS_QUERY = "pending_approvals"
PROJECT_MEMORY = "ProjectMemory"
MEMORY_STORE_UPDATE = "store"
ACCEPTED_RISK_PREFIX = "accepted-risk:"
