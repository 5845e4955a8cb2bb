"""What a test engine hands to the isolation runner: candidate tests, one behaviour each.

Every engine (Pynguin, Hypothesis's ghostwriter, attune's AST analysis, Claude) turns its
own output into these, so the runner, the keep rules and the test file writer treat
them alike. A candidate is only a proposal: it is kept when it passes twice in isolation
and adds line or branch coverage.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Engine = Literal["pynguin", "ghostwriter", "ast", "llm"]
EngineStatus = Literal["ok", "skipped", "failed", "timed_out"]


class CandidateTest(BaseModel):
    engine: Engine
    module: str = Field(description="Dotted name of the module under test")
    function: str | None = Field(
        default=None, description="Qualified name of the function or method under test"
    )
    name: str = Field(description="The test function's name: test_<function>_<behaviour>")
    behaviour: str = Field(description="One line: the behaviour the test pins down")
    imports: list[str] = Field(
        default_factory=list, description="Import statements the test needs, one per item"
    )
    body: str = Field(
        description="The test function's source, from `def test_...():` on, with "
        "`# Given`, `# When` and `# Then` comments"
    )
    inputs: str | None = Field(
        default=None, description="The inputs, as source, shown when the test finds a bug"
    )


class EngineOutcome(BaseModel):
    """One engine's run on one module."""

    engine: Engine
    status: EngineStatus
    reason: str = Field(default="", description="Why it was skipped, failed or timed out")
    candidates: list[CandidateTest] = Field(default_factory=list)
    duration_s: float = 0.0
