"""The Router's types: a goal's routing decision, the Router's input and result."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from activities.llm.outputs import RouteAnswer
from workflows.schemas import UsageMemo


class MissingRoute(BaseModel):
    workflow: str
    nearest: str | None


class RouteDecision(BaseModel):
    """What a goal asks for. A question with workflows chosen asks for a parameter
    (the release's repository); a question without asks which route is meant."""

    workflows: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    confidence: float = 0.0
    question: str | None = None
    options: list[str] = Field(default_factory=list)
    missing: list[MissingRoute] = Field(default_factory=list)
    reason: str = ""


class RouteRequest(BaseModel):
    goal: str
    path: str = Field(description="Absolute directory that paths in the goal are relative to")
    answers: list[str] = Field(default_factory=list, description="Answers already given")
    llm_available: bool = False
    answer_timeout_s: int = Field(default=24 * 3600, ge=1)


class RouteRan(BaseModel):
    workflow: str
    workflow_id: str
    status: str
    usage: UsageMemo | None = None


class RouteResult(BaseModel):
    decision: RouteDecision
    ran: list[RouteRan] = Field(default_factory=list)
    message: str
    usage: UsageMemo | None = None


class RoutePrompt(BaseModel):
    run_key: str
    number: int
    goal: str
    answers: list[str]
    candidates: list[str]


class RouteStep(BaseModel):
    """One routing step the Router asks of the classifier activity."""

    op: Literal["decide", "refine", "settle", "answer"]
    goal: str = ""
    answers: list[str] = Field(default_factory=list)
    text: str = Field(default="", description="The goal widened by the answers so far")
    reply: str = ""
    decision: RouteDecision | None = None
    llm: RouteAnswer | None = None


class RouteStepResult(BaseModel):
    decision: RouteDecision
    text: str = ""


class RouteOutcome(BaseModel):
    decision: RouteDecision
    ran: list[RouteRan] = Field(default_factory=list)
