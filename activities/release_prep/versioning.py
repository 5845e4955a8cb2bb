"""The version agent: is the version about to ship valid, new, and the right size?

Versions follow Semantic Versioning 2.0.0 (https://semver.org): the parser below
implements its grammar and precedence rules, because PEP 440 (`packaging.version`)
accepts and orders versions semver rejects (`1.0`, `1.0.0.post1`). Judgement:

- blocker: no version found; a version that is not valid semver; a version that does
  not increase over the latest release tag.
- warning: no release tag yet (a first release); a latest tag that is not semver;
  uncommitted changes (the release would not match any commit); a bump smaller than
  the conventional commits since the tag ask for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from activities.release_prep.commits import Bump, Commit, bump_rank, suggest_bump
from activities.release_prep.project import (
    GitError,
    find_packages,
    git,
    is_git_repo,
    read_pyproject,
)
from workflows.schemas import AgentResult

# The regular expression semver.org publishes for 2.0.0.
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_DUNDER_VERSION = re.compile(r"""^__version__\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", re.M)
_VERSION_FILES = ("__init__.py", "__about__.py", "_version.py", "version.py")
MAX_COMMITS_IN_DATA = 200


@dataclass(frozen=True, slots=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> SemVer | None:
        match = _SEMVER.match(text.strip())
        if match is None:
            return None
        pre = match["prerelease"]
        return cls(
            int(match["major"]),
            int(match["minor"]),
            int(match["patch"]),
            tuple(pre.split(".")) if pre else (),
            match["build"] or "",
        )

    def precedence(self) -> tuple[object, ...]:
        """Sort key per semver §11: build metadata is ignored, a pre-release sorts first."""
        if not self.prerelease:
            return (self.major, self.minor, self.patch, 1, ())
        identifiers = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0, identifiers)

    def bump_from(self, older: SemVer) -> Bump:
        """How big a step this version is over `older` (assumed lower)."""
        if self.major != older.major:
            return "major"
        if self.minor != older.minor:
            return "minor"
        if self.patch != older.patch:
            return "patch"
        return "none"


class VersionOutcome(BaseModel):
    version: str | None
    version_source: str | None = None
    valid_semver: bool = False
    is_git_repo: bool = True
    latest_tag: str | None = None
    latest_version: str | None = None
    increases: bool | None = None
    bump: Bump | None = None
    suggested_bump: Bump = "none"
    commits: list[Commit] = Field(default_factory=list)
    dirty_files: list[str] = Field(default_factory=list)
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def read_version(target: Path) -> tuple[str | None, str | None]:
    """The declared version and where it came from: pyproject first, then `__version__`."""
    pyproject = read_pyproject(target)
    for table, label in (
        (pyproject.get("project", {}), "pyproject.toml [project].version"),
        (pyproject.get("tool", {}).get("poetry", {}), "pyproject.toml [tool.poetry].version"),
    ):
        if isinstance(table.get("version"), str):
            return table["version"], label
    for package in find_packages(target):
        for name in _VERSION_FILES:
            path = package / name
            if not path.is_file():
                continue
            match = _DUNDER_VERSION.search(path.read_text(encoding="utf-8", errors="replace"))
            if match:
                return match[1], f"{path.relative_to(target).as_posix()} __version__"
    return None, None


def latest_tag(target: Path) -> str | None:
    """The nearest version-like tag reachable from HEAD (v1.2.3 or 1.2.3), if any."""
    try:
        out = git(
            target, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "--match", "[0-9]*"
        )
    except GitError:
        return None
    return out.strip() or None


def commits_since(target: Path, tag: str | None) -> list[Commit]:
    """Commits after `tag` (all of HEAD's history when there is no tag), newest first."""
    span = f"{tag}..HEAD" if tag else "HEAD"
    try:
        out = git(target, "log", span, "--format=%H%x1f%s%x1f%b%x1e")
    except GitError:
        return []  # a repository without commits yet
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append(Commit(sha=fields[0], subject=fields[1], body=fields[2].strip()))
    return commits


def dirty_files(target: Path) -> list[str]:
    out = git(target, "status", "--porcelain", "--untracked-files=normal")
    return [line[3:] for line in out.splitlines() if line.strip()]


def check_version(target: Path) -> VersionOutcome:
    """Judge the declared version against the latest tag and the commits since it."""
    version, source = read_version(target)
    outcome = VersionOutcome(version=version, version_source=source)
    current = SemVer.parse(version) if version else None
    outcome.valid_semver = current is not None
    if version is None:
        outcome.blockers.append(
            "no version found (pyproject [project].version or a package __version__)"
        )
    elif current is None:
        outcome.blockers.append(f"version {version!r} is not valid semver (MAJOR.MINOR.PATCH)")
    if not is_git_repo(target):
        outcome.is_git_repo = False
        outcome.warnings.append("not a git repository: no tags, commits or working-tree checks")
        return outcome
    _compare_with_tag(target, outcome, current)
    outcome.dirty_files = dirty_files(target)
    if outcome.dirty_files:
        outcome.warnings.append(
            f"{len(outcome.dirty_files)} uncommitted change(s) "
            f"({', '.join(outcome.dirty_files[:5])}): the release would not match any commit"
        )
    return outcome


def _compare_with_tag(target: Path, outcome: VersionOutcome, current: SemVer | None) -> None:
    tag = latest_tag(target)
    outcome.latest_tag = tag
    outcome.commits = commits_since(target, tag)
    outcome.suggested_bump = suggest_bump(outcome.commits)
    if tag is None:
        outcome.warnings.append("no release tag yet: treating this as the first release")
        return
    outcome.latest_version = tag.removeprefix("v")
    previous = SemVer.parse(outcome.latest_version)
    if previous is None:
        outcome.warnings.append(f"latest tag {tag!r} is not semver: cannot check the increase")
        return
    if current is None:
        return
    outcome.increases = current.precedence() > previous.precedence()
    if not outcome.increases:
        outcome.blockers.append(
            f"version {outcome.version} does not increase over the latest tag {tag}"
        )
        return
    outcome.bump = current.bump_from(previous)
    if bump_rank(outcome.bump) < bump_rank(outcome.suggested_bump):
        outcome.warnings.append(
            f"commits since {tag} suggest a {outcome.suggested_bump} bump, "
            f"but {outcome.version} is a {outcome.bump} bump"
        )


def to_agent_result(outcome: VersionOutcome, role: str) -> AgentResult:
    """Carries the version, tag and commit subjects the docs agent needs, in `data`."""
    if outcome.version is None:
        summary = "no version found"
    else:
        since = f"since {outcome.latest_tag}" if outcome.latest_tag else "(no tag yet)"
        summary = (
            f"version {outcome.version}: {len(outcome.commits)} commits {since}, "
            f"suggested bump {outcome.suggested_bump}"
        )
    return AgentResult(
        role=role,
        status="ok",
        summary=summary,
        blockers=outcome.blockers,
        warnings=outcome.warnings,
        data={
            "version": outcome.version,
            "valid_semver": outcome.valid_semver,
            "latest_tag": outcome.latest_tag,
            "increases": outcome.increases,
            "bump": outcome.bump,
            "suggested_bump": outcome.suggested_bump,
            "commit_count": len(outcome.commits),
            "commits": [c.subject for c in outcome.commits[:MAX_COMMITS_IN_DATA]],
            "dirty_files": len(outcome.dirty_files),
        },
    )
