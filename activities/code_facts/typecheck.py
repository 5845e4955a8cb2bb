"""Type errors as a shared code fact, from pyright or mypy when the worker has one.

attune does not depend on a type checker: it uses pyright or mypy found on PATH or in
attune's own environment, and otherwise says `skipped` with the reason, so a report
never reads "no type errors" when nothing checked. The checker runs blind to the
target's configuration (like ruff, `--isolated` in spirit: a plugin the project's mypy
config names may not be installed on the worker) and writes no cache into the target.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from activities.sources import read_source
from workflows.schemas import Finding

TIMEOUT_S = 900
CHECKERS = ("pyright", "mypy")


class TypeCheckError(BaseModel):
    file: str
    line: int
    column: int = 1
    message: str
    code: str = ""


class TypeCheck(BaseModel):
    status: Literal["ok", "skipped", "failed"]
    tool: str | None = None
    reason: str = ""
    errors: list[TypeCheckError] = []


def find_checker(search_path: str | None = None) -> tuple[str, str] | None:
    """(name, executable) of the first checker on PATH or beside this Python (attune's
    venv); `search_path` replaces both."""
    if search_path is None:
        here = str(Path(sys.executable).parent)
        search_path = os.pathsep.join(p for p in (os.environ.get("PATH", ""), here) if p)
    path = search_path
    for name in CHECKERS:
        if (found := shutil.which(name, path=path)) is not None:
            return name, found
    return None


def type_check(root: Path, files: list[str], search_path: str | None = None) -> TypeCheck:
    """Type errors in `files` (relative to `root`) or why there are none to show."""
    checker = find_checker(search_path)
    if checker is None:
        return TypeCheck(
            status="skipped",
            reason="no type checker on this worker (install pyright or mypy to get type errors)",
        )
    files = checkable(root, files)
    if not files:
        return TypeCheck(status="ok", tool=checker[0])
    name, executable = checker
    argv = _pyright(executable, files) if name == "pyright" else _mypy(executable, files)
    try:
        done = subprocess.run(
            argv,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TypeCheck(status="failed", tool=name, reason=f"{name} ran over {TIMEOUT_S} s")
    parse = parse_pyright if name == "pyright" else parse_mypy
    try:
        errors = parse(done.stdout, root)
    except ValueError:
        errors = None
    if errors is None or done.returncode not in (0, 1):
        tail = (done.stderr or done.stdout).strip()[-300:]
        return TypeCheck(
            status="failed", tool=name, reason=f"{name} exit {done.returncode}: {tail}"
        )
    wanted = set(files)
    return TypeCheck(status="ok", tool=name, errors=[e for e in errors if e.file in wanted])


def type_findings(
    root: Path, files: list[str], category: str, profile: str = "default"
) -> tuple[TypeCheck, list[Finding]]:
    """Type errors, in the default profile only for a project that configures a checker
    (on other code they are mostly the checker's limits, not bugs); strict always."""
    if profile != "strict" and type_checked_by(root) is None:
        reason = "the project configures no type checker (mypy or pyright); profile=strict runs one"
        return TypeCheck(status="skipped", reason=reason), []
    checked = type_check(root, files)
    return checked, [
        Finding(
            rule_id=error.code or "type-error",
            tool=checked.tool or "typecheck",
            tools=[checked.tool or "typecheck"],
            category=category,
            severity="medium",
            confidence="medium",
            file=error.file,
            line=error.line,
            column=error.column,
            message=error.message,
        )
        for error in checked.errors
    ]


CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyrightconfig.json")
CONFIG_SECTIONS = {
    "pyproject.toml": ("[tool.mypy", "[tool.pyright"),
    "setup.cfg": ("[mypy",),
}


def type_checked_by(root: Path) -> str | None:
    """The file that says the project is type-checked (a mypy or pyright configuration),
    looked for from `root` up to its repository's top; None if there is none. Code never
    written for a checker reads as hundreds of false type errors."""
    for folder in (root.resolve(), *root.resolve().parents):
        for name in CONFIG_FILES:
            if (folder / name).is_file():
                return str(folder / name)
        for name, sections in CONFIG_SECTIONS.items():
            try:
                text = (folder / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if any(section in text for section in sections):
                return str(folder / name)
        if (folder / ".git").exists():
            return None
    return None


def checkable(root: Path, files: list[str]) -> list[str]:
    """The files a checker can read: Python source that parses. One file that does not
    stops mypy's whole run (a blocking error); other engines report it already."""
    kept = []
    for rel in files:
        source, _ = read_source(root / rel)
        if source is None:
            continue
        try:
            ast.parse(source, rel)
        except (SyntaxError, ValueError):
            continue
        kept.append(rel)
    return kept


def _mypy(executable: str, files: list[str]) -> list[str]:
    return [
        executable,
        "--config-file=",  # the target's config may name plugins this worker lacks
        "--cache-dir=/dev/null",
        "--output=json",
        "--ignore-missing-imports",
        "--follow-imports=silent",
        "--no-error-summary",
        "--show-column-numbers",
        *files,
    ]


def _pyright(executable: str, files: list[str]) -> list[str]:
    return [executable, "--outputjson", *files]


def _relative(root: Path, filename: str) -> str:
    path = Path(filename)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def parse_mypy(stdout: str, root: Path) -> list[TypeCheckError]:
    """mypy's `--output=json`: one object a line; notes are context, not errors."""
    errors = []
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("severity") != "error":
            continue
        message = record["message"]
        if record.get("hint"):
            message += f" ({record['hint']})"
        errors.append(
            TypeCheckError(
                file=_relative(root, record["file"]),
                line=max(1, int(record.get("line") or 1)),
                column=max(1, int(record.get("column") or 0) + 1),
                message=message,
                code=record.get("code") or "",
            )
        )
    return errors


def parse_pyright(stdout: str, root: Path) -> list[TypeCheckError]:
    """pyright's `--outputjson`: 0-based lines and characters."""
    errors = []
    for record in json.loads(stdout).get("generalDiagnostics", []):
        if record.get("severity") != "error":
            continue
        start = record["range"]["start"]
        errors.append(
            TypeCheckError(
                file=_relative(root, record["file"]),
                line=start["line"] + 1,
                column=start["character"] + 1,
                message=record["message"],
                code=record.get("rule") or "",
            )
        )
    return errors
