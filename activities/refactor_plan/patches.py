"""Mechanical refactors as one unified diff, made by ruff's own safe fixes: unused
imports (F401) and syntax modernisation (the UP family, as far as the oldest supported
Python allows). Nothing is written: `ruff check --fix --diff` prints the diff instead.

ruff runs `--isolated`, so the target's configuration neither widens nor silences the
rules, and only fixes ruff marks safe are in the patch (unsafe ones, such as removing an
import from an `__init__.py` that may re-export it, stay out). The diff's file headers
are rewritten to git's `a/` and `b/` form, relative to the target directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from ruff import find_ruff_bin

from workflows.refactor_plan.models import FilePatch
from workflows.schemas import Finding

RULES = ("F401", "UP")
OLDER_VERSIONS = ("2.7", *(f"3.{minor}" for minor in range(7)))
PYTHON_REQUIRES = re.compile(r"python_requires\s*=\s*['\"]?([^'\"\n#]+)")
RUFF_VERSIONS = tuple(f"3.{minor}" for minor in range(7, 16))  # ruff's --target-version range
FILES_PER_CALL = 400
RUFF_TIMEOUT_S = 600
RULE_CODE = re.compile(r"^[A-Z]+\d+$")
HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


class RuffFailed(Exception):
    """ruff could not run; the message is its own."""


@dataclass
class Patch:
    text: str = ""
    python_version: str = ""
    python_source: str = ""
    files: list[FilePatch] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def requires_python(root: Path) -> tuple[str, str] | None:
    """(specifier, file) from the nearest project metadata at or above `root`, not above
    its git repository: pyproject.toml's `requires-python`, setup.cfg's or setup.py's
    `python_requires` (setup.py read as text, never run)."""
    for folder in (root, *root.parents):
        pyproject = folder / "pyproject.toml"
        try:
            spec = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"][
                "requires-python"
            ]
            if isinstance(spec, str):
                return spec, "pyproject.toml"
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
            pass
        for name in ("setup.cfg", "setup.py"):
            try:
                found = PYTHON_REQUIRES.search((folder / name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            if found:
                return found.group(1).strip(), name
        if (folder / ".git").exists():
            break
    return None


def oldest_python(root: Path) -> tuple[str | None, str]:
    """(ruff target version, why): the oldest Python the project's metadata allows, so no
    fix needs a newer Python than the project may run on (ruff's own default, py310,
    would turn `Union[int, float]` into `int | float` in code that still supports 3.8).
    None when the project still allows a Python older than ruff's oldest target, 3.7:
    then modernising the syntax would break it, and only unused imports are fixed.
    Without metadata, ruff's oldest target."""
    declared = requires_python(root)
    if declared is None:
        return "py37", "no requires-python found: the oldest version ruff targets"
    spec, source = declared
    why = f"python_requires {spec!r} in {source}"
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return "py37", f"{why} does not parse: the oldest version ruff targets"
    for version in (*OLDER_VERSIONS, *RUFF_VERSIONS):
        if allowed.contains(version) or allowed.contains(f"{version}.99"):
            if version in OLDER_VERSIONS:
                return None, f"{why} allows Python {version}: no syntax modernisation"
            return "py" + version.replace(".", ""), why
    return "py37", f"{why} allows no known version: the oldest version ruff targets"


def _ruff(root: Path, files: list[str], rules: tuple[str, ...], *extra: str,
          python_version: str | None) -> str:  # fmt: skip
    command = [find_ruff_bin(), "check", "--isolated", "--select", ",".join(rules), "--no-cache"]
    if python_version:
        command += ["--target-version", python_version]
    done = subprocess.run(
        [*command, *extra, "--", *files],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=RUFF_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode not in (0, 1):
        raise RuffFailed(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "ruff")
    return done.stdout


def side_effect_import(root: Path, item: dict) -> bool:
    """An unused `import x` of a module outside the standard library, which may be
    imported for what importing it does (`import fastentrypoints` in a setup.py patches
    setuptools): ruff calls removing it safe, we leave it to a person."""
    if item["code"] != "F401":
        return False
    try:
        lines = (root / item["filename"]).read_text(encoding="utf-8").splitlines()
        statement = lines[item["location"]["row"] - 1].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        return True
    if not statement.startswith("import ") or " as " in statement:
        return False
    module = item["message"].split("`")[1] if "`" in item["message"] else ""
    return module.split(".")[0] not in sys.stdlib_module_names


def split_diff(diff: str) -> list[tuple[str, list[str]]]:
    """(path, lines from the `---` header through its last hunk) for each file of a
    unified diff; hunk lengths are read from the `@@` headers, so a removed line that
    itself starts with `--` is never taken for a header."""
    lines = diff.splitlines()
    files: list[tuple[str, list[str]]] = []
    index = 0
    while index < len(lines):
        if not (lines[index].startswith("--- ") and index + 1 < len(lines)):
            index += 1
            continue
        if not lines[index + 1].startswith("+++ "):
            index += 1
            continue
        path = lines[index + 1][4:].split("\t")[0]
        body = [lines[index], lines[index + 1]]
        index += 2
        while index < len(lines) and (match := HUNK.match(lines[index])):
            old, new = (int(n) if n is not None else 1 for n in match.groups())
            body.append(lines[index])
            index += 1
            while index < len(lines) and (old > 0 or new > 0 or lines[index].startswith("\\")):
                line = lines[index]
                if not line.startswith("\\"):
                    old -= line[:1] in (" ", "-")
                    new -= line[:1] in (" ", "+")
                body.append(line)
                index += 1
        files.append((path, body))
    return files


def git_headers(path: str, body: list[str]) -> list[str]:
    return [f"diff --git a/{path} b/{path}", f"--- a/{path}", f"+++ b/{path}", *body[2:]]


def ruff_patch(root: Path, files: list[str], python_version: str | None = None) -> Patch:
    """The safe F401/UP fixes of `files` (relative to `root`) as one git-style diff, with
    what each file's patch fixes, and every F401/UP diagnostic as a finding. A file with
    a possible side-effect import gets its UP fixes only."""
    patch = Patch()
    if python_version is None:
        python_version, patch.python_source = oldest_python(root)
    else:
        patch.python_source = "the python_version parameter"
    patch.python_version = python_version or ""
    rules = RULES if python_version else ("F401",)
    modernise = tuple(r for r in rules if r != "F401")
    texts: dict[str, str] = {}
    for start in range(0, len(files), FILES_PER_CALL):
        chunk = files[start : start + FILES_PER_CALL]
        diagnostics = json.loads(
            _ruff(root, chunk, rules, "--output-format", "json", python_version=python_version)
            or "[]"
        )
        diagnostics = [d for d in diagnostics if RULE_CODE.match(d.get("code") or "")]
        for item in diagnostics:
            item["rel"] = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        suspects = [d for d in diagnostics if side_effect_import(root, d)]
        held = {d["rel"] for d in suspects}
        fixed: dict[str, Counter[str]] = {}
        for item in diagnostics:
            rel = item["rel"]
            safe = (item.get("fix") or {}).get("applicability") == "safe"
            if safe and item["code"] == "F401" and rel in held:
                safe = False
                item["fix"]["message"] = (
                    "left out of the patch: a bare import of a module outside the standard "
                    "library may be there for its side effects"
                    if any(item is suspect for suspect in suspects)
                    else "left out of the patch with this file's possible side-effect import"
                )
            if safe:
                fixed.setdefault(rel, Counter())[item["code"]] += 1
            patch.findings.append(_finding(item, rel, safe))
        runs = [([f for f in chunk if f not in held], rules)]
        if modernise:
            runs.append(([f for f in chunk if f in held], modernise))
        for selected, selection in runs:
            if not selected:
                continue
            diff = _ruff(
                root, selected, selection, "--fix", "--diff", python_version=python_version
            )
            for path, body in split_diff(diff):
                texts[path] = "\n".join(git_headers(path, body))
                patch.files.append(
                    FilePatch(
                        file=path,
                        rules=dict(sorted(fixed.get(path, Counter()).items())),
                        added=sum(1 for line in body[2:] if line.startswith("+")),
                        removed=sum(1 for line in body[2:] if line.startswith("-")),
                    )
                )
    patch.text = "\n".join(texts[path] for path in sorted(texts)) + "\n" if texts else ""
    patch.files.sort(key=lambda p: p.file)
    patch.findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id))
    return patch


def _finding(item: dict, rel: str, safe: bool) -> Finding:
    code = item["code"]
    line = item["location"]["row"]
    fix = (item.get("fix") or {}).get("message")
    if safe:
        note = " (fixed in the patch)"
    elif fix and fix.startswith("left out of the patch"):
        note = f" ({fix})"
    else:
        note = f" (suggested: {fix})" if fix else ""
    return Finding(
        rule_id=code,
        tool="ruff",
        tools=["ruff"],
        category="maintainability",
        severity="info",
        confidence="high",
        file=rel,
        line=line,
        column=item["location"]["column"],
        end_line=item["end_location"]["row"],
        message=item["message"] + note,
        fingerprint=sha256(f"ruff|{code}|{rel}|{item['message']}".encode()).hexdigest()[:16],
    )
