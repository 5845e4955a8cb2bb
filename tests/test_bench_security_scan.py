"""The Django speed benchmark's coverage check: a ruff S location counts as in attune's
report when the report has it open, or set aside with a stated reason."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import benchmark_module


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("security_scan")


def finding(line: int, rule: str, tool: str = "ruff", **extra) -> dict:
    return {"file": "app.py", "line": line, "rule_id": rule, "tool": tool, **extra}


def test_suppressed_findings_with_a_reason_still_cover_ruff_locations(bench) -> None:
    report = {
        "findings": [
            finding(1, "S301"),
            finding(2, "S105", suppressed="test code: a fixture's password"),
            finding(3, "S307", accepted_risk="the config loader evaluates its own file"),
            finding(4, "S602", suppressed=" "),
            finding(5, "ATN130", tool="attune", related_rules=["ruff/S301", "bandit/B301"]),
        ]
    }
    ruff = Counter(("app.py", n, r) for n, r in enumerate(["S301", "S105", "S307", "S602"], 1))
    ruff[("app.py", 5, "S301")] += 1

    covered, lines = bench.attune_keys(report)
    assert set(ruff - covered) == {("app.py", 4, "S602")}
    assert lines == {("app.py", n) for n in (1, 2, 3, 5)}

    open_only, _ = bench.attune_keys(report, bench.is_open)
    assert set(ruff - open_only) == {
        ("app.py", 2, "S105"),
        ("app.py", 3, "S307"),
        ("app.py", 4, "S602"),
    }
