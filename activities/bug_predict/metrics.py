"""Per-function metrics with lizard (cyclomatic complexity, length, nesting, parameters),
summed up per file with its size."""

from __future__ import annotations

from functools import cache

import lizard

from workflows.bug_predict.models import FileMetrics, FunctionMetrics


@cache
def _analyzer() -> lizard.FileAnalyzer:
    # "nd" adds max_nesting_depth to every function.
    return lizard.FileAnalyzer(lizard.get_extensions(["nd"]))


def function_metrics(source: str, file: str) -> list[FunctionMetrics]:
    return _functions(_analyzer().analyze_source_code(file, source))


def _functions(info: lizard.FileInformation) -> list[FunctionMetrics]:
    return [
        FunctionMetrics(
            name=fn.name,
            line=fn.start_line,
            complexity=fn.cyclomatic_complexity,
            length=fn.length,
            nloc=fn.nloc,
            nesting=getattr(fn, "max_nesting_depth", 0) or 0,
            parameters=fn.parameter_count,
        )
        for fn in info.function_list
    ]


def file_metrics(source: str, file: str, size_bytes: int) -> FileMetrics:
    info = _analyzer().analyze_source_code(file, source)
    functions = _functions(info)
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
