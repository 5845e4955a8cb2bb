"""performance-audit's optional profiling: the command runs under cProfile in the target,
static findings in its hot functions rank first, and a failing or never-ending command is
a warning in the report, never a failed run."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from activities.artifacts import ArtifactStore
from activities.performance_audit.profiling import (
    RUNNER,
    HotFunction,
    NotProfilable,
    profile_command,
    profiled_argv,
    rank_by_profile,
)
from activities.performance_audit.rules import find_performance_issues
from activities.reports import FINDINGS
from starter import runner
from starter.mcp_server import tool_input_model
from worker import running_worker
from workflows.performance_audit.models import PerformanceAuditRequest
from workflows.registry import registry

ENTRY = registry().flows["performance-audit"]
PYTHON = sys.executable

# `slow` does nearly all the work and holds an ATNP001 finding; `cold` holds ATNP003 and
# runs once on a few items.
SLOW = textwrap.dedent(
    """
    import re


    def slow(lines):
        found = 0
        for line in lines:
            if re.match("a+b", line):
                found += 1
        return found


    def cold(items):
        data = b""
        for item in items:
            data += item
        return data
    """
)
BENCH = "from app import cold, slow\n\nprint(slow(['aab', 'b'] * 100_000), cold([b'x', b'y']))\n"


def project(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "app.py").write_text(SLOW)
    (path / "bench.py").write_text(BENCH)
    (path / "fails.py").write_text("from app import cold\n\ncold([b'x'])\nraise SystemExit(3)\n")
    (path / "forever.py").write_text("import threading\n\nthreading.Event().wait()\n")
    return path


def test_python_programs_get_the_runner(tmp_path: Path) -> None:
    out = tmp_path / "p.prof"
    module = profiled_argv(["python3", "-m", "pytest", "-k", "bench"], tmp_path, out)
    assert module[1:] == ["-c", RUNNER, str(out), "module", "pytest", "-k", "bench"]
    script = profiled_argv([PYTHON, "bench.py", "x"], tmp_path, out)
    assert script == [PYTHON, "-c", RUNNER, str(out), "script", "bench.py", "x"]
    tool = tmp_path / "tool"
    tool.write_text(f"#!{PYTHON}\nprint(1)\n")
    tool.chmod(0o755)
    assert profiled_argv(["./tool", "-q"], tmp_path, out)[0] == PYTHON
    assert profiled_argv(["./tool", "-q"], tmp_path, out)[-2:] == [str(tool), "-q"]
    shell = tmp_path / "run.sh"
    shell.write_text("#!/bin/sh\necho hi\n")
    shell.chmod(0o755)
    for argv in (["./run.sh"], [PYTHON, "-c", "1"], ["no-such-command-here"]):
        with pytest.raises(NotProfilable):
            profiled_argv(argv, tmp_path, out)


def test_findings_in_hot_functions_rank_first() -> None:
    findings = find_performance_issues(SLOW, "app.py")
    assert [f.rule_id for f in findings] == ["ATNP001", "ATNP003"]
    functions = [
        HotFunction(file="app.py", line=12, end_line=16, function="cold", calls=1,
                    cumulative_s=0.3, share=0.3),
        HotFunction(file="app.py", line=1, end_line=16, function="outer", calls=1,
                    cumulative_s=0.9, share=0.9),
        HotFunction(file="app.py", line=5, end_line=10, function="slow", calls=1,
                    cumulative_s=0.01, share=0.01),
    ]  # fmt: skip
    ranked, marks = rank_by_profile(list(reversed(findings)), functions)
    assert [(m.rule_id, m.function, m.hot) for m in marks] == [
        ("ATNP003", "cold", True),  # the innermost function counts, not `outer`
        ("ATNP001", "slow", False),
    ]
    assert "[hot: in cold(), 30.0% of the measured time]" in ranked[0].message
    assert "[hot" not in ranked[1].message


async def test_failing_and_endless_commands_are_outcomes_not_errors(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    beats: list[int] = []
    failed = await profile_command(
        f"{PYTHON} fails.py", root, tmp_path / "a", 60, lambda: beats.append(1), 1.0
    )
    assert (failed.status, failed.exit_code, failed.timed_out) == ("completed", 3, False)
    assert failed.reason == "exited with code 3"
    assert [f.function for f in failed.functions] == ["cold"]
    endless = await profile_command(
        f"{PYTHON} forever.py", root, tmp_path / "b", 1, lambda: beats.append(1), 0.2
    )
    assert endless.timed_out and endless.reason.startswith("timed out after 1 s")
    assert endless.status == "completed" and Path(endless.artifact or "").is_file()
    assert beats, "the command ran past several heartbeat intervals"
    refused = await profile_command("/bin/true", root, tmp_path / "c", 60, lambda: None, 1.0)
    assert refused.status == "failed" and "not a Python program" in refused.reason


def test_bad_profile_cmd_is_refused_before_the_run(tmp_path: Path) -> None:
    for bad in ("", "pytest -k 'open"):
        with pytest.raises(ValidationError):
            PerformanceAuditRequest(target=str(tmp_path), profile_cmd=bad)


def test_mcp_clients_cannot_run_a_command() -> None:
    fields = tool_input_model(ENTRY).model_fields
    assert "profile" in fields and "batch_size" in fields
    assert "profile_cmd" not in fields and "profile_timeout_s" not in fields


async def test_profiled_audit_ranks_the_hot_finding_first(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    root = project(tmp_path / "proj")
    strict = {"target": str(root), "profile": "strict"}  # ATNP001 is a strict-only rule
    requests = {
        "bench": PerformanceAuditRequest(**strict, profile_cmd=f"{PYTHON} bench.py"),
        "fails": PerformanceAuditRequest(**strict, profile_cmd=f"{PYTHON} fails.py"),
        "plain": PerformanceAuditRequest(**strict),
    }
    async with running_worker(client):
        handles = {k: await runner.start_workflow(client, ENTRY, r) for k, r in requests.items()}
        done = await asyncio.gather(*(h.result() for h in handles.values()))
    results = dict(zip(handles, done, strict=True))
    assert {r.status for r in results.values()} == {"completed"}

    bench = results["bench"]
    findings = ArtifactStore().get(bench.findings, FINDINGS)
    assert [f.rule_id for f in findings] == ["ATNP001", "ATNP003"]
    assert "[hot: in slow(), " in findings[0].message and "[hot" not in findings[1].message
    report = json.loads(Path(bench.artifacts["json"]).read_text())
    profiling = report["profiling"]
    assert profiling["status"] == "completed" and profiling["exit_code"] == 0
    assert Path(profiling["artifact"]).is_file()
    assert profiling["top_functions"][0]["function"] == "slow"
    assert profiling["top_functions"][0]["findings"] == 1
    assert [(f["function"], f["hot"]) for f in profiling["findings"]] == [
        ("slow", True),
        ("cold", False),
    ]
    assert report["findings"][0]["rule_id"] == "ATNP001" and report["warnings"] == []
    markdown = Path(bench.artifacts["markdown"]).read_text()
    assert "## Profile" in markdown and "| `slow` | app.py:5 |" in markdown
    assert "- `ATNP001` at app.py:8, in `slow` (" in markdown

    failed = json.loads(Path(results["fails"].artifacts["json"]).read_text())
    assert [w["code"] for w in failed["warnings"]] == ["profile_failed"]
    assert "exited with code 3" in failed["warnings"][0]["message"]
    plain = json.loads(Path(results["plain"].artifacts["json"]).read_text())
    assert plain["profiling"] == {"status": "skipped", "reason": "no profile_cmd given"}
