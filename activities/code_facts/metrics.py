"""Per-function metrics with lizard (cyclomatic complexity, length, parameters) and `ast`
(nesting), summed up per file with its size.

Nesting is measured with `ast`, not lizard's "nd" extension: on Python, that extension
counts consecutive `if` blocks as deeper and deeper nesting (four sequential blocks read
as 4), while `ast` sees the real depth of compound statements."""

from __future__ import annotations

import ast
from functools import cache

import lizard

from workflows.code_facts import FileMetrics, FunctionMetrics


@cache
def _analyzer() -> lizard.FileAnalyzer:
    return lizard.FileAnalyzer(lizard.get_extensions([]))


BLOCKS = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)


def _depth(node: ast.AST) -> int:
    """Deepest nesting of compound statements under `node`, not entering nested defs."""
    deepest = 0
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        below = _depth(child)
        deepest = max(deepest, below + 1 if isinstance(child, BLOCKS) else below)
    return deepest


def nesting_by_line(source: str) -> dict[int, int]:
    """Each function's nesting depth, by the line of its `def`; {} when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {
        node.lineno: _depth(node)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def function_metrics(source: str, file: str) -> list[FunctionMetrics]:
    return _functions(_analyzer().analyze_source_code(file, source), nesting_by_line(source))


def _functions(info: lizard.FileInformation, nesting: dict[int, int]) -> list[FunctionMetrics]:
    return [
        FunctionMetrics(
            name=fn.name,
            line=fn.start_line,
            complexity=fn.cyclomatic_complexity,
            length=fn.length,
            nloc=fn.nloc,
            nesting=nesting.get(fn.start_line, 0),
            parameters=fn.parameter_count,
        )
        for fn in info.function_list
    ]


def file_metrics(source: str, file: str, size_bytes: int) -> FileMetrics:
    info = _analyzer().analyze_source_code(file, source)
    functions = _functions(info, nesting_by_line(source))
    worst = max(functions, key=lambda f: (f.complexity, -f.line), default=None)
    return FileMetrics(
        file=file,
        size_bytes=size_bytes,
        nloc=info.nloc,
        functions=len(functions),
        complexity=sum(f.complexity for f in functions),
        max_complexity=worst.complexity if worst else 0,
        max_function=worst.name if worst else None,
        max_length=max((f.length for f in functions), default=0),
        max_nesting=max((f.nesting for f in functions), default=0),
        max_parameters=max((f.parameters for f in functions), default=0),
    )
