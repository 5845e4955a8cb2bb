"""What every release agent's outcome carries: its blockers, each with its evidence, and
its warnings. A release manager trusts a blocker they can check: the file and line, or
the command that was run and the last lines it printed."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.schemas import BlockerDetail

TAIL_CHARS = 2000


def tail(text: str, chars: int = TAIL_CHARS) -> str:
    """The end of a command's output, where the reason it failed usually is."""
    return text.strip()[-chars:]


class Judged(BaseModel):
    blockers: list[str] = Field(default_factory=list)
    blocker_details: list[BlockerDetail] = Field(
        default_factory=list, description="One per blocker, in the same order"
    )
    warnings: list[str] = Field(default_factory=list)

    def block(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        command: str | None = None,
        output_tail: str | None = None,
    ) -> None:
        """Record one problem once, with what shows it."""
        if message in self.blockers:
            return
        self.blockers.append(message)
        self.blocker_details.append(
            BlockerDetail(
                message=message,
                file=file,
                line=line,
                command=command,
                output_tail=tail(output_tail) if output_tail else None,
            )
        )

    def details_data(self) -> list[dict]:
        return [d.model_dump(mode="json", exclude_none=True) for d in self.blocker_details]
