"""Where a finding stands once its file is known: test code, inline suppressions, and
signals too weak to stand alone.

Runs once per file on the merged findings (`scanning.scan_chunk`), so its verdicts are
cached with the file's result. A finding this policy demotes is never dropped: it keeps its
place in the report with `suppressed` set to the reason (and leaves counts and the risk
score), or it stays open with a lower severity or confidence.

- Inline comments on the finding's line, or on the first or last line of its statement:
  `# nosec` (bare: everything; `# nosec B602,B607`: those bandit tests), `# noqa` (bare, or
  listing ruff `S` codes), `# attune: ignore` (bare, or `[ATN130, S301, B301]`). A code
  suppresses the findings that are about the same issue as its rule (the merge's issue key,
  the CWE): `# nosec B602` also covers ruff's S602 and attune's ATN110 merged with it.
  The reason starts with `inline:` (SARIF renders it as an in-source suppression).
- Round trips: `pickle.loads` of bytes the same function just made with `pickle.dumps`
  (attune's ATN133) deserialises no outside data, in tests and elsewhere.
- Quoted shell commands: a shell call whose every value goes through `shlex.quote` or
  `shlex.join` (attune's ATN112) cannot be given shell syntax; every engine's report of a
  command injection within that call's lines is quiet.
- Imports: bandit's and ruff's warnings on importing subprocess, pickle or an XML parser
  (B403-B410, S403-S410) say nothing about its use, and each use is checked where it
  happens (B602, B301, B314, ...), so they are quiet.
- Test code (paths, or below a `conftest.py`; see `TestCode`): asserts (ruff S101, bandit
  B101) are the test's checks, not production invariants; literal secrets and debug
  servers (`app.run(debug=True)`) are fixtures more often than flaws, so they drop to
  low confidence.
- Weak randomness (CWE-330) that attune did not see used for a security value (ATN190):
  ruff's S311 and bandit's B311 flag every `random` call, so alone they are low/low.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from activities.security_audit.scanners import ast_rules, secrets
from activities.security_audit.scanners.merge import issue_key
from activities.security_audit.scanners.ruff_rules import RUFF_S_RULES
from workflows.schemas import Finding

TEST_DIR_NAMES = frozenset({"tests", "test", "testing", "fixtures"})
TEST_ASSERT = "test code: an assert in a test is the test's check, not a production invariant"
ROUND_TRIP = "round trip: deserialises bytes this function serialised, not outside data"
SHELL_QUOTED = "quoted: every value in this shell command goes through shlex.quote or shlex.join"
IMPORT_ONLY = "an import, not a use: each call of this module is checked where it is made"
_QUOTED_RULE = f"{ast_rules.TOOL}/ATN112"
_COMMAND_INJECTION = "CWE-78"
_IMPORT_RULES = frozenset(
    f"{tool}/{prefix}{n}"
    for tool, prefix in (("bandit", "B"), ("ruff", "S"))
    for n in range(403, 411)
)
_ASSERT_RULES = frozenset({"ruff/S101", "bandit/B101"})
_WEAK_RANDOM = "CWE-330"
# In a test these are fixtures more often than flaws: a literal password for a test user,
# `app.run(debug=True)` against a mocked server. They stay open, at low confidence.
_TEST_FIXTURE_CATEGORIES = frozenset({secrets.CATEGORY, "debug"})

_DIRECTIVE_MARK = re.compile(r"#\s*(?:nosec|noqa|attune:\s*ignore)", re.IGNORECASE)
_DIRECTIVE = re.compile(
    r"#\s*(?:"
    r"(?P<nosec>nosec)\b:?[ \t]*(?P<nosec_ids>(?:[A-Za-z]+\d+[ \t,]*)*)"
    r"|(?P<noqa>noqa)\b(?::[ \t]*(?P<noqa_ids>(?:[A-Za-z]+\d+[ \t,]*)*))?"
    r"|attune:[ \t]*ignore\b(?:\[(?P<attune_ids>[^\]\n]*)\])?"
    r")",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Za-z]+\d+")
STATEMENT_REACH = 50


def is_test_path(rel: str) -> bool:
    """tests/, test/, testing/ or fixtures/ anywhere in the path; test_*.py, *_test.py,
    conftest.py."""
    *dirs, name = rel.split("/")
    if any(d in TEST_DIR_NAMES for d in dirs):
        return True
    return name == "conftest.py" or (
        name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
    )


class TestCode:
    """Which files under `root` are test code: by path, or below a directory holding a
    `conftest.py` (pytest's marker of a test tree, e.g. `e2e/`, `checks/`).

    A `conftest.py` at the root or in an importable package (a directory with
    `__init__.py`, like `pandas/conftest.py`) configures pytest for a whole project or
    library; it does not make the code beside it test code."""

    __test__ = False  # not a pytest class

    def __init__(self, root: Path) -> None:
        self.root = root
        self._marks: dict[str, bool] = {}

    def __call__(self, rel: str) -> bool:
        if is_test_path(rel):
            return True
        dirs = rel.split("/")[:-1]
        return any(self._is_conftest_dir("/".join(dirs[: i + 1])) for i in range(len(dirs)))

    def _is_conftest_dir(self, rel_dir: str) -> bool:
        marked = self._marks.get(rel_dir)
        if marked is None:
            path = self.root / rel_dir
            marked = (path / "conftest.py").is_file() and not (path / "__init__.py").is_file()
            self._marks[rel_dir] = marked
        return marked


@cache
def _code_issue(code: str) -> str | None:
    """The issue key (see merge.issue_key) of a rule named in a comment: a ruff S code, a
    bandit B id (its S twin's CWE unless the merge maps it) or an attune rule id."""
    code = code.upper()
    digits = code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if code.startswith("ATN"):
        rule = ast_rules.RULES.get(code) or secrets.RULES.get(code)
        tool, cwe = "attune", rule.cwe if rule else None
    elif code.startswith(("S", "B")):
        meta = RUFF_S_RULES.get(f"S{digits}")
        tool, cwe = ("ruff" if code[0] == "S" else "bandit"), meta.cwe if meta else None
    else:
        return None
    if cwe is None and tool == "attune":
        return None
    return issue_key(Finding.model_construct(tool=tool, rule_id=code, cwe=cwe))


class _Directive:
    """One suppression comment: its text and the codes it names (None: every rule)."""

    __slots__ = ("codes", "text")

    def __init__(self, text: str, codes: frozenset[str] | None) -> None:
        self.text = text
        self.codes = codes

    def covers(self, rules: set[str], issue: str) -> bool:
        if self.codes is None:
            return True
        return any(code in rules or _code_issue(code) == issue for code in self.codes)


def _directive(match: re.Match[str]) -> _Directive:
    text = match.group(0).strip().rstrip(", \t")
    if match.group("nosec"):
        ids = _CODE.findall(match.group("nosec_ids") or "")
        return _Directive(text, frozenset(i.upper() for i in ids) or None)
    if match.group("noqa"):
        ids = match.group("noqa_ids")
        if ids is None:
            return _Directive(text, None)
        # In a noqa, only S codes are flake8-bandit's; B codes there are bugbear's.
        return _Directive(text, frozenset(i.upper() for i in _CODE.findall(ids) if i[0] in "sS"))
    listed = match.group("attune_ids")
    if listed is None:
        return _Directive(text, None)
    return _Directive(text, frozenset(c.upper() for c in _CODE.findall(listed)))


class _InlineSuppressions:
    """The file's suppression comments by line; statement spans are parsed only when a
    finding's own lines carry none."""

    def __init__(self, source: str) -> None:
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        self.source = source
        self.by_line: dict[int, list[_Directive]] = {}
        line, counted = 1, 0
        for match in _DIRECTIVE.finditer(source):
            line += source.count("\n", counted, match.start())
            counted = match.start()
            self.by_line.setdefault(line, []).append(_directive(match))
        self._statements: dict[int, tuple[int, int]] | None = None

    def reason(self, finding: Finding) -> str | None:
        rules = {finding.rule_id, *(r.partition("/")[2] for r in finding.related_rules)}
        rules |= {_twin(r) for r in rules if _twin(r)}
        issue = issue_key(finding)
        lines = [finding.line]
        if finding.end_line and finding.end_line != finding.line:
            lines.append(finding.end_line)
        found = self._covering(lines, rules, issue)
        if found is None and self._near(finding.line):
            span = self.statements().get(finding.line)
            if span is not None:
                found = self._covering([n for n in span if n not in lines], rules, issue)
        return None if found is None else f"inline: {found.text}"

    def _near(self, line: int) -> bool:
        """Could a comment here be on the first or last line of the finding's statement?
        Parsing a big file costs more than the whole scan of it, so statements longer
        than `STATEMENT_REACH` lines are not followed to a comment at their far end."""
        return any(abs(at - line) <= STATEMENT_REACH for at in self.by_line)

    def _covering(self, lines: list[int], rules: set[str], issue: str) -> _Directive | None:
        for line in lines:
            for directive in self.by_line.get(line, ()):
                if directive.covers(rules, issue):
                    return directive
        return None

    def statements(self) -> dict[int, tuple[int, int]]:
        """Line -> (first, last line) of the innermost statement header holding it; a
        compound statement's header ends before its body (`if`, `def`, `with` lines)."""
        if self._statements is None:
            self._statements = {}
            try:
                tree = ast.parse(self.source)
            except (SyntaxError, ValueError):
                return self._statements
            pending: list[ast.stmt] = list(tree.body)
            while pending:  # outer statements first: inner ones overwrite their lines
                node = pending.pop()
                first = min([node.lineno, *(d.lineno for d in _decorators(node))])
                last = node.end_lineno or node.lineno
                body = getattr(node, "body", None)
                if isinstance(body, list) and body:
                    last = max(node.lineno, body[0].lineno - 1)
                for line in range(first, last + 1):
                    self._statements[line] = (first, last)
                pending.extend(_nested_statements(node))
        return self._statements


def _decorators(node: ast.stmt) -> list[ast.expr]:
    return getattr(node, "decorator_list", [])


def _nested_statements(node: ast.stmt) -> list[ast.stmt]:
    """The statements of a compound statement's blocks (not its expressions: walking
    every node would cost more than the parse)."""
    nested: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if isinstance(block, list):
            nested.extend(block)
    for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        nested.extend(part.body)
    return nested


def _twin(code: str) -> str | None:
    """ruff's S rule and bandit's B test with the same number check the same thing."""
    if len(code) == 4 and code[0] in "SB" and code[1:].isdigit():
        return ("B" if code[0] == "S" else "S") + code[1:]
    return None


def _rules(finding: Finding) -> set[str]:
    return {f"{finding.tool}/{finding.rule_id}", *finding.related_rules}


def apply_policy(findings: list[Finding], source: str | None, in_tests: bool) -> list[Finding]:
    """The file's merged findings with suppressions and demotions applied (same order)."""
    inline = (
        _InlineSuppressions(source)
        if source is not None and findings and _DIRECTIVE_MARK.search(source)
        else None
    )
    quoted = [(f.line, f.end_line or f.line) for f in findings if _QUOTED_RULE in _rules(f)]
    result = []
    for finding in findings:
        update: dict[str, object] = {}
        reason = inline.reason(finding) if inline is not None else None
        if reason is None and finding.tool == ast_rules.TOOL and finding.rule_id == "ATN133":
            reason = ROUND_TRIP
        if (
            reason is None
            and issue_key(finding) == _COMMAND_INJECTION
            and any(first <= finding.line <= last for first, last in quoted)
        ):
            reason = SHELL_QUOTED
        if reason is None and _rules(finding) <= _IMPORT_RULES:
            reason = IMPORT_ONLY
        if reason is None and in_tests and _rules(finding) & _ASSERT_RULES:
            reason = TEST_ASSERT
        if reason is not None:
            update["suppressed"] = reason
        if in_tests and finding.category in _TEST_FIXTURE_CATEGORIES:
            update["confidence"] = "low"
        if ast_rules.TOOL not in finding.tools and issue_key(finding) == _WEAK_RANDOM:
            update["severity"] = update["confidence"] = "low"
        result.append(finding.model_copy(update=update) if update else finding)
    return result
