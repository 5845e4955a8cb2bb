"""What every command shares: consoles, exit codes, bad-usage errors, small parsers.

Nothing here imports Temporal, anthropic or an engine: commands import those when
they run, so `attune --help` and `attune route` start fast.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any, NoReturn

from rich.console import Console

from workflows.schemas import SEVERITIES

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3
EXIT_INTERRUPTED = 130

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class UsageProblem(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


def parse_params(params: list[str]) -> dict[str, Any]:
    """`--param k=v` pairs; a key given twice collects its values in a list (sources)."""
    parsed: dict[str, Any] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageProblem(f"--param expects key=value, got {item!r}")
        key = key.strip().replace("-", "_")
        if key in parsed:
            previous = parsed[key]
            parsed[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            parsed[key] = value
    return parsed


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_s(value: str, option: str) -> int:
    """Seconds from `90`, `90s`, `30m`, `12h` or `7d`."""
    number, unit = value[:-1], value[-1:]
    if value.isdigit():
        number, unit = value, "s"
    if unit not in DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise UsageProblem(f"{option} takes a duration like 7d, 12h, 30m or 90s, got {value!r}")
    return int(number) * DURATION_UNITS[unit]


def severity(value: str | None, accepted: tuple[str, ...] = SEVERITIES) -> str | None:
    if value is None:
        return None
    if value.lower() not in accepted:
        choices = ", ".join(accepted) or "nothing (this workflow has no findings)"
        raise UsageProblem(f"--fail-on must be one of {choices}, got {value!r}")
    return value.lower()


def reviewer(name: str | None) -> str:
    return name or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def leave(code: int) -> NoReturn:
    """End the process with `code` through `os._exit`, after flushing traces, metrics,
    logs and the standard streams: Temporal's Rust runtime keeps threads that can crash
    CPython's interpreter teardown (a known SDK issue), so a process that used a Temporal
    client (the CLI, a script on `attune`'s API) skips that teardown."""
    if "starter.tracing" in sys.modules:
        sys.modules["starter.tracing"].shutdown_tracing()
    if "starter.telemetry" in sys.modules:
        sys.modules["starter.telemetry"].shutdown_metrics()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
