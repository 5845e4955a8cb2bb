"""The drafts as one patch: every drafted docstring rendered in the project's style,
inserted with libcst, diffed per file; then the patched files are checked with pydoclint
in a scratch copy, so the report says how many drafted definitions it still flags
(the goal, and what the tests hold it to, is none)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from activities.document_gen.docstrings import DraftTarget, Style, Texts, definitions, render
from activities.document_gen.insert import insert_docstrings, unified_diff
from activities.document_gen.measure import Violation, engines_on
from activities.sources import read_source
from workflows.schemas import ReportWarning


class FileDrafts(BaseModel):
    file: str
    drafted: int
    added: int = Field(description="Lines the docstrings add")


class DraftsOutcome(BaseModel):
    patch: str
    files: list[FileDrafts] = Field(default_factory=list)
    drafted: int = 0
    written_by_llm: int = 0
    violations: list[Violation] = Field(
        default_factory=list, description="pydoclint's violations on drafted definitions"
    )
    warnings: list[ReportWarning] = Field(default_factory=list)


def _checked_lines(source: str, keys: set[tuple[str, int]]) -> set[int]:
    """Lines where pydoclint reports on the drafted definitions: their `def`/`class`
    lines, and a drafted class's `__init__` (whose arguments its docstring documents)."""
    lines: set[int] = set()
    for node, qualname, occurrence, _ in definitions(ast.parse(source)):
        owner = qualname.removesuffix(".__init__")
        if (qualname, occurrence) in keys or (owner != qualname and (owner, 0) in keys):
            lines.add(node.lineno)
    return lines


def build_drafts(
    root: Path,
    drafts: list[DraftTarget],
    style: Style,
    typed: bool,
    texts: dict[str, Texts],
    verify: bool = True,
) -> DraftsOutcome:
    """The patch of every draft (with `texts` where someone wrote them) and its check."""
    by_file: dict[str, list[DraftTarget]] = defaultdict(list)
    for draft in drafts:
        by_file[draft.file].append(draft)
    outcome = DraftsOutcome(patch="")
    patched: dict[str, tuple[str, set[tuple[str, int]]]] = {}
    diffs = []
    for file in sorted(by_file):
        if "\n" in file or "\t" in file:
            reason = "its name cannot be written in a patch header"
            outcome.warnings.append(ReportWarning(code="draft-skipped", message=reason, file=file))
            continue
        source, reason = read_source(root / file)
        if source is None:
            outcome.warnings.append(
                ReportWarning(code="draft-skipped", message=reason or "unreadable", file=file)
            )
            continue
        docstrings = {
            (d.qualname, d.occurrence): render(d, style, typed, texts.get(d.key))
            for d in by_file[file]
        }
        try:
            after, inserted = insert_docstrings(source, docstrings)
        except Exception as err:  # libcst's ParserSyntaxError on code ast accepted
            outcome.warnings.append(
                ReportWarning(code="draft-skipped", message=f"libcst: {err}", file=file)
            )
            continue
        if after == source:
            continue
        diff = unified_diff(file, source, after)
        diffs.append(diff)
        added = sum(
            1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
        )
        outcome.files.append(FileDrafts(file=file, drafted=inserted, added=added))
        outcome.drafted += inserted
        outcome.written_by_llm += sum(1 for d in by_file[file] if d.key in texts)
        patched[file] = (after, set(docstrings))
    outcome.patch = "".join(diffs)
    if verify and patched:
        outcome.violations, warning = verify_drafts(patched, style, typed)
        if warning is not None:
            outcome.warnings.append(warning)
    return outcome


def verify_drafts(
    patched: dict[str, tuple[str, set[tuple[str, int]]]], style: Style, typed: bool
) -> tuple[list[Violation], ReportWarning | None]:
    """pydoclint on copies of the patched files, kept to the drafted definitions."""
    texts = {file: text for file, (text, _) in patched.items()}
    _, found, warning = engines_on(texts, style, typed, {})
    if warning is not None:
        warning.message = f"checking drafts: {warning.message}"
    lines = {file: _checked_lines(text, keys) for file, (text, keys) in patched.items()}
    return [v for v in found if v.line in lines.get(v.file, set())], warning
