"""Temporal fails a workflow task that has not yielded within 2 s (TMPRL1101, "potential
deadlock"). The worker runs its workflow tasks in threads of its own process, so CPU-bound
work in that process's other threads competes with them for the GIL, and parsing a file
holds the GIL for the whole parse: on a loaded machine the real-world sweep logged three
such deadlocks while document-gen detected the docstring style and code-review looked
for dead code over whole trees. Those passes run in the worker's process pool.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.code_review.activities import CodeReviewActivities
from activities.discovery import FILES
from activities.document_gen.activities import DocumentGenActivities
from activities.reports import FINDINGS
from workflows.code_review.models import WholeTreeRequest
from workflows.document_gen.models import StyleRequest

GOOGLE_STYLE = '''\
def scale(value, factor):
    """Scale a value.

    Args:
        value: The value.
        factor: How much.

    Returns:
        The scaled value.
    """
    return value * factor
'''
UNREACHABLE = 'def main():\n    return 2\n    print("never")\n\n\nmain()\n'


class RecordingPool(ProcessPoolExecutor):
    """The worker's kind of pool (forkserver processes), noting the name of each function
    sent to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
        self.ran: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.ran.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


async def test_whole_tree_passes_run_in_the_process_pool(tmp_path: Path) -> None:
    tree = tmp_path / "project"
    tree.mkdir()
    (tree / "maths.py").write_text(GOOGLE_STYLE)
    (tree / "app.py").write_text(UNREACHABLE)
    store = ArtifactStore(tmp_path / "home")
    files = store.put("runs/r/files.json", ["app.py", "maths.py"], FILES, 2)
    with RecordingPool() as pool:
        style = await ActivityEnvironment().run(
            DocumentGenActivities(store, pool).style,
            StyleRequest(run_key="r", target=str(tree), files=files, style="auto"),
        )
        dead = await ActivityEnvironment().run(
            CodeReviewActivities(store, pool).dead_code,
            WholeTreeRequest(run_key="r", target=str(tree), files=files),
        )
    assert pool.ran == ["detect_style", "whole_tree_dead_code"]
    assert (style.style, style.source) == ("google", "detected")
    assert dead.status == "ok"
    found = store.get(dead.findings, FINDINGS)
    assert [(f.file, f.line) for f in found] == [("app.py", 3)]
