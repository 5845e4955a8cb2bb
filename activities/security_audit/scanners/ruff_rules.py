"""ruff's flake8-bandit (`S`) rules and bandit itself, as attune findings.

ruff is the fast second opinion run on every batch; bandit is optional (slow, it mostly
re-finds what ruff finds). Both are run on explicit file paths with the target's own
configuration ignored: a repository under audit must not be able to switch rules off.
Both also report lines their `# noqa` / `# nosec` comments silence: attune's policy marks
those findings suppressed with the comment as the reason (scanners/policy.py), so the
location stays in the report instead of vanishing.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ruff import find_ruff_bin

from activities.security_audit.scanners.ast_rules import char_column, source_lines
from activities.security_audit.scanners.secrets import redact
from workflows.schemas import Confidence, Finding, Severity


@dataclass(frozen=True, slots=True)
class RuleMeta:
    category: str
    cwe: int | None
    severity: Severity
    confidence: Confidence


def _m(category: str, cwe: int | None, severity: Severity, confidence: Confidence) -> RuleMeta:
    return RuleMeta(category, cwe, severity, confidence)


# Every S rule ruff 0.17.6 lists (`ruff rule --all`, linter flake8-bandit, including the
# preview S4xx and removed ones, for output of other ruff versions), with the most
# specific CWE. Categories match attune's own rules so merged findings read the same.
# Severity/confidence follow bandit's where it has the test, lowered for the rules that
# fire on every use of an API rather than on a dangerous use (S301, S603, S608, S4xx).
RUFF_S_RULES: dict[str, RuleMeta] = {
    "S101": _m("error-handling", 703, "low", "high"),  # assert, stripped under -O
    "S102": _m("code-injection", 94, "medium", "medium"),  # exec
    "S103": _m("permissions", 732, "medium", "high"),  # chmod 0o777-like
    "S104": _m("network", 605, "medium", "medium"),  # bind 0.0.0.0
    "S105": _m("hardcoded-secret", 259, "medium", "low"),  # password = "literal"
    "S106": _m("hardcoded-secret", 259, "medium", "low"),  # f(password="literal")
    "S107": _m("hardcoded-secret", 259, "medium", "low"),  # def f(password="literal")
    "S108": _m("temp-file", 377, "medium", "medium"),  # "/tmp/..."
    "S110": _m("error-handling", 390, "low", "high"),  # try/except/pass
    "S112": _m("error-handling", 390, "low", "high"),  # try/except/continue
    "S113": _m("denial-of-service", 400, "medium", "medium"),  # requests without timeout
    "S201": _m("debug", 489, "high", "medium"),  # Flask debug=True
    "S202": _m("path-traversal", 22, "high", "medium"),  # tarfile.extractall
    "S301": _m("deserialization", 502, "medium", "medium"),  # pickle
    "S302": _m("deserialization", 502, "medium", "medium"),  # marshal
    "S303": _m("weak-hash", 328, "medium", "high"),  # MD5/SHA1 from crypto libraries
    "S304": _m("weak-crypto", 327, "high", "high"),  # broken cipher
    "S305": _m("weak-crypto", 327, "medium", "high"),  # ECB mode
    "S306": _m("temp-file", 377, "medium", "high"),  # tempfile.mktemp
    "S307": _m("code-injection", 94, "medium", "high"),  # eval
    "S308": _m("xss", 79, "medium", "medium"),  # mark_safe
    "S310": _m("path-traversal", 22, "medium", "medium"),  # urlopen file:/custom schemes
    "S311": _m("weak-randomness", 330, "low", "medium"),  # random for security
    "S312": _m("cleartext-protocol", 319, "high", "medium"),  # telnetlib
    "S313": _m("xxe", 611, "medium", "high"),  # xml.etree.cElementTree
    "S314": _m("xxe", 611, "medium", "high"),  # xml.etree.ElementTree
    "S315": _m("xxe", 611, "medium", "high"),  # xml.sax.expatreader
    "S316": _m("xxe", 611, "medium", "high"),  # xml.dom.expatbuilder
    "S317": _m("xxe", 611, "medium", "high"),  # xml.sax
    "S318": _m("xxe", 611, "medium", "high"),  # xml.dom.minidom
    "S319": _m("xxe", 611, "medium", "high"),  # xml.dom.pulldom
    "S320": _m("xxe", 611, "medium", "high"),  # lxml.etree (removed in ruff 0.12)
    "S321": _m("cleartext-protocol", 319, "high", "medium"),  # ftplib
    "S323": _m("tls", 295, "medium", "high"),  # ssl._create_unverified_context
    "S324": _m("weak-hash", 328, "medium", "high"),  # hashlib md5/sha1
    "S401": _m("cleartext-protocol", 319, "low", "high"),  # import telnetlib
    "S402": _m("cleartext-protocol", 319, "low", "high"),  # import ftplib
    "S403": _m("deserialization", 502, "low", "high"),  # import pickle
    "S404": _m("command-injection", 78, "low", "high"),  # import subprocess
    "S405": _m("xxe", 611, "low", "high"),  # import xml.etree
    "S406": _m("xxe", 611, "low", "high"),  # import xml.sax
    "S407": _m("xxe", 611, "low", "high"),  # import xml.dom.expatbuilder
    "S408": _m("xxe", 611, "low", "high"),  # import xml.dom.minidom
    "S409": _m("xxe", 611, "low", "high"),  # import xml.dom.pulldom
    "S410": _m("xxe", 611, "low", "high"),  # import lxml (removed in ruff 0.3)
    "S411": _m("xxe", 611, "low", "high"),  # import xmlrpc
    "S412": _m("insecure-config", 284, "high", "high"),  # httpoxy (CGIHandler)
    "S413": _m("weak-crypto", 327, "high", "high"),  # import pycrypto (unmaintained)
    "S415": _m("cleartext-protocol", 319, "high", "high"),  # import pyghmi (IPMI)
    "S501": _m("tls", 295, "high", "high"),  # requests verify=False
    "S502": _m("tls", 327, "high", "high"),  # SSLv2/3, TLS 1.0
    "S503": _m("tls", 327, "medium", "medium"),  # insecure SSL default argument
    "S504": _m("tls", 327, "low", "medium"),  # ssl.wrap_socket without version
    "S505": _m("weak-crypto", 326, "high", "high"),  # short RSA/DSA/EC key
    "S506": _m("deserialization", 502, "high", "high"),  # yaml.load
    "S507": _m("tls", 295, "high", "medium"),  # paramiko AutoAddPolicy
    "S508": _m("cleartext-protocol", 319, "medium", "high"),  # SNMP v1/v2
    "S509": _m("cleartext-protocol", 319, "medium", "high"),  # SNMPv3 without encryption
    "S601": _m("command-injection", 78, "medium", "medium"),  # paramiko exec_command
    "S602": _m("command-injection", 78, "high", "high"),  # subprocess shell=True
    "S603": _m("command-injection", 78, "low", "medium"),  # subprocess, no shell
    "S604": _m("command-injection", 78, "medium", "low"),  # any call with shell=True
    "S605": _m("command-injection", 78, "high", "high"),  # os.system/popen
    "S606": _m("command-injection", 78, "low", "medium"),  # os.exec*/spawn*
    "S607": _m("command-injection", 426, "low", "high"),  # executable found via PATH
    "S608": _m("sql-injection", 89, "medium", "low"),  # SQL built by string formatting
    "S609": _m("command-injection", 155, "high", "medium"),  # wildcard in shell command
    "S610": _m("sql-injection", 89, "medium", "medium"),  # QuerySet.extra
    "S611": _m("sql-injection", 89, "medium", "medium"),  # RawSQL
    "S612": _m("code-injection", 94, "medium", "high"),  # logging.config.listen
    "S701": _m("xss", 79, "high", "high"),  # jinja2 autoescape=False
    "S702": _m("xss", 79, "medium", "high"),  # mako templates
    "S704": _m("xss", 79, "medium", "high"),  # Markup() of non-literal
}
DEFAULT_RULE = _m("security", None, "medium", "low")

# Bandit tests without a ruff twin, so the S table cannot name their category.
_BANDIT_ONLY_CATEGORIES = {
    "B613": "trojan-source",
    "B614": "deserialization",
    "B615": "supply-chain",
    "B703": "xss",
}
# The literal at the end of a S105-S107 range, and the password bandit quotes in its message.
_TRAILING_LITERAL = re.compile(r"([\"'])(?P<value>[^\"']*)\1\s*$")
_BANDIT_QUOTED = re.compile(r"'(?P<value>.*)'$")
_BANDIT_SEVERITY: dict[str, Severity] = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
_BANDIT_CONFIDENCE: dict[str, Confidence] = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}


def ruff_command(paths: list[str]) -> list[str]:
    """argv for ruff's S rules on exactly `paths`, blind to the target's ruff config and
    to its `# noqa` comments."""
    return [
        find_ruff_bin(),
        "check",
        "--isolated",
        "--ignore-noqa",
        "--select",
        "S",
        "--output-format",
        "json",
        "--no-cache",
        "--exit-zero",
        "--quiet",
        "--target-version",
        "py313",
        *paths,
    ]


def bandit_command(paths: list[str]) -> list[str]:
    """argv for bandit on exactly `paths`. Without -r and --ini bandit reads no `.bandit`
    file and no pyproject section, so the target cannot configure tests away; with
    --ignore-nosec it reports `# nosec` lines too (attune marks them suppressed)."""
    return [
        sys.executable,
        "-m",
        "bandit",
        "--format",
        "json",
        "--quiet",
        "--exit-zero",
        "--ignore-nosec",
        *paths,
    ]


class _Sources:
    """Relative paths and source lines, each file resolved and read at most once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._relative: dict[str, str] = {}
        self._lines: dict[str, list[str]] = {}

    def relative(self, filename: str) -> str:
        cached = self._relative.get(filename)
        if cached is None:
            cached = self._relative[filename] = self._relativise(filename)
        return cached

    def _relativise(self, filename: str) -> str:
        path = Path(filename)
        if not path.is_absolute():
            path = self.root / path
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            pass
        try:  # the tool may report the resolved path of a symlinked root
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(os.path.relpath(path, self.root)).as_posix()

    def line(self, filename: str, lineno: int) -> str:
        lines = self._lines.get(filename)
        if lines is None:
            path = self.root / self.relative(filename)
            try:
                lines = source_lines(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                lines = []
            self._lines[filename] = lines
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""


def parse_ruff_output(
    stdout: str, root: Path, syntax_errors: dict[str, int] | None = None
) -> list[Finding]:
    """Findings from `ruff check --output-format json`. Syntax errors are not findings:
    when `syntax_errors` is given, it receives each unparsable file's first error line."""
    if not stdout.strip():
        return []
    sources = _Sources(root)
    findings = []
    for record in json.loads(stdout):
        code = record.get("code")
        if not code or code == "invalid-syntax":
            if syntax_errors is not None:
                rel = sources.relative(record["filename"])
                syntax_errors.setdefault(rel, record["location"]["row"])
            continue
        meta = RUFF_S_RULES.get(code, DEFAULT_RULE)
        filename = record["filename"]
        location, end = record["location"], record.get("end_location") or {}
        text = sources.line(filename, location["row"])
        if meta.category == "hardcoded-secret" and end.get("row") == location["row"]:
            text = _redact_trailing_literal(text, location["column"] - 1, end["column"] - 1)
        findings.append(
            Finding(
                rule_id=code,
                tool="ruff",
                tools=["ruff"],
                category=meta.category,
                severity=meta.severity,
                confidence=meta.confidence,
                cwe=meta.cwe,
                file=sources.relative(filename),
                line=location["row"],
                column=location["column"],
                end_line=end.get("row"),
                message=record.get("message") or code,
                snippet=text.strip()[:200],
            )
        )
    return findings


def parse_bandit_output(stdout: str, root: Path) -> list[Finding]:
    """Findings from `bandit --format json`. Bandit's B-ids mirror ruff's S codes, which
    supplies the category; the CWE is bandit's own."""
    if not stdout.strip():
        return []
    sources = _Sources(root)
    findings = []
    for result in json.loads(stdout).get("results", []):
        test_id = result["test_id"]
        filename = result["filename"]
        line = result["line_number"]
        text = sources.line(filename, line)
        column = char_column(text, result.get("col_offset", 0))
        cwe = (result.get("issue_cwe") or {}).get("id") or None
        message = result.get("issue_text") or test_id
        category = (
            _BANDIT_ONLY_CATEGORIES.get(test_id)
            or RUFF_S_RULES.get(f"S{test_id[1:]}", DEFAULT_RULE).category
        )
        if category == "hardcoded-secret":
            text, message = _redact_bandit_password(text, message)
        line_range = result.get("line_range") or [line]
        findings.append(
            Finding(
                rule_id=test_id,
                tool="bandit",
                tools=["bandit"],
                category=category,
                severity=_BANDIT_SEVERITY.get(result.get("issue_severity", ""), "info"),
                confidence=_BANDIT_CONFIDENCE.get(result.get("issue_confidence", ""), "low"),
                cwe=cwe,
                file=sources.relative(filename),
                line=line,
                column=column,
                end_line=max(line_range),
                message=message,
                snippet=text.strip()[:200],
            )
        )
    return findings


def _redact_trailing_literal(line: str, start: int, end: int) -> str:
    """Reports must not carry the password: mask the literal ruff's range ends with."""
    match = _TRAILING_LITERAL.search(line[start:end])
    if match is None:
        return line
    return redact(line, start + match.start("value"), start + match.end("value"))


def _redact_bandit_password(line: str, message: str) -> tuple[str, str]:
    """Bandit quotes the password in its message; mask it there and in the snippet."""
    match = _BANDIT_QUOTED.search(message)
    if match is None or not match.group("value"):
        return line, message
    value = match.group("value")
    masked = redact(value, 0, len(value))
    return line.replace(value, masked), message[: match.start("value")] + masked + "'"
