"""Quiet on good code: test-code policy, round trips, weak randomness and inline
suppressions, through the real scanners (ruff, bandit) and `scan_chunk`'s cache."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from activities.security_audit.scanners.policy import (
    IMPORT_ONLY,
    ROUND_TRIP,
    SHELL_QUOTED,
    TEST_ASSERT,
    TestCode,
    apply_policy,
    is_test_path,
)
from activities.security_audit.scanning import scan_chunk
from workflows.schemas import Finding


def write(root: Path, rel: str, code: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code).lstrip("\n"))


def scan(root: Path, rels: list[str], bandit: bool = False) -> list[Finding]:
    return scan_chunk(str(root), rels, str(root.parent / "cache.sqlite"), bandit).findings


def by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        for rule in (f"{f.tool}/{f.rule_id}", *f.related_rules):
            grouped.setdefault(rule, []).append(f)
    return grouped


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("tests/test_api.py", True),
        ("src/pkg/tests/helpers.py", True),
        ("test/unit.py", True),
        ("pkg/testing/utils.py", True),
        ("tests/fixtures/data.py", True),
        ("fixtures/users.py", True),
        ("test_api.py", True),
        ("pkg/api_test.py", True),
        ("conftest.py", True),
        ("src/pkg/api.py", False),
        ("src/pkg/testimony.py", False),
        ("src/latest/contest.py", False),
        ("pkg/test_data.txt", False),
    ],
)
def test_test_paths(rel: str, expected: bool) -> None:
    assert is_test_path(rel) is expected


def test_conftest_marks_its_directory_and_below(tmp_path: Path) -> None:
    write(tmp_path, "e2e/conftest.py", "")
    write(tmp_path, "conftest.py", "")  # project-wide pytest configuration
    write(tmp_path, "lib/__init__.py", "")
    write(tmp_path, "lib/conftest.py", "")  # a library's doctest setup
    test_code = TestCode(tmp_path)
    assert test_code("e2e/checks.py")
    assert test_code("e2e/api/login.py")
    assert not test_code("app.py")
    assert not test_code("lib/core.py")
    assert not test_code("e2e_tools/run.py")


ASSERTS = """
    def check(x):
        assert x > 0
        return x
"""


def test_asserts_in_tests_are_suppressed_and_stay_open_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root, "tests/test_x.py", ASSERTS)
    write(root, "src/pkg/x.py", ASSERTS)
    findings = scan(root, ["src/pkg/x.py", "tests/test_x.py"], bandit=True)
    in_src, in_tests = (
        [f for f in findings if f.file == path and f.rule_id == "S101"]
        for path in ("src/pkg/x.py", "tests/test_x.py")
    )
    assert [(f.line, f.severity, f.confidence, f.is_open) for f in in_src] == [
        (2, "low", "high", True)
    ]
    assert [(f.line, f.suppressed) for f in in_tests] == [(2, TEST_ASSERT)]
    assert not in_tests[0].is_open
    assert in_tests[0].related_rules == in_src[0].related_rules == ["bandit/B101"]


def test_adding_a_conftest_reclassifies_a_cached_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root, "e2e/login.py", ASSERTS)
    [before] = scan(root, ["e2e/login.py"])
    assert before.is_open
    write(root, "e2e/conftest.py", "")
    result = scan_chunk(str(root), ["e2e/login.py"], str(tmp_path / "cache.sqlite"), False)
    assert result.cache_misses == 1
    [after] = result.findings
    assert after.suppressed == TEST_ASSERT


def test_literal_secrets_in_tests_are_low_confidence(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    code = 'DB_PASSWORD = "Zq81kW29vLmx"\n'
    write(root, "tests/settings.py", code)
    write(root, "app/settings.py", code)
    findings = [f for f in scan(root, ["app/settings.py", "tests/settings.py"])]
    confidence = {f.file: f.confidence for f in findings if f.category == "hardcoded-secret"}
    assert confidence == {"app/settings.py": "medium", "tests/settings.py": "low"}
    assert all(f.is_open for f in findings)


def test_a_debug_server_in_tests_is_low_confidence(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    code = "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"
    write(root, "tests/test_run.py", code)
    write(root, "app/main.py", code)
    findings = [f for f in scan(root, ["app/main.py", "tests/test_run.py"])]
    confidence = {f.file: f.confidence for f in findings if f.category == "debug"}
    assert confidence == {"app/main.py": "medium", "tests/test_run.py": "low"}
    assert all(f.is_open and f.severity == "high" for f in findings if f.category == "debug")


def test_round_trips_are_suppressed_with_every_engine_location(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(
        root,
        "tests/test_pickle.py",
        """
        import pickle
        def test_copy(x, stored):
            assert pickle.loads(pickle.dumps(x)) == x
            data = pickle.dumps(x)
            copy = pickle.loads(data)
            return copy, pickle.loads(stored)
        """,
    )
    pickled = scan(root, ["tests/test_pickle.py"], bandit=True)
    findings = [f for f in pickled if f.cwe == 502 and f.rule_id != "B403"]
    assert [(f.line, f.rule_id, f.suppressed) for f in findings] == [
        (3, "ATN133", ROUND_TRIP),
        (5, "ATN133", ROUND_TRIP),
        (6, "ATN130", None),
    ]
    assert {"ruff/S301", "bandit/B301"} <= set(findings[0].related_rules)


def test_a_fully_quoted_shell_command_is_quiet_at_every_engine_location(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(
        root,
        "remote.py",
        """
        import shlex
        import subprocess
        def uptime(host):
            return subprocess.run(
                f"ssh -o BatchMode=yes {shlex.quote(host)} uptime",
                shell=True,
                capture_output=True,
            )
        def uptime_raw(host):
            return subprocess.run(
                f"ssh -o BatchMode=yes {host} uptime",
                shell=True,
            )
        """,
    )
    findings = [f for f in scan(root, ["remote.py"], bandit=True) if f.cwe == 78]
    rules = {(f.line, f.tool, f.rule_id): f.suppressed for f in findings}
    assert rules[(2, "bandit", "B404")] == IMPORT_ONLY
    quoted = {key: reason for key, reason in rules.items() if 4 <= key[0] <= 8}
    assert set(quoted.values()) == {SHELL_QUOTED}
    assert {("attune", "ATN112"), ("bandit", "B602")} <= {key[1:] for key in quoted}
    assert any("ruff/S602" in f.related_rules for f in findings if 4 <= f.line <= 8)
    raw = [f for f in findings if f.line >= 9]
    assert raw and all(f.is_open for f in raw)
    assert "ATN110" in {f.rule_id for f in raw}


def test_weak_random_is_low_unless_used_for_a_security_value(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(
        root,
        "app.py",
        """
        import random
        def f():
            delay = random.random()
            reset_token = random.randint(0, 2**64)
            return delay, reset_token
        """,
    )
    findings = [f for f in scan(root, ["app.py"]) if f.cwe == 330]
    assert [(f.line, f.rule_id, f.severity, f.confidence) for f in findings] == [
        (3, "S311", "low", "low"),
        (4, "ATN190", "medium", "medium"),
    ]
    assert findings[1].related_rules == ["ruff/S311"]


INLINE = """
    import hashlib, os, pickle, subprocess
    def f(cmd, data, name):
        subprocess.run(cmd, shell=True)  # nosec
        subprocess.run(cmd, shell=True)  # nosec B602
        subprocess.run(cmd, shell=True); pickle.loads(data)  # nosec: B602
        subprocess.run(cmd, shell=True)  # nosec B301
        assert data  # noqa: S101
        assert data  # noqa: E501
        assert data  # noqa: E501, S101
        pickle.loads(data)  # NOQA
        pickle.loads(data)  # attune: ignore[ATN130]
        pickle.loads(data)  # attune: ignore[S301]
        hashlib.md5(data)  # attune: ignore
        os.system(cmd)  # attune: ignore[ATN130]
        subprocess.run(
            cmd,
            shell=True,
        )  # nosec B602
        x = "# nosec"; eval(name)  # the directive here sits inside a string
        return x
"""


def test_inline_suppressions(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root, "app.py", INLINE)
    findings = [f for f in scan(root, ["app.py"], bandit=True) if f.line > 2]
    reasons = {(f.line, f.rule_id): f.suppressed for f in findings}
    assert reasons == {
        (3, "ATN110"): "inline: # nosec",
        (4, "ATN110"): "inline: # nosec B602",
        (5, "ATN110"): "inline: # nosec: B602",
        (5, "ATN130"): None,
        (6, "ATN110"): None,
        (7, "S101"): "inline: # noqa: S101",
        (8, "S101"): None,
        (9, "S101"): "inline: # noqa: E501, S101",
        (10, "ATN130"): "inline: # NOQA",
        (11, "ATN130"): "inline: # attune: ignore[ATN130]",
        (12, "ATN130"): "inline: # attune: ignore[S301]",
        (13, "ATN140"): "inline: # attune: ignore",
        (14, "ATN110"): None,
        (15, "ATN110"): "inline: # nosec B602",
        # bandit reports the shell=True line; the statement's last line carries the comment
        (17, "B602"): "inline: # nosec B602",
        # A '# nosec' inside a string literal is taken for a comment: the line text is
        # matched, not tokenised; the finding stays in the report with that reason.
        (19, "ATN120"): "inline: # nosec",
    }
    suppressed = [f for f in findings if f.suppressed]
    # ruff and bandit run blind to noqa/nosec: their locations are reported, suppressed.
    assert all(not f.is_open for f in suppressed)
    assert "ruff/S101" in {f"{f.tool}/{f.rule_id}" for f in suppressed}
    assert {"ruff/S602", "bandit/B602"} <= set(by_rule(suppressed))


def finding(rule_id: str, line: int, end_line: int | None = None, **extra: object) -> Finding:
    return Finding(
        rule_id=rule_id,
        tool=extra.pop("tool", "attune"),  # type: ignore[arg-type]
        category="code-injection",
        severity="high",
        confidence="medium",
        cwe=extra.pop("cwe", 94),  # type: ignore[arg-type]
        file="a.py",
        line=line,
        end_line=end_line,
        message="m",
        **extra,  # type: ignore[arg-type]
    )


def test_inline_comment_on_the_statements_first_or_last_line() -> None:
    source = textwrap.dedent("""
        result = run(  # attune: ignore[ATN120]
            eval(
                code
            )
        )
        other = run(
            eval(code)
        )  # nosec
        @decorate(eval(code))  # nosec
        def f():
            if eval(code):  # nosec
                pass
            eval(code)
    """).lstrip("\n")
    findings = [finding("ATN120", line, end) for line, end in [(2, 4), (7, 7), (9, 9), (11, 11)]]
    findings.append(finding("ATN120", 13, 13))
    reasons = [f.suppressed for f in apply_policy(findings, source, in_tests=False)]
    assert reasons == [
        "inline: # attune: ignore[ATN120]",
        "inline: # nosec",
        "inline: # nosec",
        "inline: # nosec",
        None,
    ]


def test_policy_keeps_order_and_unrelated_findings() -> None:
    findings = [finding("ATN120", 1), finding("ATN120", 2)]
    assert apply_policy(findings, "eval(a)\neval(b)\n", in_tests=True) == findings
    assert apply_policy(findings, None, in_tests=False) == findings
