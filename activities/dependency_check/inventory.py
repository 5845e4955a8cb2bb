"""The dependency inventory: every dependency a project declares or locks, with the file
and line that says so and its specifier parsed by `packaging`.

Plain functions over text, so each format is tested on a small fixture. The formats:
requirements files (with `-r` includes and `-c` constraints), pyproject.toml (PEP 621
dependencies and extras, PEP 735 dependency groups, Poetry, PDM, uv), setup.cfg, and the
lock files Pipfile.lock, poetry.lock, uv.lock and pylock.toml. TOML and JSON parsers give
no positions, so each entry's line is found in the text, in document order.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from workflows.dependency_check.files import LOCK_FILES, is_dependency_file, is_requirements_file
from workflows.dependency_check.models import Dependency, DependencyKind
from workflows.schemas import ReportWarning, SkippedFile

MAX_FILE_BYTES = 5_000_000
SKIP_DIRS = {
    ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pypackages__", ".tox", ".nox",
    "site-packages", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    "__pycache__", ".eggs",
}  # fmt: skip
_COMMENT = re.compile(r"(^|\s)#.*$")
_LINE_OPTION = re.compile(r"\s--?[A-Za-z]")
_OPTION = re.compile(r"^(-[rce]|--requirement|--constraint|--editable)(?:=|\s+|(?=[^\s-]))(.+)$")
_INDEX_OPTION = re.compile(r"^(-i|--index-url|--extra-index-url)(?:=|\s+)(\S+)")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class Inventory:
    dependencies: list[Dependency] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    """Package indexes the project names besides the default (a dependency-confusion
    risk when a private name can also resolve on the public index)."""
    project_names: list[str] = field(default_factory=list)
    """The project's own names (pyproject, setup.cfg): its prefix marks private names."""


# --------------------------------------------------------------------------- specifiers


def pinned_version(specifier: str) -> str | None:
    """The version an `==` (without a wildcard) or `===` clause pins, else None."""
    try:
        clauses = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    for clause in clauses:
        if clause.operator == "===" or (clause.operator == "==" and "*" not in clause.version):
            return clause.version
    return None


def dependency_from(
    requirement: Requirement, *, file: str, line: int, source: str, **fields: Any
) -> Dependency:
    specifier = str(requirement.specifier)
    return Dependency(
        name=canonicalize_name(requirement.name),
        declared_name=requirement.name,
        specifier=specifier,
        marker=str(requirement.marker) if requirement.marker else None,
        extras=sorted(requirement.extras),
        version=pinned_version(specifier),
        url=requirement.url,
        file=file,
        line=line,
        source=source,
        **fields,
    )


def _caret(version: str) -> str:
    """Poetry's ^X.Y.Z: up to the next change of the leftmost non-zero component."""
    parts = [int(p) for p in version.split(".") if p.isdigit()] or [0]
    index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    upper = [*parts[:index], parts[index] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def _tilde(version: str) -> str:
    """Poetry's ~X.Y.Z: patch updates only (~X: minor updates)."""
    parts = [int(p) for p in version.split(".") if p.isdigit()] or [0]
    keep = parts[:2] if len(parts) > 1 else parts[:1]
    upper = [*keep[:-1], keep[-1] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def poetry_specifier(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier set; ValueError for an `||`
    union, which no specifier set can express."""
    constraint = constraint.strip()
    if "||" in constraint or re.search(r"\s\|\s", constraint):
        raise ValueError(f"the union {constraint!r} has no PEP 440 form")
    clauses = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint):
        part = part.strip()
        if part in ("", "*"):
            continue
        if part.startswith("^"):
            clauses.append(_caret(part[1:].strip()))
        elif part.startswith("~") and not part.startswith("~="):
            clauses.append(_tilde(part[1:].strip()))
        elif part[0].isdigit():
            clauses.append(f"=={part}")
        else:
            clauses.append(part)
    specifier = ",".join(clauses)
    SpecifierSet(specifier)  # raises InvalidSpecifier, a ValueError, on nonsense
    return specifier


def first_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


# --------------------------------------------------------------------------- lines


class Lines:
    """Finds an entry's line in a file whose parser gives no positions, in order."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, name: str) -> int:
        """0-based index of the `[name]` or `[[name]]` table header, or -1."""
        pattern = re.compile(r"^\s*\[\[?\s*" + _dotted(name) + r"\s*\]\]?\s*(#.*)?$")
        return next((i for i, t in enumerate(self.lines) if pattern.match(t)), -1)

    def find(self, pattern: re.Pattern[str], start: int) -> int:
        """0-based index of the first line at or after `start` matching, or -1."""
        for index in range(max(start, 0), len(self.lines)):
            if pattern.search(self.lines[index]):
                return index
        return -1

    def literal(self, value: str, start: int) -> int:
        quoted = re.compile("[\"']" + re.escape(value) + "[\"']")
        return self.find(quoted, start)

    def key(self, key: str, start: int) -> int:
        return self.find(re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*="), start)


def _dotted(name: str) -> str:
    return r"\s*\.\s*".join(r"[\"']?" + re.escape(p) + r"[\"']?" for p in name.split("."))


# --------------------------------------------------------------------------- requirements


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based first line, text) with `\\` continuations joined and comments cut."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        stripped = _COMMENT.sub("", raw) if not pending or raw.lstrip().startswith("#") else raw
        if stripped.rstrip().endswith("\\"):
            pending += stripped.rstrip()[:-1] + " "
            continue
        line = (pending + _COMMENT.sub("", stripped)).strip()
        pending = ""
        if line:
            yield start, line
    if pending.strip():
        yield start, pending.strip()


def requirement_references(text: str) -> list[tuple[str, str]]:
    """The files a requirements file includes: (option, path) for -r and -c."""
    found = []
    for _, line in _logical_lines(text):
        match = _OPTION.match(line)
        if match and match.group(1) in ("-r", "--requirement", "-c", "--constraint"):
            found.append((match.group(1), match.group(2).strip()))
    return found


def parse_requirements(
    path: Path,
    root: Path,
    inventory: Inventory,
    kind: DependencyKind = "requirement",
    seen: set[tuple[Path, str]] | None = None,
) -> None:
    """Add a requirements file's entries, and those of the files it includes, to the
    inventory; constraints (-c) are recorded with kind `constraint`."""
    seen = set() if seen is None else seen
    key = (path.resolve(), kind)
    if key in seen:
        return
    seen.add(key)
    text = _read(path, root, inventory)
    if text is None:
        return
    rel = relative(path, root)
    inventory.files.append(rel)
    for number, line in _logical_lines(text):
        index = _INDEX_OPTION.match(line)
        if index:
            inventory.indexes.append(index.group(2))
            continue
        option = _OPTION.match(line)
        if option:
            flag, value = option.group(1), option.group(2).strip()
            if flag in ("-e", "--editable"):
                _editable(value, rel, number, kind, inventory)
                continue
            included = (path.parent / value).resolve()
            if not included.is_file():
                inventory.warnings.append(
                    ReportWarning(
                        code="missing-include",
                        message=f"{flag} {value}: no such file",
                        file=rel,
                        line=number,
                    )
                )
                continue
            child_kind: DependencyKind = "constraint" if flag in ("-c", "--constraint") else kind
            parse_requirements(included, root, inventory, child_kind, seen)
            continue
        if line.startswith("-"):
            continue  # --find-links, --no-binary, --pre ...: nothing to check
        cut = _LINE_OPTION.search(line)
        spec = line[: cut.start()].strip() if cut else line
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as err:
            code = "unnamed-requirement" if re.match(r"^(\.|/|\w+://)", spec) else "unparsable"
            inventory.warnings.append(
                ReportWarning(
                    code=code,
                    message=f"{spec}: not checked ({first_line(err)})",
                    file=rel,
                    line=number,
                )
            )
            continue
        inventory.dependencies.append(
            dependency_from(requirement, file=rel, line=number, source="requirements", kind=kind)
        )


def _editable(
    value: str, rel: str, number: int, kind: DependencyKind, inventory: Inventory
) -> None:
    egg = _EGG.search(value)
    if egg is None:
        inventory.warnings.append(
            ReportWarning(
                code="unnamed-requirement",
                message=f"-e {value}: a local or unnamed editable install, not checked",
                file=rel,
                line=number,
            )
        )
        return
    name = egg.group(1)
    inventory.dependencies.append(
        Dependency(
            name=canonicalize_name(name),
            declared_name=name,
            url=value,
            file=rel,
            line=number,
            kind=kind,
            source="requirements",
        )
    )


def apply_constraints(dependencies: list[Dependency]) -> None:
    """Narrow each requirement by the constraints on its name: a ranged requirement that
    a constraint pins is checked at the pinned version."""
    constraints: dict[str, list[Dependency]] = {}
    for dep in dependencies:
        if dep.kind == "constraint" and dep.specifier:
            constraints.setdefault(dep.name, []).append(dep)
    for dep in dependencies:
        if dep.kind != "requirement" or dep.version or dep.name not in constraints:
            continue
        combined = SpecifierSet(dep.specifier)
        for constraint in constraints[dep.name]:
            combined &= SpecifierSet(constraint.specifier)
        dep.specifier = str(combined)
        dep.version = pinned_version(dep.specifier)
        dep.constrained_by = ", ".join(c.where for c in constraints[dep.name])


# --------------------------------------------------------------------------- pyproject


def parse_pyproject(path: Path, root: Path, inventory: Inventory) -> None:
    data, lines = _toml(path, root, inventory)
    if data is None:
        return
    rel = relative(path, root)
    inventory.files.append(rel)
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    inventory.project_names += [n for n in (project.get("name"), poetry.get("name")) if n]
    adder = _StringAdder(lines, rel, inventory)
    adder.table(project.get("dependencies", []), "project", "dependencies", "pep621", "main")
    for extra, items in project.get("optional-dependencies", {}).items():
        adder.table(items, "project.optional-dependencies", extra, "pep621", extra)
    for group, items in data.get("dependency-groups", {}).items():
        adder.table(items, "dependency-groups", group, "dependency-groups", group)
    tool = data.get("tool", {})
    uv = tool.get("uv", {})
    adder.table(uv.get("dev-dependencies", []), "tool.uv", "dev-dependencies", "uv", "dev")
    for key in ("constraint-dependencies", "override-dependencies"):
        adder.table(uv.get(key, []), "tool.uv", key, "uv", key, kind="constraint")
    inventory.indexes += [i["url"] for i in uv.get("index", []) if "url" in i]
    pdm = tool.get("pdm", {})
    for group, items in pdm.get("dev-dependencies", {}).items():
        adder.table(items, "tool.pdm.dev-dependencies", group, "pdm", group)
    inventory.indexes += [s["url"] for s in pdm.get("source", []) if "url" in s]
    _poetry_table(poetry.get("dependencies", {}), "tool.poetry.dependencies", "main", adder)
    _poetry_table(poetry.get("dev-dependencies", {}), "tool.poetry.dev-dependencies", "dev", adder)
    for group, body in poetry.get("group", {}).items():
        table = f"tool.poetry.group.{group}.dependencies"
        _poetry_table(body.get("dependencies", {}), table, group, adder)
    inventory.indexes += [s["url"] for s in poetry.get("source", []) if "url" in s]


class _StringAdder:
    """Adds PEP 508 strings of one TOML array, each at the line that holds it."""

    def __init__(self, lines: Lines, rel: str, inventory: Inventory) -> None:
        self.lines, self.rel, self.inventory = lines, rel, inventory

    def table(
        self,
        items: list[Any],
        table: str,
        key: str,
        source: str,
        group: str,
        kind: DependencyKind = "requirement",
    ) -> None:
        if not items:
            return
        start = self.lines.header(table)
        key_line = self.lines.key(key, start + 1)
        cursor = key_line if key_line >= 0 else start
        for item in items:
            if not isinstance(item, str):
                continue  # {include-group = "..."}: its own group is read on its own
            found = self.lines.literal(item, cursor)
            cursor = found if found >= 0 else cursor
            number = (found if found >= 0 else max(key_line, start, 0)) + 1
            self.add(item, number, source, group, kind)

    def add(self, text: str, number: int, source: str, group: str, kind: DependencyKind) -> None:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as err:
            self.inventory.warnings.append(
                ReportWarning(
                    code="unparsable",
                    message=f"{text}: not checked ({first_line(err)})",
                    file=self.rel,
                    line=number,
                )
            )
            return
        self.inventory.dependencies.append(
            dependency_from(
                requirement, file=self.rel, line=number, source=source, group=group, kind=kind
            )
        )


def _poetry_table(table: dict[str, Any], name: str, group: str, adder: _StringAdder) -> None:
    start = adder.lines.header(name)
    for package, value in table.items():
        if package.lower() == "python":
            continue
        found = adder.lines.key(package, start + 1)
        number = (found if found >= 0 else max(start, 0)) + 1
        for entry in value if isinstance(value, list) else [value]:
            _poetry_entry(package, entry, number, group, adder)


def _poetry_entry(package: str, entry: Any, number: int, group: str, adder: _StringAdder) -> None:
    spec = entry if isinstance(entry, str) else entry.get("version", "*")
    url = None
    if isinstance(entry, dict):
        url = entry.get("git") or entry.get("url") or entry.get("path")
    try:
        specifier = poetry_specifier(spec) if url is None else ""
    except ValueError as err:
        adder.inventory.warnings.append(
            ReportWarning(
                code="unsupported-constraint",
                message=f"{package} {spec}: {err}; checked as any version",
                file=adder.rel,
                line=number,
            )
        )
        specifier = ""
    marker = entry.get("markers") if isinstance(entry, dict) else None
    text = package + (f" @ {url}" if url and "://" in url else specifier)
    if marker:
        text += f" ; {marker}"
    adder.add(text, number, "poetry", group, "requirement")


# --------------------------------------------------------------------------- setup.cfg


def parse_setup_cfg(path: Path, root: Path, inventory: Inventory) -> None:
    text = _read(path, root, inventory)
    if text is None:
        return
    rel = relative(path, root)
    inventory.files.append(rel)
    adder = _StringAdder(Lines(text), rel, inventory)
    section, key = "", None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        header = re.match(r"^\[([^\]]+)\]", stripped)
        if header:
            section, key = header.group(1).strip(), None
            continue
        if raw[0] not in " \t":
            name, sep, value = stripped.partition("=")
            if section == "metadata" and name.strip() == "name":
                inventory.project_names.append(value.strip())
            key = _setup_key(section, name.strip()) if sep else None
            stripped = value.strip()
        if key is None or not stripped:
            continue
        spec = _COMMENT.sub("", stripped).strip()
        if spec:
            adder.add(spec, number, "setup.cfg", key, "requirement")


def _setup_key(section: str, name: str) -> str | None:
    """The dependency group a setup.cfg key declares, or None for other keys."""
    if section == "options":
        return {"install_requires": "main", "tests_require": "tests"}.get(name)
    if section == "options.extras_require":
        return name
    return None


# --------------------------------------------------------------------------- lock files


def parse_lock(path: Path, root: Path, inventory: Inventory) -> None:
    """A lock file's pins: Pipfile.lock (JSON), poetry.lock, uv.lock or pylock.toml."""
    if path.name == "Pipfile.lock":
        _pipfile_lock(path, root, inventory)
        return
    data, lines = _toml(path, root, inventory)
    if data is None:
        return
    rel = relative(path, root)
    inventory.files.append(rel)
    source = "pylock" if path.name.startswith("pylock") else path.name.removesuffix(".lock")
    packages = data.get("packages" if source == "pylock" else "package", [])
    cursor = 0
    for package in packages:
        name = package.get("name")
        if not name:
            continue
        found = lines.find(re.compile(r"^\s*name\s*=\s*[\"']" + re.escape(name) + r"[\"']"), cursor)
        cursor = found + 1 if found >= 0 else cursor
        origin = package.get("source", {})
        if isinstance(origin, dict) and ({"editable", "virtual"} & origin.keys()):
            continue  # the project itself (uv's workspace members)
        version = package.get("version")
        inventory.dependencies.append(
            Dependency(
                name=canonicalize_name(name),
                declared_name=name,
                specifier=f"=={version}" if version else "",
                marker=package.get("marker"),
                version=version,
                file=rel,
                line=found + 1 if found >= 0 else 1,
                kind="lock",
                source=source,
                group=package.get("category", "main"),
            )
        )


def _pipfile_lock(path: Path, root: Path, inventory: Inventory) -> None:
    text = _read(path, root, inventory)
    if text is None:
        return
    rel = relative(path, root)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        inventory.skipped.append(SkippedFile(path=rel, reason=f"invalid JSON: {err}"))
        return
    inventory.files.append(rel)
    lines = Lines(text)
    sources = data.get("_meta", {}).get("sources", [])
    inventory.indexes += [s["url"] for s in sources if "url" in s]
    for section, group in (("default", "main"), ("develop", "dev")):
        start = lines.literal(section, 0)
        for name, entry in data.get(section, {}).items():
            found = lines.find(re.compile('"' + re.escape(name) + r'"\s*:'), start + 1)
            specifier = entry.get("version", "") if isinstance(entry, dict) else ""
            marker = entry.get("markers") if isinstance(entry, dict) else None
            inventory.dependencies.append(
                Dependency(
                    name=canonicalize_name(name),
                    declared_name=name,
                    specifier=specifier,
                    marker=marker,
                    version=pinned_version(specifier),
                    file=rel,
                    line=found + 1 if found >= 0 else 1,
                    kind="lock",
                    source="pipfile",
                    group=group,
                )
            )


# --------------------------------------------------------------------------- files


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _read(path: Path, root: Path, inventory: Inventory) -> str | None:
    rel = relative(path, root)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            inventory.skipped.append(SkippedFile(path=rel, reason="larger than 5 MB"))
            return None
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        inventory.skipped.append(SkippedFile(path=rel, reason="not UTF-8"))
    except OSError as err:
        inventory.skipped.append(SkippedFile(path=rel, reason=f"unreadable: {err.strerror}"))
    return None


def _toml(path: Path, root: Path, inventory: Inventory) -> tuple[dict[str, Any] | None, Lines]:
    text = _read(path, root, inventory)
    if text is None:
        return None, Lines("")
    try:
        return tomllib.loads(text), Lines(text)
    except tomllib.TOMLDecodeError as err:
        inventory.skipped.append(
            SkippedFile(path=relative(path, root), reason=f"invalid TOML: {err}")
        )
        return None, Lines("")


def discover(root: Path) -> list[Path]:
    """The dependency files under a project directory, outside virtualenvs and builds."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and not (here / d / "pyvenv.cfg").exists()
        )
        found += [here / f for f in sorted(files) if is_dependency_file(here / f)]
    return found


def parse_file(path: Path, root: Path, inventory: Inventory, seen: set[tuple[Path, str]]) -> None:
    if path.name == "pyproject.toml":
        parse_pyproject(path, root, inventory)
    elif path.name == "setup.cfg":
        parse_setup_cfg(path, root, inventory)
    elif path.name in LOCK_FILES or path.name.startswith("pylock."):
        parse_lock(path, root, inventory)
    else:
        parse_requirements(path, root, inventory, seen=seen)


def build_inventory(target: Path) -> Inventory:
    """Every dependency of the project at `target` (a directory, or one dependency file)."""
    root = target.parent if target.is_file() else target
    files = [target] if target.is_file() else discover(target)
    inventory = Inventory()
    included: set[Path] = set()
    for path in files:
        if is_requirements_file(path) or path == target:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            for _, value in requirement_references(text):
                included.add((path.parent / value).resolve())
    seen: set[tuple[Path, str]] = set()
    for path in files:
        if path.resolve() in included and path != target:
            continue  # read through the file that includes it, as what it is there
        parse_file(path, root, inventory, seen)
    apply_constraints(inventory.dependencies)
    inventory.indexes = sorted(set(inventory.indexes))
    return inventory
