"""The docs agent: README and its packaging metadata, the changelog entry for the
version, docstrings, a changelog draft.

The changelog is found by activities.release_prep.changelog (CHANGELOG, CHANGES,
HISTORY, NEWS, RELEASE-NOTES in any case and extension, at the top or under docs/,
towncrier's output file). Docstrings are counted by interrogate, through
document-gen's measure.coverage_of, so both flows give one number. Judgement:

- blocker: a changelog with no heading for the version being released (unless
  towncrier fragments are waiting to become that entry: a warning); a `readme` in
  pyproject (or setup.cfg's `long_description = file:`) that names a missing file,
  or one whose content type cannot be told (the build would fail).
- warning: no changelog at all (a project that never kept one); README missing or
  shorter than MIN_README_WORDS words; a `content-type` that does not match the
  README's extension; docstring coverage under MIN_DOCSTRING_PERCENT; the version
  unknown (entry not checked).

The drafted changelog section groups the commits since the last tag by conventional
commit type, so the release notes start from what actually changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from activities.code_facts.typecheck import checkable
from activities.document_gen.measure import coverage_of, interrogate_settings
from activities.release_prep.changelog import entry_line, find_changelog, read_towncrier
from activities.release_prep.commits import Commit, parse_conventional
from activities.release_prep.evidence import Judged
from activities.release_prep.project import module_files, read_ini, read_pyproject
from workflows.schemas import AgentResult

MIN_README_WORDS = 40
MIN_DOCSTRING_PERCENT = 50.0
MAX_NAMES_IN_DATA = 20

_README_NAMES = ("readme.md", "readme.rst", "readme.txt", "readme")
_CONTENT_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".rst": "text/x-rst"}
_CONTENT_TYPES.update({".txt": "text/plain", "": "text/plain"})
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


class DocsOutcome(Judged):
    version: str | None
    readme: str | None = None
    readme_words: int = 0
    readme_declared: str | None = None
    readme_content_type: str | None = None
    changelog: str | None = None
    changelog_has_entry: bool | None = None
    changelog_line: int | None = None
    towncrier_fragments: list[str] = Field(default_factory=list)
    docstrings: DocstringCoverage
    changelog_draft: str


def _find(target: Path, names: tuple[str, ...]) -> Path | None:
    by_name = {p.name.lower(): p for p in target.iterdir() if p.is_file()}
    return next((by_name[n] for n in names if n in by_name), None)


def has_changelog_entry(text: str, version: str) -> bool:
    """A heading names `version` (PEP 440 equal: `1.1.0` is not `1.1.0rc1` nor `11.1.0`)."""
    return entry_line(text, version) is not None


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return True


def docstring_coverage(target: Path) -> DocstringCoverage:
    """interrogate's count over the shipped modules (tests and tooling excluded)."""
    files = [p.relative_to(target).as_posix() for p in module_files(target)]
    # interrogate reads every file as UTF-8: a module in another declared encoding
    # counts as unparsable for it rather than failing the whole count.
    readable = [f for f in checkable(target, files) if _is_utf8(target / f)]
    result = DocstringCoverage(unparsable=sorted(set(files) - set(readable)))
    for file in coverage_of(target, readable, interrogate_settings(target)):
        result.total += file.total
        result.documented += file.covered
        result.undocumented += [f"{file.file}:{m.line} {m.name}" for m in file.missing]
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
            f"docstring coverage (interrogate) is {percent:.1f}% "
            f"(under {MIN_DOCSTRING_PERCENT:.0f}%)"
        )
    if outcome.docstrings.unparsable:
        outcome.warnings.append(
            f"{len(outcome.docstrings.unparsable)} module(s) could not be parsed for docstrings"
        )
    return outcome


def _declared_readme(target: Path) -> tuple[str, str | None] | None:
    """(file, content type) of the README the package metadata names, if any."""
    readme = read_pyproject(target).get("project", {}).get("readme")
    if isinstance(readme, str):
        return readme, None
    if isinstance(readme, dict) and isinstance(readme.get("file"), str):
        return readme["file"], readme.get("content-type")
    parser = read_ini(target / "setup.cfg")
    value = parser.get("metadata", "long_description", fallback="").strip()
    if value.startswith("file:"):
        first = value.removeprefix("file:").split(",")[0].strip()
        kind = parser.get("metadata", "long_description_content_type", fallback="") or None
        return first, kind
    return None


def _check_readme(target: Path, outcome: DocsOutcome) -> None:
    declared = _declared_readme(target)
    if declared is not None:
        name, kind = declared
        outcome.readme_declared = name
        where = "pyproject.toml" if (target / "pyproject.toml").is_file() else "setup.cfg"
        suffix = Path(name).suffix.lower()
        expected = _CONTENT_TYPES.get(suffix)
        outcome.readme_content_type = kind or expected
        if not (target / name).is_file():
            outcome.block(
                f"the package metadata's readme {name!r} does not exist: the build would fail",
                file=where,
            )
        elif kind is None and expected is None:
            outcome.block(
                f"the readme {name!r} has no content-type and its extension says none: "
                "the build would fail",
                file=where,
            )
        elif kind is not None and expected is not None and kind.split(";")[0] != expected:
            outcome.warnings.append(
                f"readme {name} is declared as {kind} but its extension says {expected}: "
                "PyPI would render it wrongly"
            )
    readme = target / declared[0] if declared and (target / declared[0]).is_file() else None
    readme = readme or _find(target, _README_NAMES)
    if readme is None:
        outcome.warnings.append("no README")
        return
    outcome.readme = readme.relative_to(target).as_posix()
    outcome.readme_words = len(readme.read_text(encoding="utf-8", errors="replace").split())
    if outcome.readme_words < MIN_README_WORDS:
        outcome.warnings.append(
            f"{outcome.readme} has only {outcome.readme_words} words "
            f"(fewer than {MIN_README_WORDS})"
        )


def _check_changelog(target: Path, outcome: DocsOutcome) -> None:
    towncrier = read_towncrier(target)
    outcome.towncrier_fragments = towncrier.fragments if towncrier else []
    changelog = find_changelog(target)
    if changelog is None:
        if outcome.towncrier_fragments:
            outcome.warnings.append(
                f"no changelog yet: {len(outcome.towncrier_fragments)} towncrier fragment(s) "
                "will make it (towncrier build)"
            )
        else:
            outcome.warnings.append("no changelog (CHANGELOG, CHANGES, HISTORY, NEWS...)")
        return
    outcome.changelog = changelog.relative_to(target).as_posix()
    if outcome.version is None:
        outcome.warnings.append("version unknown: the changelog entry was not checked")
        return
    text = changelog.read_text(encoding="utf-8", errors="replace")
    outcome.changelog_line = entry_line(text, outcome.version)
    outcome.changelog_has_entry = outcome.changelog_line is not None
    if outcome.changelog_has_entry:
        return
    if outcome.towncrier_fragments:
        outcome.warnings.append(
            f"{outcome.changelog} has no entry for {outcome.version} yet: "
            f"{len(outcome.towncrier_fragments)} towncrier fragment(s) will make it "
            f"(towncrier build --version {outcome.version})"
        )
        return
    outcome.block(
        f"{outcome.changelog} has no entry for {outcome.version}", file=outcome.changelog, line=1
    )


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
            "changelog_line": outcome.changelog_line,
            "towncrier_fragments": len(outcome.towncrier_fragments),
            "readme_declared": outcome.readme_declared,
            "readme_content_type": outcome.readme_content_type,
            "blocker_details": outcome.details_data(),
            "docstring_percent": cov.percent,
            "docstrings_documented": cov.documented,
            "docstrings_total": cov.total,
            "undocumented": cov.undocumented[:MAX_NAMES_IN_DATA],
        },
    )
