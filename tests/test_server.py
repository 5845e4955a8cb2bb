"""The embedded dev server: started on demand, reused, stopped; runs survive it."""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from pathlib import Path

from tests.conftest import SAMPLE
from tests.test_cli import attune


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_server_lifecycle(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        ATTUNE_HOME=str(tmp_path / "home"),
        ATTUNE_SERVER_PORT=str(free_port()),
        ATTUNE_UI_PORT=str(free_port()),
        TEMPORAL_CONFIG_FILE=str(tmp_path / "no-temporal-config.toml"),
    )
    try:
        assert attune(env, "server", "status").returncode == 1
        run = attune(env, "workflow", "run", "security-audit", str(SAMPLE), "--json")
        assert run.returncode == 0, run.stderr
        workflow_id = json.loads(run.stdout)["workflow_id"]
        assert (tmp_path / "home" / "temporal.db").exists()

        status = attune(env, "server", "status", "--json")
        info = json.loads(status.stdout)
        assert info["running"] and info["pid"]
        with urllib.request.urlopen(info["ui"], timeout=10) as page:
            assert page.status == 200

        assert attune(env, "server", "stop").returncode == 0
        assert attune(env, "server", "status").returncode == 1
        assert attune(env, "server", "start").returncode == 0
        again = attune(env, "workflow", "status", workflow_id, "--json")
        assert json.loads(again.stdout)["status"] == "completed", "the run outlived the server"
    finally:
        attune(env, "server", "stop")
