"""Reviewing one chunk of files: metrics and ruff (cached per content), findings by review
category with ruff's fixes as diffs, and on a diff the change in complexity. Run in the
worker's process pool.

On a diff, the reviewed text is the head commit's (`git show head:path`, written to a
scratch directory for ruff), not the working tree, so findings and changed lines agree;
the base version is measured the same way for the complexity delta. Only findings on
changed lines are kept.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import BaseModel

from activities.code_facts.deadcode import dead_code
from activities.code_facts.duplication import clone_classes, clones_in
from activities.code_facts.facts import file_facts
from activities.code_facts.history import NoHistory, _git
from activities.code_facts.kinds import is_test
from activities.code_facts.lint import Lint
from activities.code_facts.metrics import function_metrics
from activities.code_review.rules import MAINTAINABILITY, RULES
from activities.security_audit.scanners.merge import merge_findings
from workflows.code_facts import ChangeSet, DeadCode, FunctionMetrics
from workflows.code_review.models import FileDelta, FunctionDelta
from workflows.schemas import Finding, SkippedFile

COMPLEX = 10
"""An existing function at or over this complexity that a change made more complex is a
finding (ATNR001)."""
DEAD_CODE_CONFIDENCE = {"default": 80, "strict": 60}
DEAD_CODE_LEFT_OUT = {"default": ("import", "variable"), "strict": ("import",)}


class ChunkResult(BaseModel):
    findings: list[Finding]
    deltas: list[FileDelta]
    skipped: list[SkippedFile]
    files_analyzed: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


def lint_finding(lint: Lint) -> Finding:
    """A review finding from ruff, its fix both in words and as a diff."""
    meta = RULES.rate(lint.code)
    fix = lint.fix_message or ""
    if lint.fix_diff and lint.fix_applicability == "unsafe":
        fix += " (ruff marks this fix unsafe: check the diff)"
    if lint.url:
        fix = f"{fix} ({lint.url})" if fix else lint.url
    return Finding(
        rule_id=lint.code,
        tool="ruff",
        tools=["ruff"],
        category=meta.category,
        severity=meta.severity,
        confidence=meta.confidence,
        file=lint.file,
        line=lint.line,
        column=lint.column,
        end_line=lint.end_line,
        message=f"{lint.message}. Fix: {fix}" if fix else lint.message,
        snippet=lint.snippet,
        fix_diff=lint.fix_diff,
    )


def git_source(directory: Path, sha: str, rel: str) -> str | None:
    """The text of `rel` (relative to `directory`) at commit `sha`; None if it is absent."""
    try:
        return _git(directory, "show", f"{sha}:./{rel}")
    except NoHistory:
        return None


def complexity_delta(
    rel: str, status: str, base_source: str | None, head: list[FunctionMetrics]
) -> FileDelta:
    """Per function (matched by lizard's qualified name), the complexity before and after."""
    base = function_metrics(base_source, rel) if base_source is not None else None
    before = {f.name: f for f in base or []}
    after = {f.name: f for f in head}
    functions = [
        FunctionDelta(
            name=name,
            line=after[name].line if name in after else 0,
            base=before[name].complexity if name in before else None,
            head=after[name].complexity if name in after else None,
        )
        for name in sorted(set(before) | set(after))
        if name not in before
        or name not in after
        or before[name].complexity != after[name].complexity
    ]
    functions.sort(key=lambda f: (-abs(f.change), f.name))
    return FileDelta(
        file=rel,
        status=status,
        base=sum(f.complexity for f in base) if base is not None else None,
        head=sum(f.complexity for f in head),
        functions=functions,
    )


def rising_complexity(delta: FileDelta, source_lines: list[str]) -> list[Finding]:
    """A change that makes an already complex function more complex: worth a comment,
    even when the def line itself did not change. (A new function's complexity is C901's,
    on its def line, which the change always touches.)"""
    findings = []
    for fn in delta.functions:
        if fn.head is None or fn.base is None or fn.head < COMPLEX or fn.change <= 0:
            continue
        findings.append(
            Finding(
                rule_id="ATNR001",
                tool="attune",
                tools=["attune"],
                category=MAINTAINABILITY,
                severity="low",
                confidence="high",
                file=delta.file,
                line=fn.line,
                message=f"this change raises the cyclomatic complexity of {fn.name} from "
                f"{fn.base} to {fn.head}. Fix: move the new branches into helper functions",
                snippet=source_lines[fn.line - 1].strip()[:200]
                if 0 < fn.line <= len(source_lines)
                else "",
            )
        )
    return findings


def on_changed_lines(findings: list[Finding], changes: ChangeSet) -> list[Finding]:
    lines = {c.file: set(c.lines) for c in changes.files}
    return [f for f in findings if f.line in lines.get(f.file, ()) or f.rule_id == "ATNR001"]


def review_chunk(
    root: str,
    files: list[str],
    profile: str = "default",
    changes: ChangeSet | None = None,
    cache_file: str | None = None,
) -> ChunkResult:
    """Findings, complexity deltas and skips of `files` under `root`."""
    directory = Path(root)
    cache = Path(cache_file) if cache_file else None
    if changes is None:
        facts = file_facts(directory, files, RULES, profile, cache)
        return ChunkResult(
            findings=merge_findings([lint_finding(i) for f in facts.facts for i in f.lint]),
            deltas=[],
            skipped=facts.skipped,
            files_analyzed=len(facts.facts),
            cache_hits=facts.hits,
            cache_misses=facts.misses,
        )
    status = {c.file: c.status for c in changes.files}
    skipped: list[SkippedFile] = []
    with tempfile.TemporaryDirectory(prefix="attune-review-") as scratch:
        present = []
        for rel in files:
            text = git_source(directory, changes.head, rel)
            if text is None:
                skipped.append(SkippedFile(path=rel, reason="not in the reviewed revision"))
                continue
            (Path(scratch) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(scratch) / rel).write_text(text, encoding="utf-8")
            present.append(rel)
        facts = file_facts(Path(scratch), present, RULES, profile, cache)
        heads = {f.file: (Path(scratch) / f.file).read_text().splitlines() for f in facts.facts}
    findings: list[Finding] = []
    deltas = []
    for fact in facts.facts:
        base = git_source(directory, changes.base, fact.file) if status[fact.file] != "A" else None
        delta = complexity_delta(fact.file, status[fact.file], base, fact.functions)
        deltas.append(delta)
        findings += [lint_finding(i) for i in fact.lint]
        findings += rising_complexity(delta, heads[fact.file])
    return ChunkResult(
        findings=merge_findings(on_changed_lines(findings, changes)),
        deltas=deltas,
        skipped=skipped + facts.skipped,
        files_analyzed=len(facts.facts),
        cache_hits=facts.hits,
        cache_misses=facts.misses,
    )


def _dead_finding(item: DeadCode) -> Finding:
    confidence = "high" if item.confidence >= 100 else "medium" if item.confidence >= 80 else "low"
    return Finding(
        rule_id=f"dead-{item.kind.replace(' ', '-')}",
        tool="vulture",
        tools=["vulture"],
        category=MAINTAINABILITY,
        severity="low",
        confidence=confidence,
        file=item.file,
        line=item.line,
        end_line=item.end_line,
        message=f"{item.message} ({item.confidence}% confidence). Fix: delete it, or use it "
        "where it was meant to be used",
    )


def dead_code_findings(root: Path, files: list[str], profile: str = "default") -> list[Finding]:
    """vulture over the whole file set. Unused imports are left to ruff's F401, which
    comes with its fix; unused variables too (F841) outside strict, since vulture's also
    include arguments a signature must keep (pytest fixtures, callbacks, overrides)."""
    found = dead_code(root, files, DEAD_CODE_CONFIDENCE.get(profile, 80))
    left_out = DEAD_CODE_LEFT_OUT.get(profile, DEAD_CODE_LEFT_OUT["default"])
    return [_dead_finding(item) for item in found if item.kind not in left_out]


def duplication_findings(root: Path, files: list[str], profile: str = "default") -> list[Finding]:
    """ATNR002 on every copy of a block duplicated across the file set (the shared
    clone detector of code_facts.duplication): on a diff, the copy a change adds. Blocks
    repeated only among tests are left to strict: explicit test setup is often chosen."""
    findings = []
    for clone in clone_classes(clones_in(root, files)):
        if profile != "strict" and all(is_test(side.file) for side in clone.sides):
            continue
        for side in clone.sides:
            others = [s for s in clone.sides if s is not side]
            where = ", ".join(f"{s.file}:{s.line}-{s.end_line}" for s in others[:3])
            if len(others) > 3:
                where += f" and {len(others) - 3} more"
            findings.append(
                Finding(
                    rule_id="ATNR002",
                    tool="attune",
                    tools=["attune"],
                    category=MAINTAINABILITY,
                    severity="low",
                    confidence="medium",
                    file=side.file,
                    line=side.line,
                    end_line=side.end_line,
                    message=f"{side.lines} lines duplicate {where} ({clone.tokens} tokens "
                    "alike, names and literals aside). Fix: extract the shared logic into "
                    "one function both call",
                )
            )
    return findings
