"""Names on the wire. They are a protocol: never rename one that has shipped.

The search-attribute keys are made on first use (PEP 562), so a command that only
needs a signal's name does not load Temporal's SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.common import SearchAttributeKey

    ATTUNE_WORKFLOW: SearchAttributeKey[str]
    ATTUNE_TARGET: SearchAttributeKey[str]
    ATTUNE_STAGE: SearchAttributeKey[str]
    ATTUNE_TIER: SearchAttributeKey[str]
    ATTUNE_AWAITING: SearchAttributeKey[str]
    ATTUNE_COST_USD: SearchAttributeKey[float]
    SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[Any], ...]

TASK_QUEUE = "attune"
LLM_TASK_QUEUE = "attune-llm"
"""Claude calls only: one fleet-wide rate limit (ATTUNE_LLM_RPS) applies to it."""
DEDICATED_WORKER = "worker"
"""The kind in an `attune worker`'s identity (`attune-worker-<pid>@<host>`): the starter
checks pollers for it without loading the worker's activities."""

KEYWORD_ATTRIBUTES = {
    "ATTUNE_WORKFLOW": "AttuneWorkflow",
    "ATTUNE_TARGET": "AttuneTarget",
    "ATTUNE_STAGE": "AttuneStage",
    "ATTUNE_TIER": "AttuneTier",
    "ATTUNE_AWAITING": "AttuneAwaiting",
}
FLOAT_ATTRIBUTES = {"ATTUNE_COST_USD": "AttuneCostUSD"}


def __getattr__(name: str) -> Any:
    from temporalio.common import SearchAttributeKey

    if name in KEYWORD_ATTRIBUTES:
        key: Any = SearchAttributeKey.for_keyword(KEYWORD_ATTRIBUTES[name])
    elif name in FLOAT_ATTRIBUTES:
        key = SearchAttributeKey.for_float(FLOAT_ATTRIBUTES[name])
    elif name == "SEARCH_ATTRIBUTES":
        key = tuple(__getattr__(n) for n in (*KEYWORD_ATTRIBUTES, *FLOAT_ATTRIBUTES))
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = key
    return key


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
BUG_PREDICT_AGENT = "BugPredictAgent"
CODE_REVIEW_AGENT = "CodeReviewAgent"
DEPENDENCY_CHECK_AGENT = "DependencyCheckAgent"
MEMORY_STORE_SIGNAL = "memory_store"
MEMORY_RETRIEVE_QUERY = "memory_retrieve"
APPROVE_SIGNAL = "approve"
REJECT_SIGNAL = "reject"
PENDING_APPROVALS_QUERY = "pending_approvals"
PROJECT_MEMORY = "ProjectMemory"
MEMORY_STORE_UPDATE = "store"
ACCEPTED_RISK_PREFIX = "accepted-risk:"
ROUTER = "Router"
QUESTION_QUERY = "question"
ANSWER_SIGNAL = "answer"
