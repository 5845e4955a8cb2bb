"""security-audit end to end on the real dev server, with an in-process worker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.artifacts import ArtifactStore
from activities.security_audit.baseline import (
    BaselineError,
    apply_baseline,
    check_request,
    read_baseline,
)
from activities.security_audit.scanning import FINDINGS
from starter import runner
from tests.conftest import SAMPLE
from worker import running_worker
from workflows.registry import registry
from workflows.schemas import Finding
from workflows.security_audit.models import AuditRequest
from workflows.wire import ATTUNE_STAGE, ATTUNE_TARGET, ATTUNE_WORKFLOW, USAGE_MEMO

ENTRY = registry().flows["security-audit"]


async def audit(client: Client, target: Path, **params) -> tuple[str, object]:
    request = AuditRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
    return handle.id, result


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy with its own ATTUNE_HOME, so no test reads another test's scan cache."""
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    copy = tmp_path / "vulnerable_app"
    shutil.copytree(SAMPLE, copy, symlinks=True)
    return copy


async def test_audits_the_sample_project(client: Client, sample: Path) -> None:
    workflow_id, result = await audit(client, sample)
    assert workflow_id.startswith("security-audit-vulnerable-app-")
    assert result.status == "completed"
    findings = ArtifactStore().get(result.findings, FINDINGS)
    cwes = {f.cwe for f in findings}
    assert {22, 78, 89, 94, 328, 489, 502, 611, 614, 798} <= cwes
    assert all(f.fingerprint for f in findings)
    assert {f.file for f in findings} >= {"app/db.py", "app/views.py", "app/settings.py"}
    merged = [f for f in findings if len(f.tools) > 1]
    assert merged, "ruff and attune both flag md5/pickle/eval: reported once, both named"
    assert all(set(f.tools) == {"attune", "ruff"} for f in merged)
    assert result.summary.findings_total == len(findings)
    assert 0 < result.summary.risk_score <= 100

    report = json.loads(Path(result.artifacts["json"]).read_text())
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert skipped["app/blob.py"] == "binary"
    assert skipped["app/latin1.py"] == "not UTF-8"
    assert skipped["generated/"] == "gitignored"
    assert skipped["app/broken.py"].startswith("syntax error at line 1")
    assert report["llm"]["status"] == "skipped" and report["llm"]["reason"]
    assert Path(result.artifacts["json"]).parent == ArtifactStore().run_dir(workflow_id)
    for path in result.artifacts.values():
        assert Path(path).stat().st_size > 0


async def test_an_invalid_ignore_pattern_is_a_warning_not_a_failed_run(
    client: Client, sample: Path
) -> None:
    (sample / "tests" / "data").mkdir(parents=True)
    (sample / "tests" / "data" / ".gitignore").write_text("!\n")
    _, result = await audit(client, sample)
    assert result.status == "completed"
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["warnings"] == [
        {
            "code": "invalid-ignore-pattern",
            "message": "ignore pattern '!' is not valid; skipped, as git skips it",
            "file": "tests/data/.gitignore",
            "line": 1,
        }
    ]
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "- tests/data/.gitignore:1: ignore pattern '!' is not valid" in markdown


async def test_run_is_inspectable(client: Client, sample: Path) -> None:
    workflow_id, _ = await audit(client, sample)
    handle = client.get_workflow_handle(workflow_id)
    desc = await handle.describe()
    attributes = desc.typed_search_attributes
    assert attributes.get(ATTUNE_WORKFLOW) == "security-audit"
    assert attributes.get(ATTUNE_TARGET) == str(sample)
    assert attributes.get(ATTUNE_STAGE) == "done"
    usage = await desc.memo_value(USAGE_MEMO)
    assert usage["scan_cache_misses"] > 0
    assert await desc.static_summary() == f"security-audit of {sample}"
    summaries = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            summaries.append(event.user_metadata.summary)
    assert len(summaries) == 5, "discover, scan, trace_taint, llm_config, report"
    assert all(s and s.data for s in summaries)


async def test_unchanged_files_are_never_scanned_twice(client: Client, sample: Path) -> None:
    async def usage(workflow_id: str) -> dict[str, int]:
        desc = await client.get_workflow_handle(workflow_id).describe()
        return await desc.memo_value(USAGE_MEMO)

    first_id, first = await audit(client, sample)
    cold = await usage(first_id)
    assert cold["scan_cache_hits"] == 0 and cold["scan_cache_misses"] > 1
    (sample / "app" / "db.py").write_text("import hashlib\nhashlib.sha1(b'')\n")
    second_id, second = await audit(client, sample)
    warm = await usage(second_id)
    assert warm["scan_cache_misses"] == 1
    assert warm["scan_cache_hits"] == cold["scan_cache_misses"] - 1
    assert second.summary.findings_total != first.summary.findings_total


async def test_out_dir_and_batches(client: Client, sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    _, result = await audit(client, sample, out_dir=str(out), batch_size=2)
    assert Path(result.artifacts["sarif"]).parent == out
    _, whole = await audit(client, sample)
    assert result.summary == whole.summary


async def test_a_flow_across_modules_is_reported_with_its_path(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    target = tmp_path / "shop"
    (target / "shop").mkdir(parents=True)
    (target / "shop" / "__init__.py").write_text("")
    (target / "shop" / "views.py").write_text(
        "from flask import Flask, request\n"
        "\n"
        "from .db import find_user\n"
        "\n"
        "app = Flask(__name__)\n"
        "\n"
        "\n"
        '@app.route("/user")\n'
        "def user():\n"
        '    return str(find_user(request.args["name"]))\n'
        "\n"
        "\n"
        '@app.route("/calc")\n'
        "def calc():\n"
        '    return str(eval(request.args["expr"]))\n'
    )
    (target / "shop" / "db.py").write_text(
        "import sqlite3\n"
        "\n"
        "\n"
        "def run(sql):\n"
        '    return sqlite3.connect("shop.db").execute(sql).fetchall()\n'
        "\n"
        "\n"
        "def find_user(name):\n"
        "    query = \"SELECT * FROM users WHERE name = '%s'\" % name\n"
        "    return run(query)\n"
    )
    _, result = await audit(client, target)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    by_place = {(f["file"], f["line"], f["rule_id"]): f for f in report["findings"]}

    sql = by_place["shop/db.py", 5, "ATN304"]
    assert sql["severity"] == "high" and sql["confidence"] == "high"
    assert [(s["kind"], s["file"], s["line"]) for s in sql["flow"]] == [
        ("source", "shop/views.py", 10),
        ("call", "shop/views.py", 10),
        ("call", "shop/db.py", 10),
        ("sink", "shop/db.py", 5),
    ]
    # ruff's S608 where the query is formatted stays a finding of its own.
    assert ("shop/db.py", 9, "S608") in by_place

    # eval of request data: the flow supersedes attune's pattern rule and ruff's S307.
    code = by_place["shop/views.py", 15, "ATN306"]
    assert code["tools"] == ["attune", "ruff"]
    assert {"attune/ATN120", "ruff/S307"} <= set(code["related_rules"])
    assert [s["kind"] for s in code["flow"]] == ["source", "sink"]
    assert not any(
        f["line"] == 15 and f["rule_id"] in ("ATN120", "S307") for f in report["findings"]
    )
    assert result.summary.findings_total == len(report["findings"])


# --------------------------------------------------------------------------- baseline


def report_json(path: Path, findings: list[dict]) -> Path:
    path.write_text(json.dumps({"workflow": "security-audit", "findings": findings}))
    return path


def test_baseline_reads_the_fingerprints_of_a_report(tmp_path: Path) -> None:
    path = report_json(
        tmp_path / "report.json",
        [{"fingerprint": "a", "rule_id": "S608"}, {"fingerprint": "b"}, {"fingerprint": ""}],
    )
    assert read_baseline(str(path)) == {"a", "b"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("not json", "is not an attune report.json (document: Invalid JSON"),
        ('{"findings": []}', "is not an attune report.json (workflow: Field required)"),
        ('{"workflow": "x", "findings": [1]}', "(findings.0: Input should be an object)"),
    ],
)
def test_a_bad_baseline_is_refused_in_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "old" / "report.json"
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
    with pytest.raises(BaselineError) as refused:
        read_baseline(str(path))
    assert message in str(refused.value)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_baseline_check_refuses_relative_paths_and_shared_artifacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = report_json(tmp_path / "report.json", [])
    check_request(AuditRequest(target=str(tmp_path), baseline=str(path)))
    check_request(AuditRequest(target=str(tmp_path)))
    with pytest.raises(BaselineError, match="is not an absolute path"):
        check_request(AuditRequest(target=str(tmp_path), baseline="report.json"))
    monkeypatch.setenv("ATTUNE_ARTIFACTS", f"file://{tmp_path}/store")
    with pytest.raises(BaselineError, match="run it with local artifacts"):
        check_request(AuditRequest(target=str(tmp_path), baseline=str(path)))


def sql_finding(fingerprint: str, line: int = 1, **extra) -> Finding:
    return Finding(
        rule_id="S608",
        tool="ruff",
        category="sql-injection",
        severity="high",
        confidence="high",
        file="app/db.py",
        line=line,
        message="SQL",
        fingerprint=fingerprint,
        **extra,
    )


def test_baseline_suppresses_open_findings_it_holds_and_keeps_other_reasons() -> None:
    findings = [
        sql_finding("old"),
        sql_finding("new"),
        sql_finding("old-inline", suppressed="inline: # nosec"),
        sql_finding("old-accepted", accepted_risk="legacy"),
        sql_finding(""),
    ]
    baseline = frozenset({"old", "old-inline", "old-accepted"})
    assert apply_baseline(findings, "/r/report.json", baseline) == 1
    assert [f.suppressed for f in findings] == [
        "in baseline /r/report.json",
        None,
        "inline: # nosec",
        None,
        None,
    ]
    assert [f.is_open for f in findings] == [False, True, False, False, True]


def test_llm_stages_never_see_baseline_findings_and_a_vanished_baseline_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporalio.exceptions import ApplicationError

    from activities.discovery import SKIPPED
    from activities.llm.stage import LLMStageActivities
    from workflows.security_audit.models import LLMStageRequest, ScanBatchResult

    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    store = ArtifactStore()
    findings = [sql_finding(f"fp{line}", line) for line in (1, 2)]
    batch = ScanBatchResult(
        index=0,
        findings=store.put("runs/r/findings.json", findings, FINDINGS, 2),
        skipped=store.put("runs/r/skipped.json", [], SKIPPED),
        files_scanned=1,
        cache_hits=0,
        cache_misses=1,
    )
    baseline = report_json(tmp_path / "report.json", [{"fingerprint": "fp1"}])
    stage = LLMStageRequest(
        run_key="r", target=str(tmp_path), batches=[batch], max_findings=10, baseline=str(baseline)
    )
    seen = LLMStageActivities(store)._findings(stage)
    assert [f.fingerprint for f in seen if f.is_open] == ["fp2"]
    baseline.unlink()
    with pytest.raises(ApplicationError, match="does not exist") as failed:
        LLMStageActivities(store)._findings(stage)
    assert failed.value.non_retryable and failed.value.type == "BadBaseline"
