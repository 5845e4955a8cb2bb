"""Reading workflow spec files (TOML or YAML) with errors that point at the line.

A spec is written by hand, so every problem becomes one `path:line: message` line an
editor can jump to. pydantic judges the data (`workflows/spec.py`); this module maps
each error's location back to the key in the source text.
"""

from __future__ import annotations

import bisect
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workflows.composed.spec import STEP_KINDS, WorkflowSpec
from workflows.registry import registry

SUFFIXES = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
SCALAR_END = re.compile(r"[,\]}\n#]")
TOML_ERROR_AT = re.compile(r"\(at line (\d+), column \d+\)")

Loc = tuple[str | int, ...]


class SpecError(Exception):
    """One problem in one spec file, printed the way compilers do: `path:line: message`."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = " ".join(message.split())
        super().__init__(f"{path}:{line}: {self.message}")


def spec_folder() -> Path:
    """`$ATTUNE_WORKFLOWS`, else `$ATTUNE_HOME/workflows` (`~/.attune/workflows`)."""
    if folder := os.environ.get("ATTUNE_WORKFLOWS"):
        return Path(folder).expanduser()
    home = os.environ.get("ATTUNE_HOME") or Path.home() / ".attune"
    return Path(home).expanduser() / "workflows"


def load_spec(path: Path, known_workflows: set[str] | None = None) -> WorkflowSpec:
    """`known_workflows` adds plugin workflow names to the built-in catalog's."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SpecError(path, 1, f"not a spec file: use one of {', '.join(SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, 1, f"cannot read: {exc}") from None
    data, lines = _parse_toml(path, text) if fmt == "toml" else _parse_yaml(path, text)
    context = {"workflows": {f.name for f in registry().listed()} | (known_workflows or set())}
    try:
        return WorkflowSpec.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        loc, message = _describe(errors[0])
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        raise SpecError(path, _line_of(lines, loc), message) from None


def discover_specs(
    folder: Path, known_workflows: set[str] | None = None
) -> list[tuple[Path, WorkflowSpec | SpecError]]:
    """Every spec in `folder`, broken ones included, so `attune workflow list` can show why."""
    if not folder.is_dir():
        return []
    found: list[tuple[Path, WorkflowSpec | SpecError]] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        try:
            spec = load_spec(path, known_workflows)
        except SpecError as exc:
            found.append((path, exc))
            continue
        if spec.name in seen:
            found.append(
                (path, SpecError(path, 1, f"name {spec.name!r} is also {seen[spec.name]}"))
            )
            continue
        seen[spec.name] = path
        found.append((path, spec))
    return found


def _describe(error: Any) -> tuple[Loc, str]:
    """A user-facing location and message for one pydantic error (union tags dropped)."""
    loc: Loc = tuple(error["loc"])
    if len(loc) > 2 and loc[0] == "steps" and isinstance(loc[1], int) and loc[2] in STEP_KINDS:
        loc = loc[:2] + loc[3:]
    kind, message, value = error["type"], error["msg"], error["input"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = ", ".join(STEP_KINDS)
        if kind == "union_tag_not_found":
            message = f"missing key 'kind' (one of: {expected})"
        else:
            loc += ("kind",)
            message = f"unknown step kind {value.get('kind')!r} (one of: {expected})"
    elif kind == "missing":
        message = f"missing key {loc[-1]!r}"
        loc = loc[:-1]
    elif kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
    elif not kind.startswith("spec_") and isinstance(value, str | int | float | bool):
        message = f"{message}, got {value!r}"
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return loc, f"{where.lstrip('.')}: {message}" if where else message


def _line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of the deepest part of `loc` the source has (a missing key: its table)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _parse_toml(path: Path, text: str) -> tuple[Any, dict[Loc, int]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        if line is None:
            at = TOML_ERROR_AT.search(message)
            line = int(at[1]) if at else text.count("\n") + 1
        raise SpecError(
            path, line, f"TOML syntax error: {TOML_ERROR_AT.sub('', message)}"
        ) from None
    return data, _TomlLocator(text).lines


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[Loc, int]]:
    try:
        import yaml  # Only YAML specs need it.
    except ImportError:
        raise SpecError(path, 1, "YAML specs need PyYAML: pip install pyyaml") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SpecError(path, line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SpecError(path, 1, f"YAML syntax error: {exc}") from None
    lines: dict[Loc, int] = {(): 1}
    if node is not None:
        _yaml_lines(path, node, (), lines)
    return data, lines


def _yaml_lines(path: Path, node: Any, loc: Loc, lines: dict[Loc, int]) -> None:
    """Record the line of every key and list item; duplicate keys are errors, not overrides."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*loc, key_node.value)
            if child in lines:
                line = key_node.start_mark.line + 1
                raise SpecError(path, line, f"duplicate key {key_node.value!r}")
            lines[child] = key_node.start_mark.line + 1
            _yaml_lines(path, value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _yaml_lines(path, item, (*loc, i), lines)


class _TomlLocator:
    """The line of every key, table and array item of a TOML text tomllib accepted.

    tomllib keeps no positions, so this skims the text once more: it only needs to
    find where things start, and may assume the text is valid TOML.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.lines: dict[Loc, int] = {(): 1}
        self.tables: dict[tuple[str, ...], int] = {}
        self._document()

    def _line(self) -> int:
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def _skip(self, newlines: bool = True) -> None:
        """Past blanks and comments (and line ends, unless a key/value line must end)."""
        blanks = " \t\r\n" if newlines else " \t"
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in blanks:
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def _document(self) -> None:
        table: Loc = ()
        while True:
            self._skip()
            if self.pos >= len(self.text):
                return
            line = self._line()
            if self.text.startswith("[[", self.pos):
                self.pos += 2
                keys = self._key()
                self.pos = self.text.index("]]", self.pos) + 2
                count = self.tables.get(keys, 0)
                self.tables[keys] = count + 1
                table = (*self._resolve(keys[:-1]), keys[-1], count)
                self.lines[table] = line
            elif self.text.startswith("[", self.pos):
                self.pos += 1
                keys = self._key()
                self.pos = self.text.index("]", self.pos) + 1
                table = self._resolve(keys)
                self.lines.setdefault(table, line)
            else:
                self._pair(table)

    def _resolve(self, keys: tuple[str, ...]) -> Loc:
        """`[steps.params]` after `[[steps]]` means the params of the last step."""
        loc: Loc = ()
        for i, key in enumerate(keys):
            loc = (*loc, key)
            if keys[: i + 1] in self.tables:
                loc = (*loc, self.tables[keys[: i + 1]] - 1)
        return loc

    def _string(self) -> str:
        """A one-line string: a quoted key or a value."""
        start = self.pos + 1
        quote = self.text[self.pos]
        end = start
        while self.text[end] != quote:
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        self.pos = end + 1
        return self.text[start:end]

    def _key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self._skip(newlines=False)
            if self.text[self.pos] in "\"'":
                parts.append(self._string())
            else:
                match = BARE_KEY.match(self.text, self.pos)
                assert match, "tomllib accepted this text"
                parts.append(match[0])
                self.pos = match.end()
            self._skip(newlines=False)
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self.pos += 1

    def _pair(self, table: Loc) -> None:
        line = self._line()
        loc = (*table, *self._key())
        self.lines[loc] = line
        self.pos = self.text.index("=", self.pos) + 1
        self._skip(newlines=False)
        self._value(loc)

    def _value(self, loc: Loc) -> None:
        text = self.text
        for quotes in ('"""', "'''"):
            if text.startswith(quotes, self.pos):
                end = self.pos + 3
                while not text.startswith(quotes, end):
                    end += 2 if quotes[0] == '"' and text[end] == "\\" else 1
                # Up to two quotes may close the string right before the delimiter.
                while text.startswith(quotes[0], end + 3):
                    end += 1
                self.pos = end + 3
                return
        char = text[self.pos]
        if char in "\"'":
            self._string()
        elif char == "[":
            self._items(loc)
        elif char == "{":
            self._inline_table(loc)
        else:
            match = SCALAR_END.search(text, self.pos)
            self.pos = match.start() if match else len(text)

    def _items(self, loc: Loc) -> None:
        self.pos += 1
        index = 0
        while True:
            self._skip()
            if self.text[self.pos] == "]":
                self.pos += 1
                return
            self.lines[(*loc, index)] = self._line()
            self._value((*loc, index))
            index += 1
            self._skip()
            if self.text[self.pos] == ",":
                self.pos += 1

    def _inline_table(self, loc: Loc) -> None:
        self.pos += 1
        while True:
            self._skip()
            if self.text[self.pos] == "}":
                self.pos += 1
                return
            self._pair(loc)
            self._skip()
            if self.text[self.pos] == ",":
                self.pos += 1
