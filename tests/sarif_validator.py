"""Microsoft's SARIF validator (`sarif-multitool validate`) for the tests.

GitHub code scanning rejects or silently drops what this validator flags, so the SARIF
writer is checked against the real thing rather than against the JSON schema alone.

The npm package @microsoft/sarif-multitool pulls in a per-platform package that ships a
self-contained .NET executable: no .NET runtime and no network are needed at test time.
`make install` puts it under `$ATTUNE_NODE_PREFIX` (default `<repo>/.venv/node`) with
INSTALL_COMMAND. The executable is called directly rather than through the package's
`bin.js`, which joins its arguments into a shell command line and so breaks on paths
with spaces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSION = "5.7.0"
# attune has no public home page yet, so its driver carries no informationUri:
# the validator's SARIF2005 warning says exactly that and nothing else.
NO_HOME_PAGE = "SARIF2005: runs[0].tool.driver"
INSTALL_COMMAND = f"npm install --prefix .venv/node @microsoft/sarif-multitool@{VERSION}"

_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}


@dataclass(frozen=True)
class Validation:
    errors: list[str]
    warnings: list[str]
    output: str


def node_prefix() -> Path:
    return Path(os.environ.get("ATTUNE_NODE_PREFIX") or REPO / ".venv" / "node")


def find_validator() -> Path | None:
    """The platform executable, or None when it is not installed (or not runnable)."""
    platform = _PLATFORMS.get(sys.platform)
    if platform is None:
        return None
    exe = "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool"
    path = node_prefix() / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}" / exe
    return path if path.is_file() and os.access(path, os.X_OK) else None


def missing_reason() -> str:
    return (
        f"Microsoft SARIF validator not found under {node_prefix()}: "
        f"run `{INSTALL_COMMAND}` (or `make install`)"
    )


def validate(sarif_file: Path, validator: Path) -> Validation:
    """Run the validator and read its own SARIF output, which is steadier than its console
    text: every error and warning it reports, as "RULE: location: message"."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "validation.sarif"
        proc = subprocess.run(
            [
                str(validator),
                "validate",
                str(sarif_file),
                "-o",
                str(out),
                "--log",
                "ForceOverwrite",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            # Validation needs no culture data; this frees the executable from libicu.
            env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
            check=False,
        )
        output = proc.stdout + proc.stderr
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"sarif-multitool failed (exit {proc.returncode}):\n{output}")
        log = json.loads(out.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {"error": [], "warning": []}
    for run in log.get("runs", []):
        for result in run.get("results", []):
            level = result.get("level", "warning")
            if level in found:
                args = result.get("message", {}).get("arguments", [])
                found[level].append(f"{result.get('ruleId')}: {'; '.join(map(str, args))}")
        # A file it could not even analyse shows up as a failed invocation, not a result.
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                if note.get("level") == "error":
                    found["error"].append(f"tool: {note.get('message', {}).get('text')}")
            if not invocation.get("executionSuccessful", True):
                found["error"].append("tool: execution was not successful")
    return Validation(errors=found["error"], warnings=found["warning"], output=output)
