"""Which files declare or lock dependencies, by name alone: the inventory reads them, and
pr-review runs dependency-check when a change touches one (a pure rule, so workflow code
may apply it)."""

from __future__ import annotations

from pathlib import PurePath

LOCK_FILES = frozenset({"Pipfile.lock", "poetry.lock", "uv.lock", "pylock.toml"})
PROJECT_FILES = frozenset({"pyproject.toml", "setup.cfg"})


def is_requirements_file(path: PurePath) -> bool:
    name = path.name.lower()
    if path.suffix.lower() not in (".txt", ".in"):
        return False
    return "requirements" in name or "constraints" in name or path.parent.name == "requirements"


def is_dependency_file(path: PurePath) -> bool:
    name = path.name
    return (
        name in LOCK_FILES
        or name in PROJECT_FILES
        or (name.startswith("pylock.") and name.endswith(".toml"))
        or is_requirements_file(path)
    )
