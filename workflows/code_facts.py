"""The code facts the code-intelligence flows share: per-function and per-file metrics,
per-file git history, dead code and changed lines. They travel in the artifact store."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflows.schemas import ArtifactRef


class FunctionMetrics(BaseModel):
    name: str
    line: int
    complexity: int = Field(description="Cyclomatic complexity (lizard CCN)")
    length: int = Field(description="Lines from the def to the end of the function")
    nloc: int
    nesting: int = Field(description="Deepest nesting of compound statements (ast)")
    parameters: int


class FileMetrics(BaseModel):
    file: str
    size_bytes: int
    nloc: int
    functions: int
    complexity: int = Field(description="Sum of the functions' cyclomatic complexity")
    max_complexity: int
    max_function: str | None = None
    max_length: int = 0
    max_nesting: int = 0
    max_parameters: int = 0


class FileHistory(BaseModel):
    file: str = Field(description="POSIX path relative to the target directory")
    commits: int
    added: int
    deleted: int
    fixes: int = Field(description="Commits whose message reads as a fix or names an issue")
    authors: int
    first_commit: datetime | None = Field(default=None, description="When git first added it")
    changed_at: list[datetime] = Field(
        default_factory=list,
        description="Commit times of the window's commits touching it, newest first",
    )
    fixed_at: list[datetime] = Field(
        default_factory=list, description="Commit times of the fix commits among them"
    )

    @property
    def churn(self) -> int:
        return self.added + self.deleted


class DeadCode(BaseModel):
    file: str
    line: int
    end_line: int
    kind: str = Field(description="vulture's type: import, function, class, variable, ...")
    name: str
    confidence: int = Field(ge=0, le=100, description="vulture's confidence, in percent")
    message: str


class ChangedFile(BaseModel):
    file: str = Field(description="POSIX path relative to the target directory")
    status: str = Field(description="git's status letter: A, M, D, R, C or T")
    lines: list[int] = Field(
        default_factory=list, description="Lines of the head version added or changed"
    )


class ChangeSet(BaseModel):
    base: str = Field(description="The commit compared against (a full sha)")
    head: str = Field(description="The reviewed commit (a full sha)")
    base_ref: str = Field(description="How the base was named or found")
    head_ref: str
    files: list[ChangedFile] = Field(default_factory=list)


class HistoryRequest(BaseModel):
    run_key: str
    target: str
    until: datetime = Field(description="End of the window: the workflow's start time")
    months: int


class HistoryResult(BaseModel):
    status: Literal["ok", "skipped"]
    reason: str = ""
    since: datetime | None = None
    until: datetime | None = None
    commits: int = 0
    fix_commits: int = 0
    files: ArtifactRef | None = Field(default=None, description="list[FileHistory]")
