"""The report's use of the trace: policy at a flow's sink, and untraced patterns weighed."""

from __future__ import annotations

from pathlib import Path

from activities.security_audit.scanners.evidence import (
    UNTRACED_NOTE,
    flows_with_policy,
    trace_warnings,
    weigh_untraced,
)
from workflows.schemas import Finding, FlowStep
from workflows.security_audit.models import TaintStats


def finding(rule_id: str, cwe: int, line: int = 3, file: str = "app/db.py", **extra) -> Finding:
    return Finding(
        rule_id=rule_id,
        tool="attune",
        category="injection",
        severity="high",
        confidence="medium",
        cwe=cwe,
        file=file,
        line=line,
        message="A message.",
        **extra,
    )


def flow_to(file: str, line: int) -> list[FlowStep]:
    return [
        FlowStep(kind="source", file="app/views.py", line=1, note="request.args"),
        FlowStep(kind="sink", file=file, line=line, note="cursor.execute"),
    ]


def test_untraced_injection_patterns_drop_to_low_confidence_and_say_why() -> None:
    untraced_sql = finding("ATN101", 89)
    untraced_pickle = finding("ATN130", 502, line=9)
    traced = finding("ATN304", 89, line=5, flow=flow_to("app/db.py", 5))
    weak_hash = finding("ATN140", 328, line=7)
    suppressed = finding("ATN101", 89, line=11, suppressed="inline: # nosec")
    weighed = weigh_untraced([untraced_sql, untraced_pickle, traced, weak_hash, suppressed])
    assert [(f.rule_id, f.severity, f.confidence) for f in weighed] == [
        ("ATN101", "high", "low"),
        ("ATN130", "high", "low"),
        ("ATN304", "high", "medium"),
        ("ATN140", "high", "medium"),
        ("ATN101", "high", "medium"),
    ]
    assert weighed[0].message == "A message." + UNTRACED_NOTE
    assert weighed[2:] == [traced, weak_hash, suppressed]


def test_a_flow_gets_the_inline_suppression_and_test_policy_of_its_sink(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(
        "def run(cursor, sql):\n    cursor.execute(sql)\n    cursor.execute(sql)  # nosec B608\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helpers.py").write_text("def go(cursor, q):\n    cursor.execute(q)\n")
    open_flow = finding("ATN304", 89, line=2, flow=flow_to("app/db.py", 2))
    inline = finding("ATN304", 89, line=3, flow=flow_to("app/db.py", 3))
    gone = finding("ATN304", 89, line=2, file="app/gone.py", flow=flow_to("app/gone.py", 2))
    in_tests = finding("ATN304", 89, line=2, file="tests/helpers.py")
    result = {
        (f.file, f.line): f
        for f in flows_with_policy([open_flow, inline, gone, in_tests], tmp_path)
    }
    assert result["app/db.py", 2].suppressed is None
    assert result["app/db.py", 3].suppressed == "inline: # nosec B608"
    assert result["app/gone.py", 2].suppressed is None, "an unreadable sink file is no reason"
    assert result["tests/helpers.py", 2].is_open


def test_a_trace_cut_short_by_its_budget_is_a_report_warning() -> None:
    stats = TaintStats(
        modules=12, functions=300, evaluations=4096, flows=2, complete=True, seconds=1.5
    )
    assert trace_warnings(None) == trace_warnings(stats) == []
    [warning] = trace_warnings(stats.model_copy(update={"complete": False}))
    assert warning.code == "taint-incomplete"
    assert "4096 function evaluations over 12 modules" in warning.message
