"""How one worker process joins a fleet: the task queues it polls, the fleet-wide
Claude request rate, the Worker Deployment Version it runs under, and how it sizes
its activity slots.

Everything here is read from the environment, so a container or a systemd unit
configures a worker without a config file:

- `ATTUNE_WORKER_QUEUES`: `all` (default), `main` (workflows and every activity but
  Claude calls) or `llm` (Claude calls only).
- `ATTUNE_LLM_RPS`: Claude calls per second for the whole fleet. The server enforces
  it on the `attune-llm` task queue (`max_task_queue_activities_per_second`), so N
  workers together stay under one account's request limit.
- `ATTUNE_DEPLOYMENT`: the Worker Deployment name. Set, workers run under Worker
  Versioning and every workflow is pinned to the build it started on; unset (a
  laptop), workers are unversioned, as before.
- `ATTUNE_BUILD_ID`: this build's id; default the package version plus the git
  commit of the checkout it runs from, when there is one.
- `ATTUNE_WORKER_TUNER`: `fixed` (default; chosen by benchmarks/load.py, see its
  docstring) or `resource` (temporalio's resource-based slot supplier).
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Literal, cast, get_args

from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import ResourceBasedSlotConfig, WorkerDeploymentConfig, WorkerTuner

Queues = Literal["all", "main", "llm"]
TunerKind = Literal["fixed", "resource"]

DEFAULT_LLM_RPS = 0.8
"""48 requests a minute: under the lowest Anthropic tier's 50, so a fresh fleet never
storms an account with 429s. Raise it to your account's limit."""
DEFAULT_TUNER: TunerKind = "fixed"
RESOURCE_TARGET_CPU = 0.9
RESOURCE_TARGET_MEMORY = 0.8

logger = logging.getLogger("attune.fleet")


class FleetConfigError(ValueError):
    """A fleet setting in the environment is not usable; the message names it."""


def _choice[T: str](variable: str, allowed: tuple[T, ...], default: T) -> T:
    value = (os.environ.get(variable) or default).strip().lower()
    if value not in allowed:
        raise FleetConfigError(f"{variable}={value!r}: expected one of {', '.join(allowed)}")
    return cast(T, value)


def worker_queues() -> Queues:
    return _choice("ATTUNE_WORKER_QUEUES", get_args(Queues), "all")


def tuner_kind() -> TunerKind:
    return _choice("ATTUNE_WORKER_TUNER", get_args(TunerKind), DEFAULT_TUNER)


def llm_rate() -> float:
    raw = os.environ.get("ATTUNE_LLM_RPS") or str(DEFAULT_LLM_RPS)
    try:
        rate = float(raw)
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise FleetConfigError(f"ATTUNE_LLM_RPS={raw!r}: expected requests per second above 0")
    return rate


def default_build_id() -> str:
    """`<version>+<short sha>` in a git checkout, the version alone in an installed image."""
    try:
        release = package_version("attune")
    except PackageNotFoundError:
        release = "0"
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{release}+{sha}" if sha else release


def build_id() -> str:
    """`ATTUNE_BUILD_ID`, else the default: the build a worker reports, versioned or not.
    Given, it also spares the SDK's own default, a hash of every loaded module's
    bytecode that takes a second of each worker's start."""
    return (os.environ.get("ATTUNE_BUILD_ID") or "").strip() or default_build_id()


def deployment_version() -> WorkerDeploymentVersion | None:
    name = (os.environ.get("ATTUNE_DEPLOYMENT") or "").strip()
    if not name:
        return None
    if "." in name:
        raise FleetConfigError(f"ATTUNE_DEPLOYMENT={name!r}: a deployment name has no '.'")
    return WorkerDeploymentVersion(deployment_name=name, build_id=build_id())


@dataclass(frozen=True)
class FleetSettings:
    queues: Queues
    llm_rps: float
    version: WorkerDeploymentVersion | None
    tuner: TunerKind

    @classmethod
    def from_env(cls) -> FleetSettings:
        return cls(worker_queues(), llm_rate(), deployment_version(), tuner_kind())

    def deployment_config(self) -> WorkerDeploymentConfig | None:
        """Pinned by default: a run that waits days for an approval finishes on the code
        it started with, whatever build is current by then."""
        if self.version is None:
            return None
        return WorkerDeploymentConfig(
            version=self.version,
            use_worker_versioning=True,
            default_versioning_behavior=VersioningBehavior.PINNED,
        )

    def versioning(self) -> dict[str, Any]:
        """The Worker's versioning options: the deployment when one is named, else the
        build id alone (given, so the SDK does not hash every loaded module's bytecode)."""
        config = self.deployment_config()
        return {"deployment_config": config} if config else {"build_id": build_id()}

    def activity_tuner(self, slots: int) -> WorkerTuner:
        """Slots for the main queue's activities; `slots` caps both kinds."""
        if self.tuner == "resource":
            return WorkerTuner.create_resource_based(
                target_memory_usage=RESOURCE_TARGET_MEMORY,
                target_cpu_usage=RESOURCE_TARGET_CPU,
                activity_config=ResourceBasedSlotConfig(minimum_slots=1, maximum_slots=slots),
            )
        return WorkerTuner.create_fixed(activity_slots=slots)


async def adopt_if_first(client: Client, version: WorkerDeploymentVersion) -> bool:
    """Make `version` current when its deployment has no current version yet.

    A versioned worker gets no new workflows until its version is current; the first
    build of a deployment has nothing to roll out from, so it promotes itself. Every
    later build is promoted by a person or a pipeline
    (`temporal worker deployment set-current-version`), which is the point of a rollout.
    Returns whether this call made it current.
    """
    token = b""
    try:
        described = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(
                namespace=client.namespace, deployment_name=version.deployment_name
            )
        )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    else:
        routing = described.worker_deployment_info.routing_config
        if routing.HasField("current_deployment_version"):
            return False
        token = described.conflict_token
    try:
        await client.workflow_service.set_worker_deployment_current_version(
            SetWorkerDeploymentCurrentVersionRequest(
                namespace=client.namespace,
                deployment_name=version.deployment_name,
                build_id=version.build_id,
                conflict_token=token,
                allow_no_pollers=True,
                identity=f"attune-bootstrap-{os.getpid()}",
            )
        )
    except RPCError as err:
        if err.status not in (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.ABORTED):
            raise
        logger.info("another worker set the current version first: %s", err.message)
        return False
    logger.info("made %s the current version of %s", version.build_id, version.deployment_name)
    return True
