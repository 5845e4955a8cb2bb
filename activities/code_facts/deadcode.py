"""Dead code with vulture: unused imports, functions, classes, variables, attributes and
unreachable code, each with vulture's confidence (60-100%).

vulture reads the whole set of files at once, since a name used in one module keeps a
definition in another alive; so dead code is a fact of the file set, not of one file.
Public names a package exports may be used by its users: below 100% confidence an item
is a candidate for a person to confirm, not a certainty."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from vulture import Vulture

from workflows.code_facts import DeadCode

DEFAULT_MIN_CONFIDENCE = 60
# Names that frameworks and protocols call without a visible caller in the code.
IGNORED_NAMES = ["setUp*", "tearDown*", "test_*", "Test*", "pytest_*", "_*_"]
IGNORED_DECORATORS = [
    *("@*.route", "@*.fixture", "@*.defn", "@*.run", "@*.query", "@*.signal"),
    *("@*.command", "@*.callback", "@*.tool", "@*.get", "@*.post", "@*.init", "@*.update"),
]


def dead_code(
    root: Path, files: list[str], min_confidence: int = DEFAULT_MIN_CONFIDENCE
) -> list[DeadCode]:
    """Unused code in `files` (relative to `root`), most confident first, then by place."""
    if not files:
        return []
    scanner = Vulture(ignore_names=IGNORED_NAMES, ignore_decorators=IGNORED_DECORATORS)
    # vulture prints the files it cannot read or parse, on both streams
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        scanner.scavenge([str(root / f) for f in files])
    items = [
        DeadCode(
            file=Path(item.filename).resolve().relative_to(root.resolve()).as_posix(),
            line=item.first_lineno,
            end_line=item.last_lineno,
            kind=item.typ,
            name=str(item.name),
            confidence=item.confidence,
            message=item.message,
        )
        for item in scanner.get_unused_code(min_confidence=min_confidence)
    ]
    items.sort(key=lambda d: (-d.confidence, d.file, d.line))
    return items
