"""Finding a project's changelog and reading versions from it, the way projects keep them.

Projects call it CHANGELOG, CHANGES, HISTORY, NEWS or RELEASE-NOTES (any case, any
extension), at the top of the repository or under `docs/`; more-itertools keeps
`docs/versions.rst`. towncrier projects keep one fragment a change until release time
(`changelog.d/123.feature.md`) and build the changelog from them. The version agent and
the docs agent both read changelogs through this module, so they agree on what an
entry for a version is: a heading (Markdown `#`, an underlined reStructuredText title,
or a short line that starts with the version) naming a version equal to it under
PEP 440 (`1.1` equals `1.1.0`; `1.1.0rc1` and `11.1.0` do not).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

_NAMES = (
    "changelog",
    "change-log",
    "change_log",
    "changes",
    "history",
    "news",
    "release-notes",
    "release_notes",
    "releasenotes",
    "releases",
    "versions",
)
_EXTENSIONS = ("", ".md", ".rst", ".txt", ".markdown", ".adoc", ".org")
_DIRS = ("", "docs", "doc")
_RST_UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
_VERSION_TOKEN = re.compile(
    r"(?<![\w.+-])v?(\d+(?:\.\d+)+(?:[-.]?(?:a|b|c|rc|alpha|beta|pre|preview|dev|post)[-.]?\d*)*)"
    r"(?![\w.+-]*\w)",
    re.IGNORECASE,
)
# A plain line that opens an entry: "1.2.0 (2024-01-01)", "Version 1.2.0", "pkg 1.2.0".
_PLAIN_ENTRY = re.compile(
    r"^(?:(?:version|release)\s+|[\w.-]+\s+)?v?\d+\.\d+[\w.+-]*(?:\s*[-:(,\u2013\u2014].{0,60})?$",
    re.IGNORECASE,
)
TOWNCRIER_TYPES = ("feature", "bugfix", "doc", "removal", "misc", "breaking", "deprecation")
BREAKING_TYPES = frozenset({"breaking", "breaking-change", "breaking_change", "backward-incompat"})


@dataclass(frozen=True)
class Heading:
    line: int
    text: str


@dataclass
class Towncrier:
    """A project's towncrier setup and the fragments waiting for the next release."""

    config: str
    changelog: str
    directory: str
    fragments: list[str] = field(default_factory=list)
    types: dict[str, int] = field(default_factory=dict)

    @property
    def breaking(self) -> list[str]:
        return [f for f in self.fragments if _fragment_type(f) in BREAKING_TYPES]


def find_changelog(target: Path) -> Path | None:
    """The changelog: towncrier's output file when configured, else the first common name
    at the top, then under docs/ or doc/."""
    towncrier = read_towncrier(target)
    if towncrier is not None and (target / towncrier.changelog).is_file():
        return target / towncrier.changelog
    for folder in _DIRS:
        base = target / folder
        if not base.is_dir():
            continue
        by_name = {p.name.lower(): p for p in base.iterdir() if p.is_file()}
        for name, ext in itertools.product(_NAMES, _EXTENSIONS):
            if f"{name}{ext}" in by_name:
                return by_name[f"{name}{ext}"]
    return None


def headings(text: str) -> list[Heading]:
    """Entry headings in file order: Markdown `#`, underlined reST titles, and short plain
    lines that start with a version (plain-text NEWS files)."""
    lines = text.splitlines()
    found: list[Heading] = []
    for number, (line, below) in enumerate(itertools.pairwise([*lines, ""]), start=1):
        stripped = line.strip()
        if not stripped or _RST_UNDERLINE.match(line):
            continue
        if (
            stripped.startswith("#")
            or _RST_UNDERLINE.match(below)
            or _PLAIN_ENTRY.match(stripped.lstrip("*-[ "))
        ):
            found.append(Heading(number, stripped))
    return found


def versions_in(text: str) -> list[Version]:
    parsed = []
    for token in _VERSION_TOKEN.findall(text):
        try:
            parsed.append(Version(token))
        except InvalidVersion:
            continue
    return parsed


def top_version(text: str) -> tuple[str, int] | None:
    """The version of the newest entry (the first heading naming one) and its line."""
    for heading in headings(text):
        for token in _VERSION_TOKEN.findall(heading.text):
            try:
                Version(token)
            except InvalidVersion:
                continue
            return token, heading.line
    return None


def entry_line(text: str, version: str) -> int | None:
    """The line of the heading that names `version`, if any."""
    try:
        wanted = Version(version)
    except InvalidVersion:
        wanted = None
    for heading in headings(text):
        if wanted is not None and wanted in versions_in(heading.text):
            return heading.line
        if wanted is None and re.search(rf"(?<![\w.]){re.escape(version)}(?![\w.])", heading.text):
            return heading.line
    return None


def _towncrier_table(target: Path) -> tuple[str, dict] | None:
    for name in ("towncrier.toml", "pyproject.toml"):
        try:
            data = tomllib.loads((target / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        table = data.get("tool", {}).get("towncrier")
        if isinstance(table, dict):
            return name, table
    return None


def _fragment_type(name: str) -> str:
    parts = name.split(".")
    parts = [p for p in parts if p not in ("md", "rst", "txt")]
    for part in reversed(parts[1:]):
        if not part.isdigit():
            return part.lower()
    return ""


def read_towncrier(target: Path) -> Towncrier | None:
    """towncrier's configuration and the fragments waiting in its directory."""
    found = _towncrier_table(target)
    if found is None:
        return None
    config, table = found
    package = table.get("package", "")
    directory = table.get("directory") or (
        str(Path(table.get("package_dir", ".")) / package / "newsfragments")
        if package
        else "newsfragments"
    )
    towncrier = Towncrier(
        config=config,
        changelog=table.get("filename", "NEWS.rst"),
        directory=Path(directory).as_posix(),
    )
    configured = [t.get("directory", t.get("name", "")) for t in table.get("type", [])]
    known = {t.lower() for t in (*TOWNCRIER_TYPES, *configured) if t}
    folder = target / directory
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            kind = _fragment_type(path.name)
            if path.is_file() and kind in known:
                towncrier.fragments.append(path.relative_to(target).as_posix())
                towncrier.types[kind] = towncrier.types.get(kind, 0) + 1
    return towncrier
