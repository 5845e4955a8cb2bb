"""Models of the test-generation flow: its request, result and the payloads between steps."""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.schemas import (
    ApplyOutcome,
    ArtifactRef,
    LLMSummary,
    ReportWarning,
    RunStatus,
    SkippedFile,
    Tier,
    UsageMemo,
)
from workflows.security_audit.models import AuditSummary
from workflows.test_generation.candidates import CandidateTest, Engine, EngineStatus

DETERMINISTIC_ENGINES: tuple[Engine, ...] = ("ast", "ghostwriter", "pynguin")
_SELECT = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")
RejectReason = Literal[
    "fails", "flaky", "no-new-coverage", "timed-out", "possible-bug", "broken-in-file"
]


class TestGenerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    __test__: ClassVar[bool] = False  # a model, not a pytest test class

    target: str = Field(description="A module file, a package directory or a directory")
    select: str | None = Field(
        default=None,
        description="Only this inside the target: `module`, `module:function` or "
        "`function` (`--param target=module:function` means the same)",
    )
    import_root: str | None = Field(
        default=None,
        description="The directory the modules are imported from; by default the first "
        "parent directory without an __init__.py",
    )
    out_dir: str | None = Field(
        default=None, description="Where the reports and test files go (default: the run's)"
    )
    apply: bool = Field(
        default=False,
        description="Commit the generated test files to a new git branch "
        "(the working tree and the index stay untouched)",
    )
    engines: list[Engine] = Field(
        default_factory=lambda: [*DETERMINISTIC_ENGINES, "llm"],
        description="Engines to run; llm runs only with an API key",
    )
    ast_budget_s: int = Field(default=30, ge=1, le=3600, description="attune's AST engine")
    ghostwriter_budget_s: int = Field(default=60, ge=1, le=3600)
    pynguin_budget_s: int = Field(default=60, ge=1, le=3600)
    test_timeout_s: int = Field(
        default=30, ge=1, le=600, description="One candidate test's run in isolation"
    )
    existing_tests_timeout_s: int = Field(
        default=600, ge=1, le=86_400, description="The project's own tests, for coverage before"
    )
    max_modules: int = Field(default=100, ge=1, le=10_000)
    max_candidates: int = Field(
        default=200, ge=1, le=10_000, description="Candidates tried per module"
    )
    heartbeat_timeout_s: int = Field(
        default=60, ge=5, description="How soon a dead worker's module moves to another"
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="LLM budget per run")
    llm_ceiling: Tier = Field(default="opus", description="Highest tier the LLM loop may use")
    rounds: int = Field(default=3, ge=1, le=10, description="LLM rounds per uncovered segment")
    llm_max_segments: int = Field(
        default=5, ge=0, le=100, description="Uncovered functions sent to Claude per module"
    )

    @field_validator("select")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None and not _SELECT.match(value):
            raise ValueError(f"select {value!r} is not `module`, `module:function` or `function`")
        return value

    @field_validator("engines", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`--param engines=ast,ghostwriter` as well as the parameter repeated."""
        return (
            [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
        )

    @field_validator("engines")
    @classmethod
    def _some_engine(cls, value: list[Engine]) -> list[Engine]:
        if not value:
            raise ValueError("engines: name at least one of ast, ghostwriter, pynguin, llm")
        return list(dict.fromkeys(value))


class ModuleSpec(BaseModel):
    """One module to write tests for."""

    module: str = Field(description="Dotted name, importable from the import root")
    file: str = Field(description="POSIX path relative to the import root")
    functions: list[str] = Field(
        default_factory=list, description="Only these (qualified names); empty means all"
    )


class DiscoverModulesRequest(BaseModel):
    run_key: str
    target: str
    select: str | None = None
    import_root: str | None = None
    max_modules: int


class DiscoveredModules(BaseModel):
    import_root: str
    project_root: str = Field(description="Where the project's own tests are looked for")
    modules: list[ModuleSpec]
    skipped: list[SkippedFile] = Field(default_factory=list)
    warnings: list[ReportWarning] = Field(default_factory=list)


class Coverage(BaseModel):
    """A module's line and branch coverage; branches are `[from_line, to_line]` arcs."""

    lines: list[int] = Field(default_factory=list)
    branches: list[tuple[int, int]] = Field(default_factory=list)
    statements: int = 0
    branches_total: int = 0

    def percent(self) -> float:
        """coverage.py's own measure with branches: covered lines + branches over both."""
        total = self.statements + self.branches_total
        if not total:
            return 100.0
        return round(100 * (len(self.lines) + len(self.branches)) / total, 1)


class BaselineRequest(BaseModel):
    run_key: str
    project_root: str
    import_root: str
    modules: list[ModuleSpec]
    timeout_s: int


class Baseline(BaseModel):
    status: Literal["ok", "no-tests", "failed", "timed-out"]
    reason: str = ""
    command: list[str] = Field(default_factory=list)
    tests_found: int = 0
    coverage: ArtifactRef | None = Field(default=None, description="dict[module, Coverage]")


class SegmentAnswer(BaseModel):
    """One LLM task's answer for one uncovered segment (a function)."""

    segment: str
    answer: ArtifactRef | None = Field(default=None, description="Raw output of the best try")


class ModuleJob(BaseModel):
    run_key: str
    index: int
    spec: ModuleSpec
    import_root: str
    project_root: str
    baseline: ArtifactRef | None = None
    engines: list[Engine]
    budgets: dict[str, int] = Field(description="Seconds per engine")
    test_timeout_s: int
    max_candidates: int
    llm_round: int = Field(default=0, description="0 for the engines; n for LLM round n")
    llm_answers: list[SegmentAnswer] = Field(default_factory=list)


class LLMPromptsRequest(BaseModel):
    job: ModuleJob
    round: int
    max_segments: int


class SegmentPrompt(BaseModel):
    segment: str
    prompt: ArtifactRef
    estimated_input_tokens: int
    failures: int = Field(description="Earlier rounds whose tests for it were all rejected")


class EngineRun(BaseModel):
    engine: Engine
    status: EngineStatus
    reason: str = ""
    candidates: int = 0
    duration_s: float = 0.0


class KeptTest(BaseModel):
    candidate: CandidateTest
    new_lines: int
    new_branches: int


class Rejection(BaseModel):
    name: str
    engine: Engine
    reason: RejectReason
    detail: str = ""


class PossibleBug(BaseModel):
    """A candidate that fails because the code under test raises."""

    test: str
    engine: Engine
    function: str | None
    exception: str = Field(description="`Type: message`")
    line: int = Field(description="Line of the module where it was raised (1 if unknown)")
    inputs: str | None = None
    body: str


class ModuleOutcome(BaseModel):
    """One module's result, stored as an artifact; the workflow keeps only counts."""

    module: str
    file: str
    status: Literal["ok", "skipped"]
    reason: str = ""
    isolation: str = ""
    engines: list[EngineRun] = Field(default_factory=list)
    before: Coverage = Field(default_factory=Coverage)
    after: Coverage = Field(default_factory=Coverage)
    kept: list[KeptTest] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)
    bugs: list[PossibleBug] = Field(default_factory=list)
    test_file: str | None = Field(default=None, description="File name: test_<module>.py")
    test_source: str | None = None


class ModuleSummary(BaseModel):
    index: int
    module: str
    status: Literal["ok", "skipped"]
    kept: int
    rejected: int
    bugs: int
    outcome: ArtifactRef = Field(description="ModuleOutcome")


class ReportRequest(BaseModel):
    run_key: str
    workflow: str
    workflow_id: str
    run_id: str
    target: str
    started_at: datetime
    out_dir: str | None
    discovered: DiscoveredModules
    baseline: Baseline
    modules: list[ModuleSummary]
    llm: LLMSummary
    applied: ApplyOutcome


class ReportOutcome(BaseModel):
    summary: AuditSummary
    coverage: list[ModuleCoverage]
    kept: int
    rejected: dict[str, int]
    test_files: list[str]
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float


class ModuleCoverage(BaseModel):
    module: str
    before: float
    after: float
    kept: int


class ApplyTestsRequest(BaseModel):
    project_root: str
    import_root: str
    modules: list[ModuleSummary]
    branch: str
    message: str


class TestGenerationResult(BaseModel):
    """What the workflow returns: small, the report and the test files live on disk."""

    __test__: ClassVar[bool] = False

    workflow_id: str
    run_id: str
    status: RunStatus
    target: str
    summary: AuditSummary
    coverage: list[ModuleCoverage] = Field(description="Before and after, per module")
    kept: int
    rejected: dict[str, int] = Field(description="Rejected candidates by reason")
    test_files: list[str]
    applied: ApplyOutcome
    llm: LLMSummary
    artifacts: dict[str, str]
    findings: ArtifactRef
    duration_s: float
    usage: UsageMemo | None = None


ReportOutcome.model_rebuild()
