"""What the engines read from a module's source before running anything.

The public functions and methods worth a test, how a method's class is built, and the
exceptions each function raises on purpose (an explicit `raise` in it or in the module
code it calls). The ghostwriter tolerates those exceptions; the AST engine pins the
deliberate ones with `pytest.raises` and reports any other exception as a possible bug.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FunctionInfo:
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    owner: str | None = None
    owner_builds_bare: bool = False
    owner_init: ast.FunctionDef | None = None
    kind: str = "function"
    raises: list[str] = field(default_factory=list)


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] for d in node.decorator_list}


def _required(node: ast.FunctionDef | ast.AsyncFunctionDef, skip: int) -> int:
    args = node.args
    positional = [*args.posonlyargs, *args.args][skip:]
    missing_kw = sum(d is None for d in args.kw_defaults)
    return max(0, len(positional) - len(args.defaults)) + missing_kw


def explicit_raises(node: ast.AST) -> list[str]:
    """Names of the exception classes a function raises itself, in source order."""
    names: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            name = ast.unparse(exc).rsplit(".", 1)[-1]
            if name[:1].isupper() and name not in names:
                names.append(name)
    return names


def _called(node: ast.AST) -> set[str]:
    return {
        sub.func.id if isinstance(sub.func, ast.Name) else sub.func.attr
        for sub in ast.walk(node)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name | ast.Attribute)
    }


def reachable_raises(tree: ast.Module) -> dict[str, list[str]]:
    """For each function or method name, what it and the module's code it calls raise.

    Names are bare (`parse`, `_build`), so a method call reaches every same-named
    function of the module: generous, which is what a list of tolerated exceptions needs.
    """
    own: dict[str, list[str]] = {}
    calls: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            own.setdefault(node.name, []).extend(explicit_raises(node))
            calls.setdefault(node.name, set()).update(_called(node))
    reach: dict[str, list[str]] = {}
    for name in own:
        seen, todo, raised = {name}, [name], []
        while todo:
            for exc in own.get(current := todo.pop(), []):
                if exc not in raised:
                    raised.append(exc)
            for callee in calls.get(current, set()) - seen:
                if callee in own:
                    seen.add(callee)
                    todo.append(callee)
        reach[name] = raised
    return reach


def public_functions(tree: ast.Module) -> list[FunctionInfo]:
    """Module-level functions and methods of module-level classes, skipping `_private`.

    `raises` holds what the function raises itself or through the module's own helpers.
    """
    found: list[FunctionInfo] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                found.append(FunctionInfo(node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += _methods(node)
    reach = reachable_raises(tree)
    for info in found:
        info.raises = reach.get(info.node.name, [])
    return found


def _methods(cls: ast.ClassDef) -> list[FunctionInfo]:
    init = next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    bare = (init is None and not cls.bases) or (init is not None and _required(init, 1) == 0)
    found = []
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name.startswith("_"):
            continue
        decorators = _decorators(node)
        if "property" in decorators or "setter" in decorators:
            continue
        kind = (
            "staticmethod"
            if "staticmethod" in decorators
            else "classmethod"
            if "classmethod" in decorators
            else "method"
        )
        found.append(
            FunctionInfo(
                f"{cls.name}.{node.name}",
                node,
                owner=cls.name,
                owner_builds_bare=bare,
                owner_init=init,
                kind=kind,
            )
        )
    return found


def module_file(module: str, import_root: Path) -> Path | None:
    base = import_root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def read_functions(module: str, import_root: Path) -> tuple[list[FunctionInfo], str | None]:
    """The module's public functions, or why there are none to test."""
    source = module_file(module, import_root)
    if source is None:
        return [], f"no source file for {module} under {import_root}"
    try:
        functions = public_functions(ast.parse(source.read_text()))
    except (SyntaxError, UnicodeDecodeError) as err:
        return [], f"{source.name} does not parse: {err}"
    return functions, None if functions else f"{module} has no public function"
