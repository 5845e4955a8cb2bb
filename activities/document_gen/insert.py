"""Putting drafted docstrings into the source with libcst, so everything else in the file
(comments, blank lines, quotes, formatting) stays byte for byte as it was, and the change
as a unified diff in git's a/ b/ form.

Definitions are matched by qualified name and occurrence, the way `draft_targets`
numbers them, never by line: the same walk order on both trees names the same node.
"""

from __future__ import annotations

import difflib
from collections import Counter

import libcst as cst


def _quoted(text: str, indent: str) -> str:
    """`text` as a triple-quoted docstring whose continuation lines carry `indent`."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = text.split("\n")
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(f"{indent}{line}" if line else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{indent}"""'


def _docstring_line(text: str, indent: str) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Expr(cst.SimpleString(_quoted(text, indent)))])


class _Inserter(cst.CSTTransformer):
    def __init__(self, docstrings: dict[tuple[str, int], str], default_indent: str) -> None:
        super().__init__()
        self.docstrings = docstrings
        self.default_indent = default_indent
        self.names: list[str] = []
        self.blocks: list[str] = []
        self.seen: Counter[str] = Counter()
        self.keys: list[tuple[str, int]] = []
        self.inserted: set[tuple[str, int]] = set()

    def _enter(self, name: str, body: cst.BaseSuite) -> None:
        qualname = ".".join([*self.names, name])
        self.keys.append((qualname, self.seen[qualname]))
        self.seen[qualname] += 1
        self.names.append(name)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self.blocks.append(node.indent if node.indent is not None else self.default_indent)
        return True

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock):
        self.blocks.pop()
        return updated

    def _leave(self, node: cst.FunctionDef | cst.ClassDef) -> cst.FunctionDef | cst.ClassDef:
        key = self.keys.pop()
        self.names.pop()
        body = node.body
        own = body.indent if isinstance(body, cst.IndentedBlock) else None
        indent = "".join(self.blocks) + (own if own is not None else self.default_indent)
        text = self.docstrings.get(key)
        if text is None:
            return node
        self.inserted.add(key)
        line = _docstring_line(text, indent)
        if isinstance(body, cst.IndentedBlock):
            return node.with_changes(body=body.with_changes(body=[line, *body.body]))
        statements = [cst.SimpleStatementLine(body=list(body.body))]
        return node.with_changes(body=cst.IndentedBlock(body=[line, *statements]))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._enter(node.name.value, node.body)
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        return self._leave(updated)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._enter(node.name.value, node.body)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef):
        return self._leave(updated)


def insert_docstrings(source: str, docstrings: dict[tuple[str, int], str]) -> tuple[str, int]:
    """`source` with each (qualname, occurrence) -> docstring text inserted as the first
    statement of that definition, and how many were inserted."""
    module = cst.parse_module(source)
    inserter = _Inserter(docstrings, module.default_indent)
    changed = module.visit(inserter)
    return changed.code, len(inserter.inserted)


def unified_diff(file: str, before: str, after: str) -> str:
    """git's form (a/ and b/ prefixes), which `git apply` and reviewers both read."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{file}",
            tofile=f"b/{file}",
        )
    )
