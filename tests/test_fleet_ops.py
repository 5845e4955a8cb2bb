"""Fleet settings: the environment that configures a worker, bad values refused with
exit code 2. (Claude calls on their own queue: tests/test_llm_audit.py; the queue's
rate and Worker Versioning: tests/release/test_rollout.py.)"""

from __future__ import annotations

import pytest
from temporalio.common import VersioningBehavior

from starter.fleet import DEFAULT_LLM_RPS, FleetConfigError, FleetSettings, default_build_id
from tests.test_cli import attune


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ATTUNE_LLM_RPS", "ATTUNE_DEPLOYMENT", "ATTUNE_BUILD_ID", "ATTUNE_WORKER_TUNER"):
        monkeypatch.delenv(name, raising=False)
    plain = FleetSettings.from_env()
    assert (plain.queues, plain.llm_rps, plain.version, plain.tuner) == (
        "all",
        DEFAULT_LLM_RPS,
        None,
        "fixed",
    )
    assert plain.deployment_config() is None
    monkeypatch.setenv("ATTUNE_DEPLOYMENT", "attune")
    monkeypatch.setenv("ATTUNE_LLM_RPS", "12.5")
    versioned = FleetSettings.from_env()
    assert versioned.llm_rps == 12.5
    assert versioned.version is not None
    assert versioned.version.build_id == default_build_id()
    assert default_build_id().startswith("0.1.0+")  # this checkout is a git repository
    config = versioned.deployment_config()
    assert config is not None and config.use_worker_versioning
    assert config.default_versioning_behavior == VersioningBehavior.PINNED
    monkeypatch.setenv("ATTUNE_BUILD_ID", "2026.12.1")
    assert FleetSettings.from_env().version.build_id == "2026.12.1"  # type: ignore[union-attr]
    for name, value in (
        ("ATTUNE_LLM_RPS", "0"),
        ("ATTUNE_WORKER_TUNER", "magic"),
        ("ATTUNE_DEPLOYMENT", "a.b"),
    ):
        with monkeypatch.context() as patched:
            patched.setenv(name, value)
            with pytest.raises(FleetConfigError, match=name):
                FleetSettings.from_env()


def test_worker_refuses_bad_settings(cli_env: dict[str, str]) -> None:
    done = attune({**cli_env, "ATTUNE_LLM_RPS": "fast"}, "worker", "--queues", "llm")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "ATTUNE_LLM_RPS='fast'" in line
