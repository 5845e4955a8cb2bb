"""`Flow.validate` of test-generation: refused before the run starts, in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from activities.apply_branch import check_request as check_apply
from activities.test_generation.modules import check_selection


def check_request(request: Any) -> None:
    """`--apply` needs a git repository; the import root must hold the target; `select`
    must name a module or function in it."""
    check_apply(request)
    check_selection(
        Path(request.target),
        Path(request.import_root) if request.import_root else None,
        request.select,
    )
