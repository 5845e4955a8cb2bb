"""Payloads of the shared LLM stage of the code-intelligence flows (workflows.llm_findings).

Kept apart from the workflow helper so the planning activities can import them without
importing workflow code (which imports the activities in turn).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.schemas import ArtifactRef, EscalationState, LLMSummary, UsageMemo
from workflows.security_audit.models import LLMOutcome


class FindingsLLMRequest(BaseModel):
    """What the planning activities need: which findings, of which flow, how many."""

    run_key: str
    target: str
    flow: str = Field(description="The flow's name: picks the prompts (see FLOW_PROMPTS)")
    findings: list[ArtifactRef] = Field(
        description="list[Finding] artifacts, e.g. one per analysis batch; one is fine"
    )
    max_findings: int = Field(ge=0, description="Most severe findings sent to triage")
    triage: list[EscalationState] = Field(
        default_factory=list, description="The triage tasks' states, for the explanations"
    )


class FindingsLLMResult(BaseModel):
    """The stage's summary for the report's `llm` block, the outcomes the report puts
    onto the findings (activities.llm.stage.apply_outcomes), and the run's usage."""

    summary: LLMSummary
    outcomes: list[LLMOutcome] = Field(default_factory=list)
    usage: UsageMemo
