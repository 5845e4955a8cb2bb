"""A dedicated `attune worker`: the CLI defers to it, it traces, it stops gracefully."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client

from starter.runner import worker_polling
from tests.conftest import SAMPLE
from tests.test_cli import attune
from tests.waiting import until


async def test_cli_uses_the_dedicated_worker(
    client: Client, cli_env: dict[str, str], tmp_path: Path
) -> None:
    spans = tmp_path / "spans.txt"
    with spans.open("w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "starter.cli", "worker", "--otel-console"],
            env=cli_env,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:

            async def polling() -> bool:
                assert worker.poll() is None, "the worker exited before it polled"
                return await worker_polling(client)

            await until(polling, "the worker's first poll")
            done = await asyncio.to_thread(
                attune, cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--json"
            )
            assert done.returncode == 0, done.stderr
            assert "running one in this process" not in done.stderr
            workflow_id = json.loads(done.stdout)["workflow_id"]
        finally:
            worker.send_signal(signal.SIGTERM)
            _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    traced = spans.read_text()
    assert "RunWorkflow:security-audit" in traced
    assert "RunActivity:scan_batch" in traced
    assert workflow_id in traced


def test_the_starter_leaves_the_worker_unloaded_until_it_must_run_one() -> None:
    """Loading the worker (every flow's activities, the Claude SDK) is most of a CLI
    command's start-up CPU; a starter that a dedicated worker serves never needs it."""
    probe = (
        "import sys, starter.cli.runs, starter.runner; "
        "print([m for m in ('worker', 'anthropic') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
