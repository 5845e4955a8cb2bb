"""Hard-coded credentials: known token formats plus secret-named literals.

Runs on every file, so the cost is one case-insensitive regex pass over the whole text to
find candidate lines (C speed, literal alternatives only); the precise per-format and
assignment regexes then run only on those few lines. Reported snippets are redacted: a
report (or the LLM triage step) must not become a second copy of the leaked secret.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from activities.security_audit.scanners.ast_rules import TOOL
from workflows.schemas import Confidence, Finding, Severity


@dataclass(frozen=True, slots=True)
class SecretRule:
    id: str
    title: str
    cwe: int
    severity: Severity
    confidence: Confidence


CATEGORY = "hardcoded-secret"

RULES: dict[str, SecretRule] = {
    r.id: r
    for r in (
        SecretRule("ATN201", "AWS access key ID", 798, "high", "high"),
        SecretRule("ATN202", "AWS secret access key", 798, "critical", "high"),
        SecretRule("ATN203", "GitHub token", 798, "critical", "high"),
        SecretRule("ATN204", "Slack token", 798, "high", "high"),
        SecretRule("ATN205", "Stripe live key", 798, "critical", "high"),
        SecretRule("ATN206", "Google API key", 798, "high", "high"),
        SecretRule("ATN207", "Anthropic API key", 798, "critical", "high"),
        SecretRule("ATN208", "OpenAI API key", 798, "critical", "high"),
        SecretRule("ATN209", "Private key", 798, "critical", "high"),
        SecretRule("ATN210", "JSON Web Token", 798, "medium", "medium"),
        SecretRule("ATN211", "Password literal", 259, "high", "medium"),
        SecretRule("ATN212", "High-entropy secret literal", 798, "high", "medium"),
    )
}

# Cheap prefilter: a line is looked at only if it contains one of these. str.find runs at
# memory speed while an alternation regex over the whole text is ~50x slower, so the list is
# kept short: "IA" covers AKIA/ASIA/ABIA and "gh" the five gh?_ GitHub prefixes.
_FORMAT_TRIGGERS = ("IA", "ACCA", "AIza", "eyJ", "gh", "github_pat_", "xox", "_live_", "sk-")
# Searched in the lower-cased text; "pass" and "key" cover passwd/passphrase, api_key,
# access_key, private_key, the AWS secret key names and "-----BEGIN ... PRIVATE KEY-----".
_NAME_TRIGGERS = ("pass", "pwd", "key", "secret", "token", "auth", "credential")

_KNOWN = re.compile(
    r"(?P<ATN201>\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b)"
    r"|(?P<ATN203>\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b)"
    r"|(?P<ATN204>\bxox[baprs]-[A-Za-z0-9-]{10,250})"
    r"|(?P<ATN205>\b[sr]k_live_[A-Za-z0-9]{20,247}\b)"
    r"|(?P<ATN206>\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-]))"
    r"|(?P<ATN207>\bsk-ant-[A-Za-z0-9_-]{20,})"
    r"|(?P<ATN208>\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"
    r"|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b)"
    r"|(?P<ATN209>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"
    r"|(?P<ATN210>\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)"
)
_AWS_SECRET = re.compile(
    r"aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[rRbBuU]?[\"']([A-Za-z0-9/+]{40})[\"']",
    re.IGNORECASE,
)

# `name = "v"`, `name: str = "v"`, `f(name="v")`, `{"name": "v"}`. Possessive quantifiers and
# the word-start lookbehind keep this linear: no backtracking inside identifiers.
_ASSIGNMENT = re.compile(
    r"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]*+)[\"']?\s*+(?P<annotation>:\s*+[\w\[\]., |]*+)?"
    r"(?<![=!<>])[:=](?!=)"
    r"\s*+"
    r"[rRbBuU]{0,2}(?P<quote>[\"'])(?P<value>[^\"'\n]*+)(?P=quote)"
)
_PASSWORD_NAME = re.compile(r"(?:passw(?:or)?d|pwd|passphrase)\d*$", re.IGNORECASE)
_SECRET_NAME = re.compile(
    r"passw|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|auth|private[_-]?key"
    r"|credential",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"^(?:bearer|basic|token|digest)\s+", re.IGNORECASE)
_DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
# Two words side by side cannot be a type annotation: `WWW-Authenticate: Digest nonce="..."`
# is a header line whose value is a nonce, not `name: type = "secret"`.
_NOT_AN_ANNOTATION = re.compile(r"\w\s+\w")
# Stored password hashes (`pbkdf2_sha256$...`, `md5$...`, `$2b$12$...`) are not passwords.
_PASSWORD_HASH = re.compile(r"^(?:[a-z0-9_]+\$|\$\w{1,2}\$)")

_PLACEHOLDER_MARKERS = (
    "changeme", "change_me", "change-me", "xxx", "example", "dummy", "test", "sample",
    "placeholder", "your_", "your-", "yourpass", "fake", "mock", "redacted", "todo", "fixme",
    "password", "passwd", "secret", "<", ">", "${", "{", "}", "%s", "%(", "***", "...",
)  # fmt: skip
_NON_SECRET_WORDS = frozenset(
    {"password", "passwd", "secret", "token", "none", "null", "true", "false", "default"}
)
_MIN_PASSWORD = 6
_MIN_ENTROPY_LENGTH = 16
_MIN_ENTROPY = 3.5


def shannon_entropy(value: str) -> float:
    """Bits per character; random keys score ~4-6, words and identifiers ~2-3.5."""
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    if not value.strip() or lowered in _NON_SECRET_WORDS or len(set(value)) < 3:
        return True
    return any(marker in lowered for marker in _PLACEHOLDER_MARKERS)


def _generic_rule(name: str, value: str) -> str | None:
    """ATN211/ATN212 for a literal assigned to `name`, or None if it does not look real."""
    if not _SECRET_NAME.search(name):
        return None
    value = _AUTH_SCHEME.sub("", value)
    if (
        any(c.isspace() for c in value)
        or _is_placeholder(value)
        or _DOTTED_PATH.match(value)
        or value.startswith(("/", "http://", "https://"))
    ):
        return None
    if _PASSWORD_NAME.search(name.rpartition(".")[2]):
        if len(value) >= _MIN_PASSWORD and not _PASSWORD_HASH.match(value):
            return "ATN211"
        return None
    if (
        len(value) >= _MIN_ENTROPY_LENGTH
        and _mixes_character_classes(value)
        and shannon_entropy(value) >= _MIN_ENTROPY
    ):
        return "ATN212"
    return None


def _mixes_character_classes(value: str) -> bool:
    """Generated keys mix digits and letters or both cases; identifiers, file names and
    prefixes like "django-insecure-" (high entropy, one class) do not."""
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )
    return classes >= 2


def redact(line: str, start: int, end: int) -> str:
    """Mask line[start:end], keeping up to 4 leading characters to tell secrets apart."""
    keep = min(4, (end - start) // 4)
    return f"{line[: start + keep]}{'*' * 8}{line[end:]}"


def _scan_line(line: str, formats: bool, names: bool) -> list[tuple[str, int, int]]:
    """(rule id, start, end) of every secret on one line; a known format wins over a
    generic match on the same text."""
    hits: list[tuple[str, int, int]] = []
    if formats:
        for match in _KNOWN.finditer(line):
            if not _is_placeholder(match.group()):
                hits.append((match.lastgroup or "", match.start(), match.end()))
    if names and ('"' in line or "'" in line):
        if "aws" in line.lower():
            for match in _AWS_SECRET.finditer(line):
                if not _is_placeholder(match.group(1)):
                    hits.append(("ATN202", match.start(1), match.end(1)))
        for match in _ASSIGNMENT.finditer(line):
            start, end = match.span("value")
            if any(s < end and start < e for _, s, e in hits):
                continue
            annotation = match.group("annotation")
            if annotation and _NOT_AN_ANNOTATION.search(annotation):
                continue
            rule_id = _generic_rule(match.group("name"), match.group("value"))
            if rule_id:
                hits.append((rule_id, start, end))
    return hits


def _line_starts(text: str, triggers: tuple[str, ...]) -> set[int]:
    """Offsets of the lines containing any trigger (one find per line per trigger)."""
    starts: set[int] = set()
    for trigger in triggers:
        index = text.find(trigger)
        while index != -1:
            starts.add(text.rfind("\n", 0, index) + 1)
            index = text.find("\n", index)
            if index == -1:
                break
            index = text.find(trigger, index)
    return starts


def _finding(path: str, lineno: int, line: str, rule_id: str, start: int, end: int) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        rule_id=rule_id,
        tool=TOOL,
        tools=[TOOL],
        category=CATEGORY,
        severity=rule.severity,
        confidence=rule.confidence,
        cwe=rule.cwe,
        file=path,
        line=lineno,
        column=start + 1,
        end_line=lineno,
        message=f"{rule.title} hard-coded in source; move it to a secret store or environment "
        "variable and rotate it.",
        snippet=redact(line, start, end).strip()[:200],
    )


def find_secrets(source: str, path: str) -> list[Finding]:
    """Hard-coded secrets in one file's text (any language; line numbers match ast's)."""
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    lowered = source.lower()
    if len(lowered) != len(source):  # a few non-ASCII characters lower-case to two
        lowered = source.encode("ascii", "replace").decode("ascii").lower()
    format_lines = _line_starts(source, _FORMAT_TRIGGERS)
    name_lines = _line_starts(lowered, _NAME_TRIGGERS)
    findings: list[Finding] = []
    lineno, counted_to = 1, 0
    for start in sorted(format_lines | name_lines):
        end = source.find("\n", start)
        line = source[start:] if end == -1 else source[start:end]
        lineno += source.count("\n", counted_to, start)
        counted_to = start
        formats = start in format_lines or "PRIVATE KEY" in line  # found via "key"
        hits = _scan_line(line, formats, start in name_lines)
        for rule_id, hit_start, hit_end in hits:
            findings.append(_finding(path, lineno, line, rule_id, hit_start, hit_end))
    return findings
