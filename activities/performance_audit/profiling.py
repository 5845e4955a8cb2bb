"""Runtime profiling for performance-audit: run the user's command (`profile_cmd`) under
cProfile in the target directory, and rank the static findings by the measured time of
the function they sit in.

cProfile rather than pyinstrument: the command runs under the *target's* interpreter
(its venv's `pytest`, its `python`), where only the standard library is sure to be
installed, and cProfile's cumulative time per function is exactly the figure the ranking
needs. The command is split with shlex and never given to a shell. Only Python programs
can be profiled: `python -m module ...`, `python script.py ...`, or an executable whose
shebang names a Python interpreter (console scripts such as `pytest`). A small runner
passed with `-c` enables the profiler, runs the module or script as `__main__`, and dumps
the stats even when the program exits with an error or is interrupted, keeping its exit
code; on timeout it gets SIGINT (so the partial profile is still written), then SIGKILL.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import pstats
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from workflows.schemas import Finding, ReportWarning

NO_PROFILE = "no profile_cmd given"
# A finding in a function with at least this share of the measured time is `hot`.
HOT_SHARE = 0.05
TOP_FUNCTIONS = 15
# After SIGINT on timeout, how long the runner has to write its partial profile.
GRACE_S = 10.0
LOG_TAIL_LINES = 3
PYTHON_NAME = re.compile(r"python[0-9.]*")
NOT_OWN_CODE = frozenset({".venv", "venv", ".tox", ".nox", "site-packages", "node_modules"})

RUNNER = """\
import cProfile, os, runpy, sys
out, mode, target, *args = sys.argv[1:]
sys.argv = [target, *args]
sys.path[0] = os.getcwd() if mode == "module" else os.path.dirname(os.path.abspath(target))
profiler = cProfile.Profile()
code = 0
try:
    profiler.enable()
    if mode == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(os.path.abspath(target), run_name="__main__")
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
except KeyboardInterrupt:
    code = 130
finally:
    profiler.disable()
    profiler.dump_stats(out)
sys.exit(code)
"""


class NotProfilable(ValueError):
    """The command is not a Python program this module can run under cProfile."""


class HotFunction(BaseModel):
    """One function of the target's own code, with its measured cumulative time."""

    file: str
    line: int
    end_line: int
    function: str
    calls: int
    cumulative_s: float
    share: float


class ProfileOutcome(BaseModel):
    status: Literal["completed", "failed"]
    command: list[str]
    reason: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    duration_s: float = 0.0
    total_s: float = 0.0
    artifact: str | None = None
    functions: list[HotFunction] = []


def split_command(command: str) -> list[str]:
    """The command's argv (shlex rules); ValueError when it is empty or badly quoted."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("profile_cmd is empty")
    return argv


def _interpreter_of(executable: Path) -> str | None:
    """The Python interpreter a script's shebang names, or None when it is not Python."""
    try:
        with executable.open("rb") as fh:
            first = fh.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if words and Path(words[0]).name == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    if not words or not PYTHON_NAME.fullmatch(Path(words[0]).name):
        return None
    return shutil.which(words[0]) or None


def profiled_argv(argv: list[str], cwd: Path, out: Path) -> list[str]:
    """argv that runs `argv` under the cProfile runner, writing the stats to `out`."""
    head = argv[0]
    executable = str(cwd / head) if "/" in head and not Path(head).is_absolute() else head
    found = shutil.which(executable)
    if found is None:
        raise NotProfilable(f"{head!r} is not an executable on PATH")
    if PYTHON_NAME.fullmatch(Path(found).name):
        rest = argv[1:]
        if len(rest) >= 2 and rest[0] == "-m":
            return [found, "-c", RUNNER, str(out), "module", rest[1], *rest[2:]]
        if rest and not rest[0].startswith("-"):
            return [found, "-c", RUNNER, str(out), "script", rest[0], *rest[1:]]
        raise NotProfilable("only `python -m module ...` or `python script.py ...` can be profiled")
    interpreter = _interpreter_of(Path(found))
    if interpreter is None:
        raise NotProfilable(f"{head!r} is not a Python program (no python shebang)")
    return [interpreter, "-c", RUNNER, str(out), "script", found, *argv[1:]]


# --------------------------------------------------------------------------- reading


def _own_file(filename: str, root: Path) -> str | None:
    """`filename` relative to the target root, when it is the target's own code."""
    try:
        rel = (root / filename).resolve().relative_to(root)  # relative: to the cwd
    except (ValueError, OSError):
        return None
    if NOT_OWN_CODE.intersection(rel.parts):
        return None
    return rel.as_posix()


def _function_spans(path: Path) -> dict[tuple[int, str], int]:
    """(first line, name) -> last line for each function of a file. The first line is
    cProfile's: a decorated function's code starts at its first decorator."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    spans = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = node.end_lineno or node.lineno
            spans[(node.lineno, node.name)] = end
            if node.decorator_list:
                spans[(node.decorator_list[0].lineno, node.name)] = end
    return spans


def read_profile(stats_file: Path, root: Path) -> tuple[float, list[HotFunction]]:
    """(total measured seconds, the target's own functions by cumulative time)."""
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt or 0.0
    root = root.resolve()
    spans: dict[str, dict[tuple[int, str], int]] = {}
    functions = []
    for (filename, line, name), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rel = _own_file(filename, root)
        if rel is None or total <= 0:
            continue
        if rel not in spans:
            spans[rel] = _function_spans(root / rel)
        end = spans[rel].get((line, name))
        share = cumulative / total
        if end is None:
            continue  # module bodies, lambdas, comprehensions: no def to pin a finding to
        functions.append(
            HotFunction(
                file=rel,
                line=line,
                end_line=end,
                function=name,
                calls=calls,
                cumulative_s=round(cumulative, 6),
                share=round(min(share, 1.0), 4),
            )
        )
    functions.sort(key=lambda f: (-f.share, f.file, f.line))
    return total, functions


# --------------------------------------------------------------------------- ranking


PROFILE = TypeAdapter(ProfileOutcome)


class HotFinding(BaseModel):
    fingerprint: str
    rule_id: str
    file: str
    line: int
    function: str
    share: float
    hot: bool


def _innermost(finding: Finding, functions: Iterable[HotFunction]) -> HotFunction | None:
    around = [
        f for f in functions if f.file == finding.file and f.line <= finding.line <= f.end_line
    ]
    return min(around, key=lambda f: f.end_line - f.line, default=None)


def rank_by_profile(
    findings: list[Finding], functions: list[HotFunction]
) -> tuple[list[Finding], list[HotFinding]]:
    """Findings in measured functions first (by the function's share, highest first), the
    rest in their given order; a hot one's message names the share it sits in."""
    measured: list[tuple[float, int, Finding, HotFunction]] = []
    rest = []
    for index, finding in enumerate(findings):
        function = _innermost(finding, functions)
        if function is None:
            rest.append(finding)
        else:
            measured.append((function.share, index, finding, function))
    measured.sort(key=lambda item: (-item[0], item[1]))
    ranked, marks = [], []
    for share, _, finding, function in measured:
        hot = share >= HOT_SHARE
        if hot:
            note = f" [hot: in {function.function}(), {share:.1%} of the measured time]"
            finding = finding.model_copy(update={"message": finding.message + note})
        ranked.append(finding)
        marks.append(
            HotFinding(
                fingerprint=finding.fingerprint,
                rule_id=finding.rule_id,
                file=finding.file,
                line=finding.line,
                function=function.function,
                share=share,
                hot=hot,
            )
        )
    return ranked + rest, marks


# --------------------------------------------------------------------------- running


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in lines[-LOG_TAIL_LINES:])


def _signal(process: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # its own session: children go too


async def _wait(process: asyncio.subprocess.Process, seconds: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def profile_command(
    command: str,
    cwd: Path,
    out_dir: Path,
    timeout_s: float,
    beat: Callable[[], None],
    interval: float,
) -> ProfileOutcome:
    """Run `command` in `cwd` under cProfile, calling `beat` every `interval` seconds
    while it runs; never raises for the command's own failure or a timeout."""
    argv = split_command(command)
    out_dir.mkdir(parents=True, exist_ok=True)
    out, log = out_dir / "profile.prof", out_dir / "profile.log"
    out.unlink(missing_ok=True)
    try:
        full = profiled_argv(argv, cwd, out)
    except NotProfilable as err:
        return ProfileOutcome(status="failed", command=argv, reason=str(err))
    started = time.monotonic()
    timed_out = False
    with log.open("wb") as sink:
        try:
            process = await asyncio.create_subprocess_exec(
                *full,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as err:
            return ProfileOutcome(status="failed", command=argv, reason=f"cannot start: {err}")
        try:
            while not await _wait(
                process, max(0.0, min(interval, started + timeout_s - time.monotonic()))
            ):
                if time.monotonic() >= started + timeout_s:
                    timed_out = True
                    _signal(process, signal.SIGINT)
                    if not await _wait(process, GRACE_S):
                        _signal(process, signal.SIGKILL)
                        await process.wait()
                    break
                beat()
        except asyncio.CancelledError:
            _signal(process, signal.SIGKILL)
            raise
    duration = round(time.monotonic() - started, 3)
    code = process.returncode
    reason = f"timed out after {timeout_s:g} s" if timed_out else ""
    if not timed_out and code:
        reason = f"exited with code {code}"
    if reason and _tail(log):
        reason = f"{reason}: {_tail(log)}"
    if not out.exists():
        return ProfileOutcome(
            status="failed",
            command=argv,
            reason=reason or "the runner wrote no profile",
            exit_code=code,
            timed_out=timed_out,
            duration_s=duration,
        )
    total, functions = read_profile(out, cwd)
    return ProfileOutcome(
        status="completed",
        command=argv,
        reason=reason,
        exit_code=code,
        timed_out=timed_out,
        duration_s=duration,
        total_s=round(total, 6),
        artifact=str(out),
        functions=functions,
    )


# --------------------------------------------------------------------------- the report


def apply_profile(
    findings: list[Finding], outcome: ProfileOutcome | None, error: str | None
) -> tuple[list[Finding], dict[str, Any] | None, list[ReportWarning]]:
    """(findings ranked by the profile, the report's `profiling` section, its warnings).
    Nothing to apply (no profile_cmd) gives the findings back and no section."""
    if outcome is None:
        if error is None:
            return findings, None, []
        reason = f"the profiling activity failed: {error}"
        return findings, {"status": "failed", "reason": reason}, [_warning(reason)]
    warnings = []
    if outcome.reason:
        warnings.append(_warning(f"profile_cmd {outcome.reason}", outcome.timed_out))
    section: dict[str, Any] = {
        "status": outcome.status,
        "reason": outcome.reason,
        "command": outcome.command,
        "exit_code": outcome.exit_code,
        "timed_out": outcome.timed_out,
        "duration_s": outcome.duration_s,
    }
    if outcome.status != "completed":
        return findings, section, warnings
    ranked, marks = rank_by_profile(findings, outcome.functions)
    per_function: dict[tuple[str, str], int] = {}
    for mark in marks:
        key = (mark.file, mark.function)
        per_function[key] = per_function.get(key, 0) + 1
    section |= {
        "profiler": "cProfile",
        "artifact": outcome.artifact,
        "total_s": outcome.total_s,
        "hot_share": HOT_SHARE,
        "top_functions": [
            {**f.model_dump(), "findings": per_function.get((f.file, f.function), 0)}
            for f in outcome.functions[:TOP_FUNCTIONS]
        ],
        "findings": [m.model_dump() for m in marks],
    }
    return ranked, section, warnings


def _warning(message: str, timed_out: bool = False) -> ReportWarning:
    return ReportWarning(code="profile_timeout" if timed_out else "profile_failed", message=message)


def render_profile_markdown(section: dict[str, Any] | None) -> list[str]:
    """The Markdown "Profile" section's lines."""
    if section is None or section["status"] == "skipped":
        reason = section["reason"] if section else NO_PROFILE
        return ["## Profile", "", f"Profiling: skipped ({reason}).", ""]
    command = shlex.join(section.get("command") or [])
    if section["status"] != "completed":
        return ["## Profile", "", f"Profiling `{command}` failed: {section['reason']}.", ""]
    hot = sum(1 for f in section["findings"] if f["hot"])
    out = [
        "## Profile",
        "",
        f"`{command}` under cProfile: {section['total_s']:.3f} s measured, exit code "
        f"{section['exit_code']}; {hot} finding(s) in functions with at least "
        f"{section['hot_share']:.0%} of the time rank first. Profile: `{section['artifact']}`.",
        "",
    ]
    if not section["top_functions"]:
        return [*out, "No function of the target's own code was measured.", ""]
    out += ["| Function | Location | Calls | Cumulative s | Share | Findings |"]
    out += ["|---|---|---:|---:|---:|---:|"]
    for f in section["top_functions"]:
        out.append(
            f"| `{f['function']}` | {f['file']}:{f['line']} | {f['calls']} | "
            f"{f['cumulative_s']:.3f} | {f['share']:.1%} | {f['findings']} |"
        )
    hot_findings = [f for f in section["findings"] if f["hot"]]
    if hot_findings:
        out += ["", "Findings in hot functions, first to fix:", ""]
        out += [
            f"- `{f['rule_id']}` at {f['file']}:{f['line']}, in `{f['function']}` "
            f"({f['share']:.1%} of the time)"
            for f in hot_findings
        ]
    return [*out, ""]
