"""Reports: the risk formula by hand, what a person reads, and SARIF that GitHub accepts."""

from __future__ import annotations

import itertools
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from activities import reports
from activities.reports import (
    artifact_paths,
    build_report,
    render_markdown,
    render_sarif,
    risk_level,
    summarize,
    write_reports,
)
from tests.conftest import REPO
from tests.sarif_validator import NO_HOME_PAGE, validate
from workflows.schemas import Finding, FlowStep, LLMSummary, LLMVerdict, SkippedFile
from workflows.security_audit.models import AuditSummary

STARTED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def finding(**overrides: Any) -> Finding:
    base: dict[str, Any] = {
        "rule_id": "S608",
        "tool": "ruff",
        "category": "sql-injection",
        "severity": "high",
        "confidence": "high",
        "cwe": 89,
        "file": "app/db.py",
        "line": 10,
        "column": 5,
        "message": "Possible SQL injection vector through string-based query construction",
        "snippet": 'cur.execute("SELECT * FROM t WHERE id = %s" % user_id)',
        "fingerprint": "fp-sql",
    }
    return Finding(**(base | overrides))


def sample_findings() -> list[Finding]:
    """Two engines merged, CWE and none, an LLM verdict, a finding at line 1 col 1."""
    return [
        finding(
            tools=["ruff", "bandit"],
            related_rules=["bandit/B608"],
            confidence="medium",
            end_line=11,
            llm=LLMVerdict(
                verdict="true_positive",
                rationale="user_id comes straight from the request.",
                remediation="Pass user_id as a query parameter.",
                tier="haiku",
            ),
        ),
        finding(
            rule_id="ATT-SECRET-001",
            tool="attune",
            category="hardcoded secret",
            severity="critical",
            cwe=None,
            file="config dir/settings.py",
            line=1,
            column=1,
            message="AWS access key in source",
            snippet="AWS_KEY = 'AKIA...'",
            fingerprint="fp-secret",
        ),
        finding(
            rule_id="S101",
            category="assert",
            severity="low",
            cwe=703,
            file="app/util.py",
            line=3,
            message="Use of `assert` detected",
            snippet="assert x, 'needs ```fences```'",
            fingerprint="fp-assert",
        ),
        finding(
            rule_id="B311",
            tool="bandit",
            category="weak-random",
            severity="medium",
            confidence="low",
            cwe=330,
            file="app/util.py",
            line=0,
            column=0,
            message="Standard pseudo-random generators are not suitable for security.",
            snippet="",
            fingerprint="",
        ),
        finding(
            rule_id="ATT-INFO",
            tool="attune",
            category="note",
            severity="info",
            cwe=None,
            file="app/info.py",
            message="Dynamic import <importlib>",
        ),
    ]


def sample_report(
    findings: list[Finding] | None = None, *, status: str = "completed", target: str = "/srv/proj"
) -> dict[str, Any]:
    findings = sample_findings() if findings is None else findings
    skipped = [SkippedFile(path=f"blobs/{i}.bin", reason="binary") for i in range(7)]
    skipped.append(SkippedFile(path="bad.py", reason="syntax error"))
    return build_report(
        workflow="security-audit",
        workflow_id="security-audit-proj-1a2b3c4d",
        run_id="0195-run",
        status=status,
        target=target,
        started_at=STARTED,
        duration_s=83.25,
        summary=summarize(findings, files_scanned=40, files_skipped=len(skipped)),
        findings=findings,
        skipped=skipped,
        llm=LLMSummary(status="skipped", reason="ANTHROPIC_API_KEY is not set"),
        artifacts={"json": "/out/report.json"},
    )


# --------------------------------------------------------------------------- summarize


def test_summarize_by_hand() -> None:
    s = summarize(sample_findings(), files_scanned=40, files_skipped=8)
    assert s.counts == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 1}
    assert list(s.counts) == ["critical", "high", "medium", "low", "info"]
    # The worst band is critical (one confident critical, V = 1): 75 + round(25 * (1 - e^-0.2)).
    assert s.risk_score == 75 + round(25 * (1 - math.exp(-1 / 5))) == 80
    assert [(t.file, t.findings, t.score) for t in s.top_files] == [
        ("config dir/settings.py", 1, 10.0),
        ("app/db.py", 1, 3.5),
        ("app/util.py", 2, 1.3),
    ]
    assert (s.files_scanned, s.files_skipped, s.findings_total) == (40, 8, 5)
    assert (s.suppressed, s.accepted_risks) == (0, 0)


def examples(confidence: str = "high", **counts: int) -> list[Finding]:
    return [
        finding(
            severity=severity, confidence=confidence, line=line, fingerprint=f"{severity}{line}"
        )
        for severity, n in counts.items()
        for line in range(1, n + 1)
    ]


RISK_EXAMPLES: dict[str, list[Finding]] = {
    "one confident medium": examples(medium=1),
    "300 confident mediums and 500 lows": examples(medium=300, low=500),
    "one confident high": examples(high=1),
    "one low-confidence high (banded medium)": examples("low", high=1),
    "four confident highs": examples(high=4),
    "ten confident highs and 300 mediums": examples(high=10, medium=300),
    "one confident critical": examples(critical=1),
}


@pytest.mark.parametrize("document", ["docstring", "README"])
def test_risk_worked_examples_are_what_the_code_computes(document: str) -> None:
    """Each worked example of the docs, with the number the code gives it, so the
    documentation cannot drift from the formula."""
    text = reports.__doc__ if document == "docstring" else (REPO / "README.md").read_text()
    assert text is not None
    for name, findings in RISK_EXAMPLES.items():
        score = summarize(findings, 1, 0).risk_score
        line = re.compile(rf"^\s*{re.escape(name)}\s+{score}\s*$", re.MULTILINE)
        assert line.search(text), f"{document}: {name!r} should read {score}"


@pytest.mark.parametrize(
    ("findings", "score"),
    [
        ([], 0),
        ([finding(severity="low")], 3),
        ([finding(severity="medium")], 19),
        ([finding()], 46),
        ([finding(severity="critical")], 80),
        ([finding(line=i) for i in range(4)], 59),
        ([finding(line=i) for i in range(10)], 69),
        ([finding(severity="info") for _ in range(50)], 0),
        ([finding(severity="critical", line=i) for i in range(40)], 100),
    ],
)
def test_risk_score_anchors(findings: list[Finding], score: int) -> None:
    assert summarize(findings, 1, 0).risk_score == score


def test_many_lesser_findings_never_leave_their_band() -> None:
    """A well-kept library: hundreds of mediums and lows, no real high, is "moderate"."""
    noisy = examples(medium=300, low=700)
    assert summarize(noisy, 1, 0).risk_score == 39
    assert risk_level(39) == "moderate"
    # One confident high outranks all of them; low-confidence highs do not.
    assert summarize([*noisy, finding(line=9999)], 1, 0).risk_score == 46
    assert summarize(examples("low", high=50), 1, 0).risk_score <= 39
    # Volume has diminishing returns within the band: each five more add less.
    scores = [summarize(examples(high=n), 1, 0).risk_score for n in (5, 10, 15, 20, 25, 30)]
    steps = [b - a for a, b in itertools.pairwise(scores)]
    assert scores == sorted(scores) and scores[-1] <= 74
    assert steps == sorted(steps, reverse=True)


def test_suppressed_and_accepted_leave_counts_and_score() -> None:
    findings = [
        finding(severity="critical", suppressed="inline: # nosec", fingerprint="a"),
        finding(severity="critical", suppressed="test code: assert in a test", fingerprint="b"),
        finding(severity="high", accepted_risk="legacy", fingerprint="c"),
        finding(severity="high", accepted_risk="legacy", suppressed="in baseline /r.json", line=2),
        finding(severity="medium", file="app/open.py", fingerprint="d"),
    ]
    s = summarize(findings, 3, 0)
    assert s.counts == {"critical": 0, "high": 0, "medium": 1, "low": 0, "info": 0}
    assert s.risk_score == summarize(findings[-1:], 3, 0).risk_score == 19
    assert (s.findings_total, s.suppressed, s.accepted_risks) == (5, 3, 1)
    assert [t.file for t in s.top_files] == ["app/open.py"]
    # The summary is wire-compatible: an older one without the field reads as 0.
    old = s.model_dump(mode="json")
    del old["suppressed"]
    assert AuditSummary.model_validate(old).suppressed == 0


def test_summarize_empty_has_every_severity() -> None:
    s = summarize([], files_scanned=0, files_skipped=3)
    assert s.counts == dict.fromkeys(("critical", "high", "medium", "low", "info"), 0)
    assert s.top_files == []
    assert s.findings_total == 0


def test_top_files_capped_and_ordered() -> None:
    findings = [finding(file=f"f{i:02}.py", line=j) for i in range(12) for j in range(i % 3 + 1)]
    top = summarize(findings, 12, 0).top_files
    assert len(top) == 10
    assert [t.score for t in top] == sorted((t.score for t in top), reverse=True)
    # Equal scores fall back to the path, so the order is stable across runs.
    assert [t.file for t in top[:4]] == ["f02.py", "f05.py", "f08.py", "f11.py"]


# --------------------------------------------------------------------------- JSON report


def test_build_report_is_json_and_complete() -> None:
    report = sample_report()
    assert list(report) == [
        "workflow",
        "workflow_id",
        "run_id",
        "status",
        "target",
        "started_at",
        "duration_s",
        "summary",
        "findings",
        "skipped",
        "warnings",
        "llm",
        "artifacts",
    ]
    assert report["warnings"] == []
    assert json.loads(json.dumps(report)) == report
    assert report["started_at"] == "2026-11-28T09:30:00+00:00"
    assert report["findings"][0]["llm"]["verdict"] == "true_positive"
    assert (
        report["llm"]
        == LLMSummary(status="skipped", reason="ANTHROPIC_API_KEY is not set").model_dump()
    )


def test_build_report_naive_start_is_utc() -> None:
    report = build_report(
        workflow="security-audit",
        workflow_id="w",
        run_id="r",
        status="completed",
        target="/t",
        started_at=datetime(2026, 1, 2, 3, 4, 5),
        duration_s=1.0,
        summary=summarize([], 0, 0),
        findings=[],
        skipped=[],
        llm=LLMSummary(status="ok"),
        artifacts={},
    )
    assert report["started_at"] == "2026-01-02T03:04:05+00:00"


# --------------------------------------------------------------------------- Markdown


def test_markdown_for_people() -> None:
    md = render_markdown(sample_report())
    assert md.startswith("# attune security-audit: `/srv/proj`\n")
    assert "| Status | **completed** |" in md
    assert "| Duration | 1 min 23 s |" in md
    assert "| critical | 1 |" in md and "| info | 1 |" in md and "| **total** | **5** |" in md
    assert "**Risk score: 80/100 (critical).** The worst open finding sets the band" in md
    assert "one confident high scores 46, four 59, and no number of mediums passes 39." in md
    assert "| `config dir/settings.py` | 1 | 10 |" in md
    # Severities in order, most severe first.
    order = [md.index(f"### {s}") for s in ("Critical (1)", "High (1)", "Medium (1)", "Low (1)")]
    assert order == sorted(order)
    assert "#### `S608` Possible SQL injection vector" in md
    assert "- Location: `app/db.py:10-11` (column 5)" in md
    assert "- Tools: ruff, bandit (also `bandit/B608`)" in md
    assert "- CWE: [CWE-89](https://cwe.mitre.org/data/definitions/89.html)" in md
    assert "- LLM triage (haiku): **true positive**. user_id comes straight" in md
    assert "- Remediation: Pass user_id as a query parameter." in md
    assert '```python\ncur.execute("SELECT * FROM t WHERE id = %s" % user_id)\n```' in md
    # A snippet holding a fence gets a longer one; HTML-looking text stays text.
    assert "````python\nassert x, 'needs ```fences```'\n````" in md
    assert "Dynamic import &lt;importlib&gt;" in md
    assert "- CWE: none assigned" in md
    # A scanner's line/column 0 reads as the start of the file, as in the SARIF.
    assert "- Location: `app/util.py:1` (column 1)" in md


def test_markdown_skipped_and_llm() -> None:
    md = render_markdown(sample_report())
    assert "| binary | 7 | `blobs/0.bin`, `blobs/1.bin`, `blobs/2.bin`, `blobs/3.bin`, " in md
    assert "`blobs/4.bin` and 2 more |" in md
    assert "| syntax error | 1 | `bad.py` |" in md
    assert md.index("| binary |") < md.index("| syntax error |")
    assert "## LLM triage\n\n- Status: **skipped**\n- Reason: ANTHROPIC_API_KEY is not set" in md
    assert "- Cost:" not in md


def test_markdown_caps_long_severity_groups() -> None:
    report = sample_report([finding(line=i) for i in range(1, 8)])
    md = render_markdown(report, max_findings_per_severity=5)
    assert md.count("#### `S608`") == 5
    assert "_2 more high findings are listed in report.json._" in md


def test_markdown_without_findings() -> None:
    md = render_markdown(sample_report([]))
    assert "No findings." in md
    assert "## Top files" not in md


def tainted(**overrides: Any) -> Finding:
    """A taint finding across two modules, as the engine reports one."""
    flow = [
        FlowStep(
            kind="source",
            file="app/views.py",
            line=12,
            column=9,
            note="request.args['q'] reaches q",
        ),
        FlowStep(
            kind="call", file="app/views.py", line=14, column=5, note="q passed to search(term)"
        ),
        FlowStep(kind="sink", file="app/db.py", line=10, column=5, note="term reaches cur.execute"),
    ]
    return finding(
        rule_id="ATT-TAINT-089", tool="attune", flow=flow, fingerprint="fp-taint", **overrides
    )


def suppressed_findings() -> list[Finding]:
    return [
        tainted(),
        finding(
            rule_id="S101",
            severity="low",
            file="tests/test_app.py",
            line=4,
            message="Use of `assert` detected",
            suppressed="test code: asserts in tests are not findings",
            fingerprint="fp-assert-test",
        ),
        finding(
            severity="critical",
            file="app/legacy.py",
            line=7,
            message="Pickle <loads> of request data",
            suppressed="inline: # nosec B301",
            fingerprint="fp-nosec",
        ),
        finding(
            file="app/old.py",
            line=3,
            suppressed="in baseline /srv/old/report.json",
            accepted_risk="legacy checksum",
            fingerprint="fp-base",
        ),
    ]


def test_markdown_shows_the_taint_path() -> None:
    md = render_markdown(sample_report([tainted()]))
    assert "- Path: source `app/views.py:12` -> call `app/views.py:14` -> sink `app/db.py:10`" in md
    assert "  1. source `app/views.py:12`: request.args['q'] reaches q" in md
    assert "  3. sink `app/db.py:10`: term reaches cur.execute" in md
    # A finding without a path has no Path line.
    assert "- Path:" not in render_markdown(sample_report())


def test_markdown_lists_suppressed_findings_apart_with_reasons() -> None:
    report = sample_report(suppressed_findings())
    md = render_markdown(report)
    assert "| high | 1 |" in md and "| critical | 0 |" in md
    assert "| suppressed | 3 |" in md and "| **total** | **4** |" in md
    findings_part, suppressed_part = md.split("## Suppressed (3)")
    # Open findings in the severity sections; suppressed ones only in their own.
    assert "#### `ATT-TAINT-089`" in findings_part and "### Critical" not in findings_part
    assert "tests/test_app.py" not in findings_part and "app/legacy.py" not in findings_part
    assert "### inline: # nosec B301 (1)" in suppressed_part
    assert "- critical `S608` at `app/legacy.py:7`: Pickle &lt;loads&gt; of request data" in (
        suppressed_part
    )
    assert "### test code: asserts in tests are not findings (1)" in suppressed_part
    assert "### in baseline /srv/old/report.json (1)" in suppressed_part
    assert md.index("## Suppressed") < md.index("## Skipped files")


def test_markdown_caps_suppressed_groups_and_says_none_open() -> None:
    many = [
        finding(line=i, suppressed="test code: assert", fingerprint=str(i)) for i in range(1, 9)
    ]
    md = render_markdown(sample_report(many), max_findings_per_severity=5)
    assert "No open findings." in md
    assert md.count("- high `S608` at ") == 5
    assert "- _3 more are listed in report.json._" in md


# --------------------------------------------------------------------------- SARIF


def test_sarif_structure() -> None:
    sarif = render_sarif(sample_report(), "0.1.0")
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["semanticVersion"]) == ("attune", "0.1.0")
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///srv/proj/"}}
    assert run["automationDetails"]["id"] == "attune/security-audit/security-audit-proj-1a2b3c4d"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["startTimeUtc"] == "2026-11-28T09:30:00.000Z"
    assert run["invocations"][0]["endTimeUtc"] == "2026-11-28T09:31:23.250Z"

    rules = {r["id"]: r for r in driver["rules"]}
    assert len(rules) == len(driver["rules"]) == 5
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"].endswith(".")

    sql = rules["S608"]
    assert sql["name"] == "SqlInjection"
    assert sql["defaultConfiguration"] == {"level": "error"}
    assert sql["helpUri"] == "https://cwe.mitre.org/data/definitions/89.html"
    assert sql["properties"]["tags"] == ["security", "sql-injection", "external/cwe/cwe-89"]
    assert sql["properties"]["security-severity"] == "8.0"
    assert sql["properties"]["tools"] == ["ruff", "bandit"]
    assert sql["shortDescription"]["text"].endswith(".")
    assert "CWE-89" in sql["fullDescription"]["text"]

    secret = rules["ATT-SECRET-001"]
    assert secret["properties"]["security-severity"] == "9.5"
    assert secret["properties"]["tags"] == ["security", "hardcoded-secret"]
    assert "helpUri" not in secret
    assert rules["B311"]["helpUri"] == "https://cwe.mitre.org/data/definitions/330.html"
    assert "security-severity" not in rules["ATT-INFO"]["properties"]
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]} == {
        "ATT-INFO": "note",
        "ATT-SECRET-001": "error",
        "B311": "warning",
        "S101": "note",
        "S608": "error",
    }


def test_sarif_results() -> None:
    results = {r["ruleId"]: r for r in render_sarif(sample_report(), "0.1.0")["runs"][0]["results"]}
    sql = results["S608"]
    location = sql["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 10
    assert location["region"]["startColumn"] == 5
    assert location["region"]["endLine"] == 11
    assert sql["partialFingerprints"] == {"attune/v1": "fp-sql"}
    assert sql["properties"]["tools"] == ["ruff", "bandit"]
    assert sql["properties"]["related_rules"] == ["bandit/B608"]
    assert sql["properties"]["confidence"] == "medium"
    assert sql["properties"]["cwe"] == 89
    assert sql["properties"]["llm"]["verdict"] == "true_positive"

    secret = results["ATT-SECRET-001"]["locations"][0]["physicalLocation"]
    assert secret["artifactLocation"]["uri"] == "config%20dir/settings.py"
    assert secret["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "snippet": {"text": "AWS_KEY = 'AKIA...'"},
    }
    # Line/column 0 from a scanner become the first position, never an invalid region.
    weak = results["B311"]
    assert weak["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
    }
    assert "partialFingerprints" not in weak
    assert weak["level"] == "warning"
    assert results["S101"]["level"] == "note"
    assert "llm" not in results["S101"]["properties"]


def test_sarif_failed_run_and_file_target(tmp_path: Path) -> None:
    target = tmp_path / "one file.py"
    target.write_text("x = 1\n")
    run = render_sarif(sample_report(status="failed", target=str(target)), "0.1.0")["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.as_uri() + "/"


def test_sarif_code_flows_and_suppressions() -> None:
    results = render_sarif(sample_report(suppressed_findings()), "0.1.0")["runs"][0]["results"]
    by_fp = {r["partialFingerprints"]["attune/v1"]: r for r in results}
    assert len(results) == 4  # suppressed findings stay in the SARIF

    (code_flow,) = by_fp["fp-taint"]["codeFlows"]
    assert code_flow["message"]["text"] == (
        "Untrusted data from app/views.py:12 reaches app/db.py:10 in 3 steps."
    )
    (thread,) = code_flow["threadFlows"]
    steps = thread["locations"]
    assert [s["properties"]["step"] for s in steps] == ["source", "call", "sink"]
    assert [s["executionOrder"] for s in steps] == [1, 2, 3]
    assert steps[0]["kinds"] == ["taint"] and steps[1]["kinds"] == ["call"]
    assert steps[0]["location"] == {
        "physicalLocation": {
            "artifactLocation": {"uri": "app/views.py", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 12, "startColumn": 9},
        },
        "message": {"text": "request.args['q'] reaches q."},
    }
    assert "suppressions" not in by_fp["fp-taint"]
    assert "codeFlows" not in by_fp["fp-nosec"]

    assert by_fp["fp-nosec"]["suppressions"] == [
        {"kind": "inSource", "justification": "inline: # nosec B301"}
    ]
    assert by_fp["fp-assert-test"]["suppressions"] == [
        {"kind": "external", "justification": "test code: asserts in tests are not findings"}
    ]
    assert by_fp["fp-base"]["suppressions"] == [
        {"kind": "external", "justification": "in baseline /srv/old/report.json"},
        {"kind": "external", "justification": "legacy checksum"},
    ]


# --------------------------------------------------------------------------- files


def test_write_reports(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "w1"
    report = sample_report()
    paths = write_reports(report, out, "0.1.0")
    assert paths == artifact_paths(out)
    assert set(paths) == {"markdown", "json", "sarif"}
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in paths.values())
    assert all(Path(p).stat().st_mode & 0o777 == 0o644 for p in paths.values())
    assert json.loads(Path(paths["json"]).read_text()) == report
    assert json.loads(Path(paths["sarif"]).read_text())["version"] == "2.1.0"
    assert Path(paths["markdown"]).read_text() == render_markdown(report)
    # Rewriting replaces in place and leaves no temp files behind.
    write_reports(sample_report([]), out, "0.1.0")
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md", "report.sarif"]
    assert json.loads(Path(paths["json"]).read_text())["findings"] == []


# --------------------------------------------------------------------------- validator


@pytest.mark.parametrize("findings", ["sample", "flows and suppressions"])
def test_sarif_passes_microsoft_validator(
    sarif_validator: Path, tmp_path: Path, findings: str
) -> None:
    target = tmp_path / "audited project"
    target.mkdir()
    sarif_file = tmp_path / "report.sarif"
    chosen = sample_findings() if findings == "sample" else suppressed_findings()
    sarif_file.write_text(
        json.dumps(render_sarif(sample_report(chosen, target=str(target)), "0.1.0"))
    )
    result = validate(sarif_file, sarif_validator)
    assert result.errors == [], result.output
    assert [w for w in result.warnings if not w.startswith(NO_HOME_PAGE)] == [], result.output


def test_validator_catches_broken_sarif(sarif_validator: Path, tmp_path: Path) -> None:
    """Guards the test above against a validator that passes everything."""
    sarif = render_sarif(sample_report(), "0.1.0")
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0
    sarif_file = tmp_path / "broken.sarif"
    sarif_file.write_text(json.dumps(sarif))
    assert validate(sarif_file, sarif_validator).errors


# --------------------------------------------------------------------------- consumers


def test_llm_triage_is_never_spent_on_suppressed_findings() -> None:
    from activities.llm.stage import _select

    chosen = _select(suppressed_findings(), limit=10)
    assert [f.fingerprint for f in chosen] == ["fp-taint"]


def test_cli_summary_names_what_is_out_of_the_counts() -> None:
    from rich.console import Console

    from starter.views import FINDINGS

    findings = suppressed_findings()
    result = SimpleNamespace(
        workflow_id="security-audit-x",
        status="completed",
        summary=summarize(findings, 3, 0),
        duration_s=1.0,
        artifacts={},
    )
    console = Console(record=True, width=200)
    FINDINGS.render(result, console)
    text = console.export_text()
    assert "4 findings (3 suppressed, out of the counts)" in text
    assert FINDINGS.exit_code(result, "critical") == 0 and FINDINGS.exit_code(result, "high") == 3
    assert FINDINGS.brief(result).suppressed == 3
