"""Cross-engine merging and fingerprints, on real engine output where it matters."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

from activities.security_audit.scanners.ast_rules import scan_python
from activities.security_audit.scanners.merge import fingerprint, issue_key, merge_findings
from activities.security_audit.scanners.ruff_rules import parse_ruff_output, ruff_command
from activities.security_audit.scanners.secrets import find_secrets
from workflows.schemas import Finding

SAMPLE = """\
import hashlib
import os
import pickle
import subprocess


def handler(request, cur, data, cmd):
    digest = hashlib.md5(data).hexdigest()
    obj = pickle.loads(data)
    subprocess.run(cmd, shell=True)
    os.system("tar czf /tmp/out.tgz " + cmd)
    cur.execute("SELECT * FROM users WHERE name = '%s'" % request.GET["name"])
    return open(request.GET["path"]).read(), digest, obj


password = "Tr0ub4dor&3"
"""


def finding(tool: str, rule_id: str, cwe: int | None, line: int = 3, **extra) -> Finding:
    values = {
        "category": "test",
        "severity": "medium",
        "confidence": "medium",
        "file": "app.py",
        "line": line,
        "message": f"{tool} says {rule_id}",
        "snippet": "x = f(y)",
    }
    values.update(extra)
    return Finding(rule_id=rule_id, tool=tool, tools=[tool], cwe=cwe, **values)


def scan_all(root: Path, rel: str) -> tuple[list[Finding], list[Finding]]:
    """What the scanning activity does for one file: attune, secrets, ruff, then merge.
    Returns the merged findings and ruff's own."""
    source = (root / rel).read_text()
    proc = subprocess.run(ruff_command([rel]), cwd=root, capture_output=True, text=True)
    ruff = parse_ruff_output(proc.stdout, root)
    return merge_findings(scan_python(source, rel) + find_secrets(source, rel) + ruff), ruff


def visible_rules(findings: list[Finding]) -> set[tuple[int, str]]:
    seen = set()
    for f in findings:
        seen.add((f.line, f"{f.tool}/{f.rule_id}"))
        seen.update((f.line, related) for related in f.related_rules)
    return seen


def test_two_engines_on_one_line_become_one_finding(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    merged, _ = scan_all(tmp_path, "app.py")
    [md5] = [f for f in merged if f.line == 8]
    assert (md5.rule_id, md5.tool, md5.cwe) == ("ATN140", "attune", 328)
    assert md5.tools == ["attune", "ruff"]
    assert md5.related_rules == ["ruff/S324"]
    assert md5.message.startswith("MD5 is broken")
    [pickle_finding] = [f for f in merged if f.line == 9]
    assert pickle_finding.tools == ["attune", "ruff"]
    assert pickle_finding.related_rules == ["ruff/S301"]


def test_merging_never_drops_a_ruff_finding(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    merged, ruff = scan_all(tmp_path, "app.py")
    assert len(ruff) >= 6
    assert {(f.line, f"ruff/{f.rule_id}") for f in ruff} <= visible_rules(merged)
    assert sum(len(f.tools) > 1 for f in merged) >= 4


def test_severity_and_confidence_are_the_maximum() -> None:
    attune = finding("attune", "ATN140", 328, severity="medium", confidence="low")
    ruff = finding("ruff", "S324", 328, severity="high", confidence="high")
    [merged] = merge_findings([ruff, attune])
    assert (merged.rule_id, merged.message) == ("ATN140", "attune says ATN140")
    assert (merged.severity, merged.confidence) == ("high", "high")
    assert merged.tools == ["attune", "ruff"] and merged.related_rules == ["ruff/S324"]


def test_findings_of_one_tool_never_merge() -> None:
    first = finding("ruff", "S602", 78, column=1)
    second = finding("ruff", "S604", 78, column=5)
    merged = merge_findings([second, first])
    assert [(f.rule_id, f.tools, f.related_rules) for f in merged] == [
        ("S602", ["ruff"], []),
        ("S604", ["ruff"], []),
    ]
    assert len({f.fingerprint for f in merged}) == 2


def test_each_merged_finding_takes_at_most_one_finding_per_tool() -> None:
    attune = finding("attune", "ATN110", 78, column=1)
    s602 = finding("ruff", "S602", 78, column=1)
    s604 = finding("ruff", "S604", 78, column=9)
    bandit = finding("bandit", "B602", 78, column=1)
    merged = merge_findings([s604, bandit, s602, attune])
    assert [(f.rule_id, f.tools, f.related_rules) for f in merged] == [
        ("ATN110", ["attune", "ruff", "bandit"], ["ruff/S602", "bandit/B602"]),
        ("S604", ["ruff"], []),
    ]


def test_different_weaknesses_or_lines_do_not_merge() -> None:
    findings = [
        finding("attune", "ATN140", 328),
        finding("ruff", "S301", 502),
        finding("ruff", "S324", 328, line=4),
        finding("ruff", "S999", None),
        finding("bandit", "B999", None),
    ]
    assert len(merge_findings(findings)) == 5


def test_bandit_cwe_quirks_still_merge() -> None:
    """bandit files md5 under CWE-327 and exec under CWE-78; they are the same issues."""
    md5 = [finding("ruff", "S324", 328), finding("bandit", "B324", 327, severity="high")]
    exec_ = [finding("attune", "ATN120", 94, line=5), finding("bandit", "B102", 78, line=5)]
    password = [finding("attune", "ATN212", 798, line=7), finding("ruff", "S105", 259, line=7)]
    merged = merge_findings(md5 + exec_ + password)
    assert [(f.rule_id, f.cwe, f.related_rules) for f in merged] == [
        ("S324", 328, ["bandit/B324"]),
        ("ATN120", 94, ["bandit/B102"]),
        ("ATN212", 798, ["ruff/S105"]),
    ]
    assert issue_key(md5[0]) == issue_key(md5[1]) == "CWE-328"
    assert merged[0].severity == "high"  # bandit's, while ruff's specific CWE is kept


def test_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    before, _ = scan_all(tmp_path, "app.py")
    (tmp_path / "app.py").write_text("\n\n\n# a new header comment\n" + SAMPLE)
    after, _ = scan_all(tmp_path, "app.py")
    assert [f.line + 4 for f in before] == [f.line for f in after]
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert all(re.fullmatch(r"[0-9a-f]{32}", f.fingerprint) for f in after)
    assert len({f.fingerprint for f in after}) == len(after)


def test_fingerprint_depends_on_issue_file_snippet_and_occurrence() -> None:
    base = finding("ruff", "S324", 328, snippet="hashlib.md5(a)")
    moved = base.model_copy(update={"line": 90, "column": 7})
    assert fingerprint(moved, 0) == fingerprint(base, 0)
    same_issue_other_engine = finding("bandit", "B324", 327, snippet="hashlib.md5(a)")
    assert fingerprint(same_issue_other_engine, 0) == fingerprint(base, 0)
    for changed in (
        base.model_copy(update={"snippet": "hashlib.md5(b)"}),
        base.model_copy(update={"file": "other.py"}),
        base.model_copy(update={"cwe": 502}),
    ):
        assert fingerprint(changed, 0) != fingerprint(base, 0)
    assert fingerprint(base, 1) != fingerprint(base, 0)


def test_fingerprint_normalises_whitespace() -> None:
    base = finding("ruff", "S324", 328, snippet="x = hashlib.md5(a)")
    reindented = base.model_copy(update={"snippet": "x  =  hashlib.md5(a)\t"})
    assert fingerprint(base, 0) == fingerprint(reindented, 0)


def test_identical_lines_get_distinct_stable_fingerprints() -> None:
    first = finding("ruff", "S324", 328, line=3)
    second = finding("ruff", "S324", 328, line=10)
    merged = merge_findings([second, first])
    assert [f.line for f in merged] == [3, 10]
    assert merged[0].fingerprint == fingerprint(first, 0)
    assert merged[1].fingerprint == fingerprint(second, 1)


def test_output_is_sorted_and_independent_of_input_order() -> None:
    findings = [
        finding("ruff", "S324", 328, file="b.py", line=2),
        finding("attune", "ATN140", 328, file="b.py", line=2),
        finding("ruff", "S101", 703, file="a.py", line=9, column=5),
        finding("ruff", "S110", 390, file="a.py", line=9, column=1),
        finding("bandit", "B101", 703, file="a.py", line=1),
    ]
    expected = merge_findings(findings)
    assert [(f.file, f.line, f.column) for f in expected] == [
        ("a.py", 1, 1),
        ("a.py", 9, 1),
        ("a.py", 9, 5),
        ("b.py", 2, 1),
    ]
    rng = random.Random(4)
    for _ in range(5):
        shuffled = findings[:]
        rng.shuffle(shuffled)
        assert merge_findings(shuffled) == expected
    assert merge_findings(expected) == expected  # merging twice changes nothing
