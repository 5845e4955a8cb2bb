"""What a file is for: source, support (docs, examples, scripts, files outside the
packages) or tests. Bugs a fix changes live in source; a review and a refactoring plan
weigh test code less, since repetition and shortcuts there are often deliberate."""

from __future__ import annotations

from enum import IntEnum
from pathlib import PurePosixPath

TEST_DIRS = frozenset({"tests", "test", "testing"})
SUPPORT_DIRS = frozenset(
    {"docs", "doc", "examples", "example", "benchmarks", "benchmark", "scripts"}
)


class Kind(IntEnum):
    """Ranking tier: lower ranks first."""

    SOURCE = 0
    SUPPORT = 1
    TEST = 2


def is_test(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else path
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def file_kinds(paths: list[str]) -> dict[str, Kind]:
    """Each path's kind; packages are the directories of the `__init__.py` files among
    `paths`, and a file under any of them (a namespace subfolder included) is in one."""
    packages = {
        str(PurePosixPath(p).parent) for p in paths if PurePosixPath(p).name == "__init__.py"
    }
    kinds: dict[str, Kind] = {}
    for path in paths:
        pure = PurePosixPath(path)
        outside = bool(packages) and not any(str(d) in packages for d in pure.parents)
        if is_test(path):
            kinds[path] = Kind.TEST
        elif outside or any(p in SUPPORT_DIRS for p in pure.parts[:-1]):
            kinds[path] = Kind.SUPPORT
        else:
            kinds[path] = Kind.SOURCE
    return kinds
