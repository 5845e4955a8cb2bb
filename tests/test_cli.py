"""The `attune` CLI as a user runs it: a subprocess against the session's dev server."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE, with_sample_plugin
from tests.sarif_validator import NO_HOME_PAGE, validate
from workflows.registry import registry


def attune(
    env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_run_json_out_and_fail_on(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    out = tmp_path / "reports"
    done = attune(
        cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--json", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["workflow"] == "security-audit"
    assert report["status"] == "completed"
    assert report["workflow_id"].startswith("security-audit-vulnerable-app-")
    assert report["summary"]["counts"]["critical"] + report["summary"]["counts"]["high"] > 0
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "report.sarif"}
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []

    gated = attune(cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--fail-on", "high")
    assert gated.returncode == 3, gated.stderr
    assert "risk score" in gated.stdout
    assert "report.sarif" in gated.stdout

    status = attune(cli_env, "workflow", "status", report["workflow_id"], "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "completed"


def test_baseline_leaves_only_new_findings_open(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    first_out, second_out = tmp_path / "first", tmp_path / "second"
    first = attune(
        cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--out", str(first_out)
    )
    assert first.returncode == 0, first.stderr
    baseline = first_out / "report.json"
    before = json.loads(baseline.read_text())
    assert before["summary"]["counts"]["high"] > 0 and before["summary"]["suppressed"] == 0

    again = attune(
        cli_env,
        "workflow",
        "run",
        "security-audit",
        str(SAMPLE),
        "--baseline",
        str(baseline.relative_to(Path.cwd(), walk_up=True)),
        "--fail-on",
        "low",
        "--json",
        "--out",
        str(second_out),
    )
    assert again.returncode == 0, again.stderr  # nothing open, so --fail-on low passes
    report = json.loads(again.stdout)
    summary = report["summary"]
    assert summary["counts"] == dict.fromkeys(("critical", "high", "medium", "low", "info"), 0)
    assert summary["risk_score"] == 0 and summary["top_files"] == []
    assert summary["suppressed"] == summary["findings_total"] == len(before["findings"])
    # Never dropped: every finding is there, marked with the baseline that suppressed it.
    assert {f["fingerprint"] for f in report["findings"]} == {
        f["fingerprint"] for f in before["findings"]
    }
    assert {f["suppressed"] for f in report["findings"]} == {f"in baseline {baseline}"}
    sarif = json.loads((second_out / "report.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert results and all(
        r["suppressions"] == [{"kind": "external", "justification": f"in baseline {baseline}"}]
        for r in results
    )
    validation = validate(second_out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert "## Suppressed (" in (second_out / "report.md").read_text()


def test_no_wait_then_watch_and_cancel(cli_env: dict[str, str]) -> None:
    started = attune(cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--no-wait")
    assert started.returncode == 0, started.stderr
    workflow_id = started.stdout.strip()
    watched = attune(cli_env, "workflow", "watch", workflow_id, "--json")
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout)["workflow_id"] == workflow_id

    pending = attune(cli_env, "workflow", "run", "security-audit", str(SAMPLE), "--no-wait")
    workflow_id = pending.stdout.strip()
    assert attune(cli_env, "workflow", "cancel", workflow_id).returncode == 0
    cancelled = attune(cli_env, "workflow", "watch", workflow_id)
    assert cancelled.returncode == 1
    assert "cancelled" in cancelled.stderr


def test_workflow_list(cli_env: dict[str, str]) -> None:
    listed = attune(cli_env, "workflow", "list", "--json")
    assert listed.returncode == 0
    rows = {e["name"]: e["source"] for e in json.loads(listed.stdout)}
    built = {n for n, source in rows.items() if source == "built-in"}
    assert built == {f.name for f in registry().listed()}
    assert {"security-audit", "release-prep", "quality-checks"} <= built
    assert {n for n, source in rows.items() if source == "planned"} == {
        f.name for f in registry() if f.planned
    }
    assert "composed" not in rows


BAD_INPUTS = [
    (["workflow", "run", "security-audit", "/no/such/path"], "does not exist"),
    (["workflow", "run", "no-such-workflow", "."], "unknown workflow"),
    (["workflow", "run", "security-audit", ".", "--fail-on", "severe"], "--fail-on must be"),
    (["workflow", "run", "security-audit", ".", "--param", "batch_size"], "key=value"),
    (["workflow", "run", "security-audit", ".", "--param", "batch_size=0"], "batch_size"),
    (
        ["workflow", "run", "security-audit", ".", "--param", "colour=blue"],
        "--param colour: security-audit has no such parameter (accepted: batch_size, ",
    ),
    (["workflow", "run", "release-prep", str(REPO / "README.md")], "needs a directory"),
    (["workflow", "run", "release-prep", tempfile.gettempdir()], "needs a git repository"),
    (
        ["workflow", "run", "security-audit", str(REPO / "README.md")],
        "analyses Python code: " + repr(str(REPO / "README.md")) + " is not a directory",
    ),
    (["workflow", "run", "release-prep", str(REPO), "--fail-on", "high"], "--fail-on must be"),
    (
        ["workflow", "run", "seo-optimization", ".", "--param", "url=http://example.org/"],
        "only sites on localhost",
    ),
    (["wrkflow", "run", "security-audit", "."], "unknown command 'wrkflow'; did you mean"),
    (["servr", "stop"], "did you mean 'server'"),
    (["escalate", "security-audit-nothing-00000000"], "no workflow with id"),
    (["approve", "security-audit-nothing-00000000"], "no workflow with id"),
    (["audit ./src for security"], "not started; to run security-audit, add --yes"),
    (["gc", "--older-than", "soon"], "--older-than"),
    (
        ["workflow", "run", "security-audit", ".", "--approval-timeout", "1d"],
        "--approval-timeout does not apply to security-audit",
    ),
    (["workflow", "run", "security-audit", ".", "--bogus"], "--bogus"),
    (
        ["workflow", "run", "security-audit", ".", "--baseline", "/no/such/report.json"],
        "baseline '/no/such/report.json' does not exist",
    ),
    (
        ["workflow", "run", "security-audit", ".", "--baseline", str(REPO / "pyproject.toml")],
        "is not an attune report.json (document: Invalid JSON",
    ),
    (
        ["workflow", "run", "security-audit", ".", "--param", "baseline=old/report.json"],
        "baseline 'old/report.json' is not an absolute path",
    ),
    (
        ["workflow", "run", "release-prep", str(REPO), "--baseline", "report.json"],
        "--baseline does not apply to release-prep",
    ),
    (["workflow", "status", "security-audit-nothing-00000000"], "no workflow with id"),
    (["workflow", "watch", "security-audit-nothing-00000000"], "no workflow with id"),
    (["workflow", "cancel", "security-audit-nothing-00000000"], "no workflow with id"),
    (["frobnicate"], "not sure what 'frobnicate' asks for"),
    ([], "no goal given"),
    (["workflow", "run"], "Missing argument"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUTS, ids=[" ".join(a) or "(nothing)" for a, _ in BAD_INPUTS]
)
def test_bad_input_is_one_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    done = attune(cli_env, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_quality_checks_merges_the_checks_that_exist(cli_env: dict[str, str]) -> None:
    done = attune(cli_env, "workflow", "run", "quality-checks", str(SAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["workflow"] == "quality-checks"
    assert report["checks"]["security-audit"]["status"] == "ok"
    assert report["checks"]["bug-predict"]["status"] == "ok"
    assert report["checks"]["code-review"]["status"] == "ok"
    assert report["not_available"] == []
    checks = {c for f in report["findings"] for c in f["checks"]}
    assert {"security-audit", "code-review"} <= checks, checks


def test_route_prints_the_decision_and_runs_nothing(cli_env: dict[str, str]) -> None:
    done = attune(cli_env, "route", "Review this code for security", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workflows"] == ["security-audit"]
    missing = attune(with_sample_plugin(cli_env), "route", "translate the docs to French", "--json")
    decision = json.loads(missing.stdout)
    assert decision["missing"] == [{"workflow": "sample-translate", "nearest": "document-gen"}]


def test_compose_writes_a_spec_that_lists_and_validates(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "ATTUNE_WORKFLOWS": str(tmp_path / "flows")}
    done = attune(env, "compose", "--name", "sec-team", "--workflow", "security-audit")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "flows" / "sec-team.toml").is_file()
    listed = json.loads(attune(env, "workflow", "list", "--json").stdout)
    assert "sec-team" in {row["name"] for row in listed}
    bad = attune(env, "compose", "--name", "x", "--workflow", "nope")
    assert bad.returncode == 2 and "unknown workflow 'nope'" in bad.stderr
