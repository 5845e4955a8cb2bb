"""ruff as a shared code fact: run it on explicit files with a flow's rule selection and
return each finding with ruff's own fix as a unified diff.

Every flow picks its rules in a `RuleSet` (what the default profile selects, what
`profile=strict` turns on, and each rule's severity, confidence and category), so one
runner serves performance-audit, code-review and the flows after them. ruff runs
`--isolated`: the target's configuration cannot switch rules off or change thresholds.

The diff of a fix is built from the JSON `fix.edits` (1-based row and column, end
exclusive) applied to the file's text, then `difflib.unified_diff`: the same change
`ruff check --diff` would print, one finding at a time, without a second ruff run.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel
from ruff import find_ruff_bin

from activities.security_audit.scanners.ruff_rules import _Sources
from workflows.schemas import Confidence, Severity


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """How a flow rates a ruff rule; `tag` is a flow's own label (performance: impact)."""

    severity: Severity
    confidence: Confidence
    category: str
    tag: str = ""


@dataclass(frozen=True)
class RuleSet:
    """A flow's ruff selection for both profiles and its rule table.

    `select`/`ignore` are ruff selectors (codes or prefixes) of the default profile;
    `strict` the families `profile=strict` selects whole, with preview rules. `meta` is
    looked up by the longest matching code prefix; `fallback` rates anything else.
    `settings` are `--config` overrides (thresholds) of the default profile; strict
    keeps ruff's own, stricter, defaults.
    """

    SYNTAX = "invalid-syntax"

    select: tuple[str, ...]
    strict: tuple[str, ...]
    meta: Mapping[str, RuleMeta]
    fallback: RuleMeta
    ignore: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    target_version: str | None = None
    syntax_errors: bool = False
    """Report a file that does not parse (its first syntax error, code `invalid-syntax`)."""

    def rate(self, code: str) -> RuleMeta:
        for end in range(len(code), 0, -1):
            if (found := self.meta.get(code[:end])) is not None:
                return found
        return self.fallback

    def fingerprint(self, profile: str) -> str:
        """Names what a cached lint result depends on besides the file and ruff."""
        return json.dumps(self.command_options(profile))

    def command_options(self, profile: str) -> list[str]:
        if profile == "strict":
            options = ["--select", ",".join(self.strict), "--preview"]
        else:
            options = ["--select", ",".join(self.select)]
            if self.ignore:
                options += ["--ignore", ",".join(self.ignore)]
            for setting in self.settings:
                options += ["--config", setting]
        if self.target_version:
            options += ["--target-version", self.target_version]
        return options


class Lint(BaseModel):
    """One ruff finding, as ruff reported it, with its fix as a unified diff."""

    code: str
    name: str = ""
    file: str
    line: int
    column: int
    end_line: int | None = None
    message: str
    snippet: str = ""
    url: str | None = None
    fix_message: str | None = None
    fix_applicability: str | None = None
    fix_diff: str | None = None


@dataclass
class _Texts:
    """File texts read once each, for fix diffs."""

    root: Path
    texts: dict[str, str | None] = field(default_factory=dict)

    def get(self, rel: str) -> str | None:
        if rel not in self.texts:
            try:
                self.texts[rel] = (self.root / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.texts[rel] = None
        return self.texts[rel]


def ruff_command(paths: list[str], rules: RuleSet, profile: str = "default") -> list[str]:
    """argv for ruff with `rules` on exactly `paths`, blind to the target's config."""
    return [
        find_ruff_bin(),
        "check",
        "--isolated",
        *rules.command_options(profile),
        "--output-format",
        "json",
        "--no-cache",
        "--exit-zero",
        "--quiet",
        *paths,
    ]


def run_lint(root: Path, files: list[str], rules: RuleSet, profile: str = "default") -> list[Lint]:
    """ruff's findings for `files` (relative to `root`), sorted by place."""
    if not files:
        return []
    done = subprocess.run(
        ruff_command([str(root / f) for f in files], rules, profile),
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )
    return parse_lint(done.stdout, root, rules.syntax_errors)


def parse_lint(stdout: str, root: Path, syntax_errors: bool = False) -> list[Lint]:
    """Lint from `ruff check --output-format json`; a syntax error (the first of a file)
    only with `syntax_errors`."""
    if not stdout.strip():
        return []
    sources = _Sources(root)
    texts = _Texts(root)
    found = []
    unparsable: set[str] = set()
    for record in json.loads(stdout):
        code = record.get("code")
        filename = record["filename"]
        if code == RuleSet.SYNTAX and syntax_errors and filename not in unparsable:
            unparsable.add(filename)
        elif not code or code == RuleSet.SYNTAX:
            continue
        rel = sources.relative(filename)
        location, end = record["location"], record.get("end_location") or {}
        fix = record.get("fix") or {}
        text = texts.get(rel) if fix.get("edits") else None
        found.append(
            Lint(
                code=code,
                name=record.get("name") or "",
                file=rel,
                line=location["row"],
                column=location["column"],
                end_line=end.get("row"),
                message=(record.get("message") or code).rstrip("."),
                snippet=sources.line(filename, location["row"]).strip()[:200],
                url=record.get("url"),
                fix_message=fix.get("message"),
                fix_applicability=fix.get("applicability"),
                fix_diff=fix_diff(text, fix["edits"], rel) if text is not None else None,
            )
        )
    found.sort(key=lambda item: (item.file, item.line, item.column, item.code))
    return found


def _offsets(text: str) -> list[int]:
    """Offset of each line's first character; row r (1-based) starts at [r - 1]."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def apply_edits(text: str, edits: list[dict]) -> str:
    """`text` with ruff's edits applied (rows and columns 1-based, ends exclusive)."""
    starts = _offsets(text)

    def offset(point: dict) -> int:
        row = min(point["row"], len(starts))
        return min(starts[row - 1] + point["column"] - 1, len(text))

    spans = sorted(
        ((offset(e["location"]), offset(e["end_location"]), e.get("content") or "") for e in edits),
        reverse=True,
    )
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text


def fix_diff(text: str, edits: list[dict], rel: str) -> str | None:
    """ruff's fix of one finding as a unified diff of `rel`; None if it changes nothing."""
    fixed = apply_edits(text, edits)
    if fixed == text:
        return None
    lines = difflib.unified_diff(
        text.splitlines(keepends=True),
        fixed.splitlines(keepends=True),
        fromfile=f"a/{rel}",
        tofile=f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
