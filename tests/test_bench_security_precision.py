"""The security-precision benchmark's scoring: open critical/high findings joined with
hand labels, per KLOC, on a tiny synthetic report (no scan, no server)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import benchmark_module


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("security_precision")


def finding(file: str, rule: str, snippet: str, severity: str = "high", **extra) -> dict:
    return {
        "file": file,
        "line": 7,
        "rule_id": rule,
        "tool": "attune",
        "category": "test",
        "snippet": snippet,
        "severity": severity,
        "confidence": "medium",
        "message": f"{rule} message (impact: whatever)",
        **extra,
    }


def label(file: str, rule: str, snippet: str, verdict: bool, project: str = "demo") -> str:
    record = {"project": project, "file": file, "rule": rule, "snippet": snippet}
    return json.dumps({**record, "label": verdict, "reason": "judged by hand", "line": 1})


def test_open_high_findings_are_joined_by_snippet_and_counted_per_kloc(bench) -> None:
    labels = bench.parse_labels(
        [
            label("src/a.py", "ATN101", "cur.execute('x' %  y)", True),
            label("src/b.py", "ATN130", "pickle.loads(pickle.dumps(x))", False),
            "",
            label("src/a.py", "ATN101", "cur.execute('x' % y)", True, project="other"),
        ]
    )
    findings = [
        # whitespace differs from the label: still the same key
        finding("src/a.py", "ATN101", "cur.execute('x'   % y)", severity="critical"),
        finding("src/b.py", "ATN130", "pickle.loads(pickle.dumps(x))"),
        finding("src/c.py", "ATN120", "eval(s)", confidence="low"),
        finding("src/c.py", "ATN120", "eval(t)", suppressed="test code"),
        finding("src/d.py", "ATN212", "k = 'abc'", accepted_risk="fixture"),
        finding("src/a.py", "S101", "assert x", severity="low"),
    ]
    lines = {"src/a.py": 1500, "src/b.py": 400, "src/c.py": 100}

    scored = bench.score("demo", "demo", findings, lines, labels)

    assert (scored.files, scored.kloc) == (3, 2.0)
    assert (scored.critical, scored.high, scored.suppressed_high) == (1, 2, 2)
    assert scored.per_kloc == 1.5
    assert scored.confident == 2, "the low-confidence eval(s) is not among them"
    assert scored.risk == 78, "one medium-confidence critical: low in the critical band"
    assert (scored.true, scored.false, scored.unlabelled) == (1, 1, 1)
    unlabelled = [f for f in scored.findings if f["label"] is None]
    assert [(f["file"], f["rule"]) for f in unlabelled] == [("src/c.py", "ATN120")]
    assert scored.findings[0]["message"] == "ATN101 message"


def test_a_part_keeps_only_its_files_and_their_lines(bench) -> None:
    findings = [finding("src/a.py", "ATN120", "eval(s)"), finding("tests/t.py", "ATN120", "e")]
    kept, lines = bench.part(findings, {"src/a.py": 10, "tests/t.py": 90}, "src/")
    assert [f["file"] for f in kept] == ["src/a.py"]
    assert lines == {"src/a.py": 10}


def test_a_label_without_a_verdict_or_reason_or_labelled_twice_differently_is_refused(
    bench,
) -> None:
    with pytest.raises(ValueError, match="line 1"):
        bench.parse_labels(['{"project": "p", "file": "f", "rule": "r", "snippet": "s"}'])
    agree = label("f.py", "R1", "x = 1", True)
    assert len(bench.parse_labels([agree, agree])) == 1
    with pytest.raises(ValueError, match=r"line 2: .* labelled twice"):
        bench.parse_labels([agree, label("f.py", "R1", "x  =  1", False)])


def test_the_committed_label_file_parses(bench) -> None:
    assert all(isinstance(v.label, bool) for v in bench.parse_labels(bench.LABELS.open()).values())
