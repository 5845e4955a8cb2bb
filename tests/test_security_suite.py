"""The labelled security suite's manifest is whole, and its scorer counts what it says:
TPR - FPR per CWE family over cases, with suppressed findings not counted. No workflow
runs here; benchmarks/security_suite.py runs the tools."""

from __future__ import annotations

import ast
from collections import Counter

import pytest

from tests.conftest import benchmark_module


@pytest.fixture(scope="module")
def suite():
    yield from benchmark_module("security_suite")


@pytest.fixture(scope="module")
def cases(suite):
    return suite.load_manifest()


def test_every_case_has_a_twin_of_the_same_cwe_and_the_other_label(cases):
    by_id = {c.id: c for c in cases}
    assert len(by_id) == len(cases), "case ids are unique"
    for case in cases:
        twin = by_id[case.twin]
        assert twin.twin == case.id
        assert (twin.cwe, twin.flow) == (case.cwe, case.flow)
        assert {twin.label, case.label} == {"vulnerable", "safe"}


def test_the_suite_is_large_and_covers_every_cwe(suite, cases):
    assert len(cases) >= 150
    assert {c.cwe for c in cases} == set(suite.SUITE_CWES)
    pairs = Counter(suite.family_name(c.cwe) for c in cases if c.label == "vulnerable")
    assert min(pairs.values()) >= 4, pairs
    through_helpers = sum(c.flow != "local" for c in cases)
    assert through_helpers * 3 >= len(cases)


def test_case_files_parse_and_never_reach_outside_their_case(suite, cases):
    for case in cases:
        root = suite.CASES / case.id
        files = sorted(root.rglob("*.py"))
        assert files, case.id
        for path in files:
            assert not path.name.startswith("test_"), path  # pytest would collect it
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level:
                    assert node.level == 1, path
                    module = root / f"{node.module}.py"
                    assert module.is_file(), f"{path}: .{node.module} is not in {case.id}"
        if case.flow == "cross-module":
            assert (root / "__init__.py").is_file(), case.id


def test_twins_have_the_same_modules(suite, cases):
    """The same flow: the safe twin changes code inside the vulnerable case's modules."""

    def modules(case_id: str) -> list[str]:
        root = suite.CASES / case_id
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))

    for case in cases:
        assert modules(case.id) == modules(case.twin), case.id


def test_cases_live_in_one_directory_per_cwe_named_for_it(cases):
    for case in cases:
        directory, _name, label = case.id.split("/")
        assert directory == f"cwe{case.cwe:03d}"
        assert label == case.label


def _case(suite, name, cwe, label, flow="local"):
    twin = "safe" if label == "vulnerable" else "vulnerable"
    return suite.SuiteCase(
        id=f"{name}/{label}",
        cwe=cwe,
        label=label,
        twin=f"{name}/{twin}",
        flow=flow,
        description="synthetic",
    )


def test_score_is_tpr_minus_fpr_per_family_averaged(suite):
    cases = [
        _case(suite, "sql/a", 89, "vulnerable"),
        _case(suite, "sql/a", 89, "safe"),
        _case(suite, "sql/b", 89, "vulnerable"),
        _case(suite, "sql/b", 89, "safe"),
        _case(suite, "hash/a", 327, "vulnerable"),
        _case(suite, "hash/a", 327, "safe"),
        _case(suite, "hash/b", 328, "vulnerable"),
        _case(suite, "hash/b", 328, "safe"),
    ]
    found = [
        suite.ToolFinding(file="sql/a/vulnerable/app.py", cwe=89),
        suite.ToolFinding(file="sql/a/safe/app.py", cwe=89),
        suite.ToolFinding(file="sql/b/vulnerable/app.py", cwe=78),  # another CWE: a miss
        suite.ToolFinding(file="hash/a/vulnerable/pkg/crypto.py", cwe=328),  # same family
        suite.ToolFinding(file="hash/b/vulnerable/keys.py", cwe=327),
        suite.ToolFinding(file="hash/b/vulnerable_old/keys.py", cwe=327),  # not this case
    ]
    rates, average = suite.score_by_family(cases, found)
    assert list(rates) == ["89", "327/328"]
    assert (rates["89"].pairs, rates["89"].tpr, rates["89"].fpr) == (2, 0.5, 0.5)
    assert rates["89"].score == 0.0
    assert (rates["327/328"].pairs, rates["327/328"].tpr, rates["327/328"].fpr) == (2, 1.0, 0.0)
    assert average == pytest.approx(0.5)


def test_suppressed_and_accepted_findings_are_not_detections(suite):
    report = {
        "findings": [
            {"file": "a/vulnerable/x.py", "cwe": 89, "suppressed": None},
            {"file": "b/vulnerable/x.py", "cwe": 89, "suppressed": "inline: # nosec"},
            {"file": "c/vulnerable/x.py", "cwe": 89, "accepted_risk": "legacy"},
            {"file": "d/vulnerable/x.py", "cwe": None},
        ]
    }
    assert [f.file for f in suite.attune_findings(report)] == ["a/vulnerable/x.py"]


def test_bandit_and_ruff_output_map_to_cwes(suite, tmp_path):
    root = tmp_path / "cases"
    bandit = {
        "results": [
            {
                "filename": str(root / "a/vulnerable/x.py"),
                "test_id": "B608",
                "issue_cwe": {"id": 89},
            },
            {
                "filename": str(root / "a/vulnerable/y.py"),
                "test_id": "B307",
                "issue_cwe": {"id": 78},
            },
            {"filename": str(root / "a/vulnerable/z.py"), "test_id": "B703", "issue_cwe": {}},
        ]
    }
    ruff = [
        {"filename": str(root / "b/safe/x.py"), "code": "S324"},
        {"filename": str(root / "b/safe/x.py"), "code": None},  # a syntax error
    ]
    assert suite.bandit_findings(bandit, root) == [
        suite.ToolFinding(file="a/vulnerable/x.py", cwe=89),
        suite.ToolFinding(file="a/vulnerable/y.py", cwe=78),
        suite.ToolFinding(file="a/vulnerable/y.py", cwe=94),
    ]
    assert suite.ruff_findings(ruff, root) == [suite.ToolFinding(file="b/safe/x.py", cwe=328)]


def test_every_case_directory_is_in_the_manifest(suite, cases):
    on_disk = {
        path.relative_to(suite.CASES).as_posix()
        for path in suite.CASES.glob("*/*/*")
        if path.is_dir()
    }
    assert on_disk == {c.id for c in cases}
