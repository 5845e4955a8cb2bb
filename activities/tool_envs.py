"""Cached tool virtualenvs: a tool whose pins clash with attune's runs in a venv of its own.

Pynguin pins `pytest<9` while attune's suite needs pytest 9; pydoclint needs
`docstring_parser_fork`, which installs over the `docstring_parser` that anthropic needs
(both ship the same package directory, so whichever pip installs last wins). Release-prep
builds project test environments the same way. A tool venv is keyed by the hash of its
requirement list and the interpreter that runs it, lives under `$ATTUNE_HOME/tools/` (or
`$ATTUNE_TOOLS_DIR`; test environments under `$ATTUNE_HOME/test-envs/` or
`$ATTUNE_TEST_ENVS_DIR`), and is built once: in a temporary directory renamed into place, so
a reader only ever sees a complete venv, with a lock file so two processes that want the
same venv at the same moment build it once.

Where pip gets packages from is a setting, so tests and air-gapped workers never reach
the network:

- `ATTUNE_PIP_INDEX_URL`: the package index (pip's `--index-url`);
- `ATTUNE_PIP_FIND_LINKS`: directories or URLs of wheels, separated by spaces (pip's
  `--find-links`);
- `ATTUNE_PIP_NO_INDEX=1`: use only the find-links (pip's `--no-index`).

Unset, pip's own configuration applies. A venv is moved after pip wrote its console
scripts, whose shebangs name the temporary path: run tools as `python -m TOOL`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from activities.artifacts import attune_home

PYNGUIN: tuple[str, ...] = ("pynguin==0.48.0",)
PYDOCLINT: tuple[str, ...] = ("pydoclint>=0.12,<0.13",)
TEST_RUNNER: tuple[str, ...] = ("pytest>=8", "coverage>=7.6", "setuptools>=70")
"""What release-prep adds to a project's test environment when it declares none, and the
build backend pip needs to install a project without a `[build-system]`."""
TOOLS = (PYNGUIN, PYDOCLINT, TEST_RUNNER)
"""Every tool's pins; the Makefile downloads their wheels into `.venv/wheels` for the tests."""

DIR_SETTINGS = {"tools": "ATTUNE_TOOLS_DIR", "test-envs": "ATTUNE_TEST_ENVS_DIR"}
"""The setting that moves each kind of venv out of `$ATTUNE_HOME` (a shared cache)."""
MARKER = "attune-tool-env.json"
INTERPRETER_PROBE = "import sys; print(sys.version); print(sys.platform); print(sys.prefix)"


class ToolEnvError(RuntimeError):
    """The venv could not be built (pip's last lines say why)."""


@dataclass(frozen=True)
class PipSources:
    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    no_index: bool = False

    @classmethod
    def from_env(cls) -> PipSources:
        return cls(
            index_url=os.environ.get("ATTUNE_PIP_INDEX_URL") or None,
            find_links=tuple(os.environ.get("ATTUNE_PIP_FIND_LINKS", "").split()),
            no_index=os.environ.get("ATTUNE_PIP_NO_INDEX", "") not in ("", "0", "false"),
        )

    def args(self) -> list[str]:
        args = ["--no-index"] if self.no_index else []
        if self.index_url and not self.no_index:
            args += ["--index-url", self.index_url]
        for link in self.find_links:
            args += ["--find-links", link]
        return args


@dataclass(frozen=True)
class ToolEnv:
    path: Path
    requirements: tuple[str, ...] = field(default=())
    reused: bool = True

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def env_key(requirements: Sequence[str], python: str) -> str:
    """Same requirements on the same interpreter share a venv; anything else gets its own."""
    probe = subprocess.run(
        [python, "-c", INTERPRETER_PROBE], capture_output=True, text=True, check=True
    ).stdout
    identity = {"requirements": sorted(requirements), "interpreter": probe}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


def _ready(path: Path) -> bool:
    return (path / MARKER).is_file() and (path / "bin" / "python").exists()


def tool_env(
    requirements: Sequence[str],
    *,
    python: str = sys.executable,
    sources: PipSources | None = None,
    home: Path | None = None,
    timeout: float = 900.0,
    kind: str = "tools",
) -> ToolEnv:
    """The venv with `requirements` installed for `python`, built on first use; `kind` is
    the folder under `$ATTUNE_HOME` (`tools`, or release-prep's `test-envs`)."""
    configured = os.environ.get(DIR_SETTINGS.get(kind, ""))
    root = Path(configured) if configured and home is None else (home or attune_home()) / kind
    root.mkdir(parents=True, exist_ok=True)
    key = env_key(requirements, python)
    final = root / key
    if _ready(final):
        return ToolEnv(final, tuple(requirements))
    with (root / f"{key}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(final):
            return ToolEnv(final, tuple(requirements))
        _build(final, requirements, python, sources or PipSources.from_env(), timeout)
    return ToolEnv(final, tuple(requirements), reused=False)


def _build(
    final: Path, requirements: Sequence[str], python: str, sources: PipSources, timeout: float
) -> None:
    """Build under the caller's lock: any leftover build directory is a dead builder's."""
    for leftover in final.parent.glob(f".build-{final.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    building = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".build-{final.name}-"))
    try:
        _run([python, "-m", "venv", str(building)], timeout)
        if requirements:
            _run(
                [
                    str(building / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *sources.args(),
                    *requirements,
                ],
                timeout,
            )
        (building / MARKER).write_text(json.dumps({"requirements": list(requirements)}))
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _run(cmd: list[str], timeout: float) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        raise ToolEnvError(f"{' '.join(cmd[:4])} timed out after {timeout:.0f}s") from err
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ToolEnvError(f"{' '.join(cmd[:4])} failed: {tail}")
