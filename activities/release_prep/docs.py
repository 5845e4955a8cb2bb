"""The docs agent: README, a CHANGELOG entry for the version, docstrings, a changelog draft.

Judgement:

- blocker: no CHANGELOG, or no heading in it that names the version being released.
- warning: README missing or shorter than MIN_README_WORDS words; docstring coverage of
  the public API under MIN_DOCSTRING_PERCENT; the version unknown (entry not checked).

The drafted changelog section groups the commits since the last tag by conventional
commit type, so the release notes start from what actually changed.
"""

from __future__ import annotations

import ast
import itertools
import re
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from activities.release_prep.commits import Commit, parse_conventional
from activities.release_prep.project import module_files
from activities.sources import read_source
from workflows.schemas import AgentResult

MIN_README_WORDS = 40
MIN_DOCSTRING_PERCENT = 50.0
MAX_NAMES_IN_DATA = 20

_README_NAMES = ("readme.md", "readme.rst", "readme.txt", "readme")
_CHANGELOG_NAMES = ("changelog.md", "changelog.rst", "changelog.txt", "changelog")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
# Conventional-commit types per changelog section, in the order the draft lists them.
SECTIONS: dict[str, tuple[str, ...]] = {
    "Features": ("feat",),
    "Fixes": ("fix",),
    "Performance": ("perf",),
    "Documentation": ("docs",),
    "Refactoring": ("refactor",),
    "Tests": ("test", "tests"),
    "Build/CI": ("build", "ci"),
}


class DocstringCoverage(BaseModel):
    total: int = 0
    documented: int = 0
    percent: float | None = None
    undocumented: list[str] = Field(default_factory=list)
    unparsable: list[str] = Field(default_factory=list)


class DocsOutcome(BaseModel):
    version: str | None
    readme: str | None = None
    readme_words: int = 0
    changelog: str | None = None
    changelog_has_entry: bool | None = None
    docstrings: DocstringCoverage
    changelog_draft: str
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def _find(target: Path, names: tuple[str, ...]) -> Path | None:
    by_name = {p.name.lower(): p for p in target.iterdir() if p.is_file()}
    return next((by_name[n] for n in names if n in by_name), None)


def _headings(text: str) -> list[str]:
    """Markdown `#` headings and reStructuredText underlined titles."""
    lines = text.splitlines()
    found = [line for line in lines if line.lstrip().startswith("#")]
    found += [
        line
        for line, below in itertools.pairwise(lines)
        if line.strip() and _RST_UNDERLINE.match(below)
    ]
    return found


def has_changelog_entry(text: str, version: str) -> bool:
    """A heading names `version` exactly (`1.1.0` does not match `1.1.0rc1` or `11.1.0`)."""
    bare = re.escape(version.removeprefix("v"))
    exact = re.compile(rf"(?<![\w.])v?{bare}(?![\w.+-])")
    return any(exact.search(heading) for heading in _headings(text))


def _public_names(tree: ast.Module, module: str) -> list[tuple[str, bool]]:
    """(qualified name, has docstring) for the module, its public classes/functions/methods."""
    items = [(module, ast.get_docstring(tree) is not None)]
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if not isinstance(node, kinds) or node.name.startswith("_"):
            continue
        items.append((f"{module}.{node.name}", ast.get_docstring(node) is not None))
        if isinstance(node, ast.ClassDef):
            items += [
                (f"{module}.{node.name}.{child.name}", ast.get_docstring(child) is not None)
                for child in node.body
                if isinstance(child, kinds[:2]) and not child.name.startswith("_")
            ]
    return items


def _module_name(target: Path, path: Path) -> str:
    relative = path.relative_to(target)
    parts = relative.parts[1:] if relative.parts[0] == "src" else relative.parts
    dotted = [*parts[:-1], path.stem] if path.stem != "__init__" else list(parts[:-1])
    return ".".join(dotted)


def docstring_coverage(target: Path) -> DocstringCoverage:
    """Share of the public API (names not starting with `_`, tests excluded) with a docstring."""
    result = DocstringCoverage()
    for path in module_files(target):
        module = _module_name(target, path)
        if any(part.startswith("_") for part in module.split(".")):
            continue
        source, _ = read_source(path)
        try:
            if source is None:
                raise ValueError("not readable as source")
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, ValueError):
            result.unparsable.append(path.relative_to(target).as_posix())
            continue
        for name, documented in _public_names(tree, module):
            result.total += 1
            result.documented += documented
            if not documented:
                result.undocumented.append(name)
    if result.total:
        result.percent = round(100 * result.documented / result.total, 1)
    return result


def _entry(commit: Commit, description: str, scope: str | None) -> str:
    prefix = f"**{scope}:** " if scope else ""
    sha = f" ({commit.sha[:7]})" if commit.sha else ""
    return f"- {prefix}{description}{sha}"


def draft_changelog(version: str | None, commits: list[Commit]) -> str:
    """A Markdown changelog section from the commits, grouped by conventional-commit type."""
    section_of = {kind: title for title, kinds in SECTIONS.items() for kind in kinds}
    groups: dict[str, list[str]] = {"Breaking changes": [], **{t: [] for t in SECTIONS}}
    groups["Other"] = []
    for commit in reversed(commits):  # oldest first reads as a story
        if not commit.subject.strip() or commit.subject.startswith("Merge "):
            continue
        parsed = parse_conventional(commit)
        if parsed is None:
            groups["Other"].append(_entry(commit, commit.subject.strip(), None))
            continue
        title = "Breaking changes" if parsed.breaking else section_of.get(parsed.type, "Other")
        groups[title].append(_entry(commit, parsed.description, parsed.scope))
    lines = [f"## [{version or 'Unreleased'}] - {date.today().isoformat()}"]
    for title, entries in groups.items():
        if entries:
            lines += ["", f"### {title}", "", *entries]
    if len(lines) == 1:
        lines += ["", "No changes recorded since the last release."]
    return "\n".join(lines) + "\n"


def check_docs(target: Path, version: str | None, commits: list[Commit]) -> DocsOutcome:
    """Check README, CHANGELOG entry and docstrings; draft the changelog section."""
    outcome = DocsOutcome(
        version=version,
        docstrings=docstring_coverage(target),
        changelog_draft=draft_changelog(version, commits),
    )
    _check_readme(target, outcome)
    _check_changelog(target, outcome)
    percent = outcome.docstrings.percent
    if percent is not None and percent < MIN_DOCSTRING_PERCENT:
        outcome.warnings.append(
            f"docstring coverage of the public API is {percent:.1f}% "
            f"(under {MIN_DOCSTRING_PERCENT:.0f}%)"
        )
    if outcome.docstrings.unparsable:
        outcome.warnings.append(
            f"{len(outcome.docstrings.unparsable)} module(s) could not be parsed for docstrings"
        )
    return outcome


def _check_readme(target: Path, outcome: DocsOutcome) -> None:
    readme = _find(target, _README_NAMES)
    if readme is None:
        outcome.warnings.append("no README")
        return
    outcome.readme = readme.name
    outcome.readme_words = len(readme.read_text(encoding="utf-8", errors="replace").split())
    if outcome.readme_words < MIN_README_WORDS:
        outcome.warnings.append(
            f"{readme.name} has only {outcome.readme_words} words (fewer than {MIN_README_WORDS})"
        )


def _check_changelog(target: Path, outcome: DocsOutcome) -> None:
    changelog = _find(target, _CHANGELOG_NAMES)
    if changelog is None:
        outcome.blockers.append("no CHANGELOG (.md, .rst or .txt)")
        return
    outcome.changelog = changelog.name
    if outcome.version is None:
        outcome.warnings.append("version unknown: the CHANGELOG entry was not checked")
        return
    text = changelog.read_text(encoding="utf-8", errors="replace")
    outcome.changelog_has_entry = has_changelog_entry(text, outcome.version)
    if not outcome.changelog_has_entry:
        outcome.blockers.append(f"{changelog.name} has no entry for {outcome.version}")


def _changelog_summary(outcome: DocsOutcome) -> str:
    if outcome.changelog is None:
        return "CHANGELOG missing"
    if outcome.changelog_has_entry is None:
        return f"{outcome.changelog} entry not checked"
    verb = "has" if outcome.changelog_has_entry else "lacks"
    return f"{outcome.changelog} {verb} an entry for {outcome.version}"


def to_agent_result(outcome: DocsOutcome, role: str) -> AgentResult:
    """The draft itself stays in the report; `data` carries the counts and the top gaps."""
    cov = outcome.docstrings
    percent = "n/a" if cov.percent is None else f"{cov.percent:.1f}%"
    summary = (
        f"README {outcome.readme or 'missing'}; {_changelog_summary(outcome)}; docstrings {percent}"
    )
    return AgentResult(
        role=role,
        status="ok",
        summary=summary,
        blockers=outcome.blockers,
        warnings=outcome.warnings,
        data={
            "readme": outcome.readme,
            "readme_words": outcome.readme_words,
            "changelog": outcome.changelog,
            "changelog_has_entry": outcome.changelog_has_entry,
            "docstring_percent": cov.percent,
            "docstrings_documented": cov.documented,
            "docstrings_total": cov.total,
            "undocumented": cov.undocumented[:MAX_NAMES_IN_DATA],
        },
    )
