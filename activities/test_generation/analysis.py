"""What the engines read from a module's source before running anything.

The public functions and methods worth a test, whether a method's class can be built
without arguments, and the exceptions each function raises on purpose (an explicit
`raise`). Ghostwriter tolerates those exceptions; the AST engine pins them with
`pytest.raises` and reports any other exception as a possible bug.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class FunctionInfo:
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    owner: str | None = None
    owner_builds_bare: bool = False
    kind: str = "function"
    raises: list[str] = field(default_factory=list)

    @property
    def params(self) -> list[ast.arg]:
        args = self.node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        return params[1:] if self.kind in ("method", "classmethod") else params


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


def public_functions(tree: ast.Module) -> list[FunctionInfo]:
    """Module-level functions and methods of module-level classes, skipping `_private`."""
    found: list[FunctionInfo] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                found.append(FunctionInfo(node.name, node, raises=explicit_raises(node)))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += _methods(node)
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
                kind=kind,
                raises=explicit_raises(node),
            )
        )
    return found
