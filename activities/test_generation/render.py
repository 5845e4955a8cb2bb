"""One way, shared by every engine, to turn a behaviour into a readable candidate test.

Engines differ in how they find behaviours (Pynguin's search, Hypothesis's ghostwriter,
attune's AST analysis) but not in how a test reads: a name that says the behaviour
(`test_<function>_returns_<x>_for_<input>`, `test_<function>_raises_<exc>`), a docstring
with the same sentence, `# Given` / `# When` / `# Then` sections, and only the imports the
body uses. Keeping that here means a reviewer sees one style whatever engine wrote it.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflows.test_generation.candidates import CandidateTest, Engine

MAX_NAME = 80
MAX_SLUG = 24
MAX_SENTENCE = 120


@dataclass
class Behaviour:
    """One behaviour of one function, as statements (source lines, unindented)."""

    function: str
    outcome: str
    sentence: str
    given: list[str] = field(default_factory=list)
    when: list[str] = field(default_factory=list)
    then: list[str] = field(default_factory=list)
    inputs: str | None = None
    input_slug: str = ""
    decorators: list[str] = field(default_factory=list)
    params: str = ""


def snake(text: str) -> str:
    """`Stack.pop` -> `stack_pop`, `ValueError` -> `value_error`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.replace(".", "_"))
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def value_slug(source: str) -> str:
    """A short identifier-safe word for a literal: `-3` -> `minus_3`, `''` -> `empty_str`."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return snake(source)[:MAX_SLUG] or "value"
    if value is None or isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        text = repr(value).replace("-", "minus_").replace(".", "_").replace("+", "")
        return snake(text)[:MAX_SLUG] or "number"
    if isinstance(value, str | bytes | list | tuple | dict | set) and not value:
        return f"empty_{type(value).__name__}"
    if isinstance(value, str):
        return snake(value)[:MAX_SLUG] or "text"
    return f"{type(value).__name__}_of_{len(value)}" if hasattr(value, "__len__") else "value"


def test_name(function: str, outcome: str, input_slug: str = "") -> str:
    name = f"test_{snake(function)}_{outcome}"
    if input_slug:
        name += f"_for_{input_slug}"
    name = re.sub(r"_+", "_", name)[:MAX_NAME].rstrip("_")
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"{name}_case"


def used_names(source: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def needed_imports(body: str, table: Mapping[str, str]) -> list[str]:
    """The import statements of `table` (name -> statements, one a line) the body uses."""
    names = used_names(body)
    return sorted({line for name in names if name in table for line in table[name].splitlines()})


def one_line(sentence: str) -> str:
    """The behaviour on one docstring-safe line: quotes and backslashes defused, cut short."""
    text = " ".join(sentence.split())
    if len(text) > MAX_SENTENCE:
        text = text[: MAX_SENTENCE - 3].rstrip() + "..."
    return text.replace("\\", "\\\\").replace('"', "'")


def render_body(name: str, behaviour: Behaviour) -> str:
    def section(comment: str, lines: Iterable[str]) -> list[str]:
        return [f"    {comment}"] + [f"    {row}" for line in lines for row in line.splitlines()]

    given = list(behaviour.given)
    lines = [*behaviour.decorators, f"def {name}({behaviour.params}) -> None:"]
    lines.append(f'    """{one_line(behaviour.sentence)}"""')
    lines += section("# Given" if given else "# Given no setup", given)
    lines += section("# When", behaviour.when)
    lines += section("# Then", behaviour.then)
    body = "\n".join(lines) + "\n"
    ast.parse(body)
    return body


def candidate(
    engine: Engine, module: str, behaviour: Behaviour, imports: Mapping[str, str]
) -> CandidateTest:
    name = test_name(behaviour.function, behaviour.outcome, behaviour.input_slug)
    body = render_body(name, behaviour)
    return CandidateTest(
        engine=engine,
        module=module,
        function=behaviour.function,
        name=name,
        behaviour=one_line(behaviour.sentence),
        imports=needed_imports(body, imports),
        body=body,
        inputs=behaviour.inputs,
    )


def deduplicate(candidates: Iterable[CandidateTest]) -> list[CandidateTest]:
    """Drop tests whose body repeats another's; number the names that still collide."""
    seen_bodies: set[str] = set()
    taken: set[str] = set()
    kept: list[CandidateTest] = []
    for test in candidates:
        shape = test.body.replace(test.name, "").replace(test.behaviour, "")
        if shape in seen_bodies:
            continue
        seen_bodies.add(shape)
        name, n = test.name, 2
        while name in taken:
            name, n = f"{test.name}_{n}", n + 1
        taken.add(name)
        if name != test.name:
            body = test.body.replace(f"def {test.name}(", f"def {name}(", 1)
            test = test.model_copy(update={"name": name, "body": body})
        kept.append(test)
    return kept


def safe_identifier(text: str, taken: set[str]) -> str:
    """A fresh local name from `text` that shadows neither a builtin nor another local."""
    base = snake(text) or "value"
    if base[0].isdigit() or keyword.iskeyword(base) or hasattr(builtins, base):
        base = f"{base}_value" if not base[0].isdigit() else f"value_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


@dataclass
class ModuleHeader:
    """What an engine's generated module imports, and the names it calls the target by."""

    module: str
    aliases: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)

    def unqualify(self, node: ast.AST) -> ast.AST:
        return _Unqualify(self).visit(node)


def read_header(tree: ast.Module, module: str, imports: dict[str, str]) -> ModuleHeader:
    """The import table (local name -> statement) of a generated test module.

    The target module's own import and any `sys.modules[...]` alias of it become
    aliases: tests then import the names they use directly (`from calc import f`).
    """
    header = ModuleHeader(module, {module}, dict(imports))

    def add(local: str, statement: str) -> None:
        known = header.imports.get(local, "").splitlines()
        header.imports[local] = "\n".join(dict.fromkeys([*known, statement]))

    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == module:
                    header.aliases.add(alias.asname or module)
                if alias.asname is None or alias.name != module:
                    local = alias.asname or alias.name.split(".")[0]
                    add(local, ast.unparse(ast.Import(names=[alias])))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                add(local, ast.unparse(ast.ImportFrom(node.module, [alias], node.level)))
        elif isinstance(node, ast.Assign) and "sys.modules" in ast.unparse(node.value):
            header.aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return header


class _Unqualify(ast.NodeTransformer):
    """`calc_.classify` -> `classify`, recording `from calc import classify`.

    Engines call the target through a module alias; a test reads better, and imports
    only what it uses, with the names imported directly.
    """

    def __init__(self, header: ModuleHeader) -> None:
        self.header = header

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        dotted = ast.unparse(node.value)
        if dotted in self.header.aliases:
            module = self.header.module
            self.header.imports[node.attr] = f"from {module} import {node.attr}"
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        return self.generic_visit(node)
