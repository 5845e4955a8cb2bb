"""What a staged flow's workflow shares: its progress, the progress query, the
AttuneStage upsert of each stage, the cancelled/failed stage of a run that ends early,
the per-batch file counter, and the retry policy of its activities.

Each method issues exactly the commands the flows issued when they carried their own
copy, so their recorded histories replay unchanged. A subclass still declares its own
`@workflow.init` and `@workflow.run` (temporalio wants the run method on the class it
registers); the query handler is found on this base class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.runs import advance

with workflow.unsafe.imports_passed_through():
    from workflows.schemas import Progress
    from workflows.wire import ATTUNE_STAGE, PROGRESS_QUERY

RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
"""The flows' activity retries: a few quick attempts, then the run fails."""


class StagedWorkflow:
    """A run that moves through named stages and analyses files in batches."""

    def __init__(self, stages: Sequence[str]) -> None:
        self._progress = Progress.of(*stages)
        self._files_done = self._files_total = self._findings = 0

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress

    async def _tracked[T](self, work: Awaitable[T]) -> T:
        """`work`'s result; a run that is cancelled or fails says so as its stage."""
        try:
            return await work
        except asyncio.CancelledError:
            self._set_stage("cancelled")
            raise
        except Exception:
            self._set_stage("failed")
            raise

    def _set_stage(self, stage: str, detail: str = "") -> None:
        advance(self._progress, stage, detail)
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set(stage)])

    def _batch_done(self, files: int, findings: int = 0) -> None:
        """Count a finished batch; while the run analyses, the detail says how far."""
        self._files_done += files
        self._findings += findings
        if self._progress.stage == "analyze":
            self._progress.detail = f"{self._files_done}/{self._files_total} files"
