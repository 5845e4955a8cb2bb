"""Conventional commits (https://www.conventionalcommits.org/en/v1.0.0/): parsing and bumps.

The version agent reads them to suggest a bump and the docs agent to draft the
changelog, so both agree on what a commit means.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

Bump = Literal["major", "minor", "patch", "none"]

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s*(?P<description>\S.*)$"
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:\s*", re.MULTILINE)
_BUMP_ORDER: tuple[Bump, ...] = ("none", "patch", "minor", "major")


class Commit(BaseModel):
    sha: str = ""
    subject: str
    body: str = ""


class Conventional(BaseModel):
    type: str
    scope: str | None
    description: str
    breaking: bool


def parse_conventional(commit: Commit) -> Conventional | None:
    """The commit's conventional header, or None when the subject does not follow the spec."""
    match = _HEADER.match(commit.subject.strip())
    if match is None:
        return None
    return Conventional(
        type=match["type"].lower(),
        scope=match["scope"] or None,
        description=match["description"].strip(),
        breaking=bool(match["bang"]) or bool(_BREAKING_FOOTER.search(commit.body)),
    )


def commit_bump(commit: Commit) -> Bump:
    parsed = parse_conventional(commit)
    if parsed is None:
        return "none"
    if parsed.breaking:
        return "major"
    if parsed.type == "feat":
        return "minor"
    if parsed.type in {"fix", "perf"}:
        return "patch"
    return "none"


def suggest_bump(commits: list[Commit]) -> Bump:
    """The largest bump any commit asks for (one breaking change makes the release major)."""
    return max((commit_bump(c) for c in commits), key=_BUMP_ORDER.index, default="none")


def bump_rank(bump: Bump) -> int:
    return _BUMP_ORDER.index(bump)
