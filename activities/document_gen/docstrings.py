"""What a docstring must say, read from the code, and the docstrings attune drafts.

`style_votes` counts the docstring conventions a file already uses (Google, NumPy or
reST, and whether arguments carry their types), so a draft follows the project.
`draft_targets` lists the functions and classes of a file that have no docstring, with
the facts a complete docstring needs: the parameters and their annotations, whether a
value is returned or yielded, and the exceptions the body raises, extracted the way
pydoclint reads them so the drafts pass its checks. `render` writes one docstring in a
style; its summary line starts with DRAFT_MARK until a person accepts it.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from pydantic import BaseModel, Field

Style = Literal["google", "numpy", "rest"]
STYLES: tuple[Style, ...] = ("google", "numpy", "rest")
DRAFT_MARK = "TODO(attune draft):"
"""Starts every drafted summary: greppable, flagged by linters that flag TODOs (ruff FIX002),
and left to a person to remove once the text is right."""
PLACEHOLDER = "TODO(attune draft)."
"""The description of a parameter, return value or exception nobody has written yet."""

_GOOGLE = re.compile(r"^\s*(Args|Arguments|Returns|Yields|Raises):\s*$", re.MULTILINE)
_GOOGLE_TYPED_ARG = re.compile(r"^\s+\*{0,2}\w+ \([^)]*\):", re.MULTILINE)
_NUMPY = re.compile(r"^\s*(Parameters|Returns|Yields|Raises)\s*\n\s*-{3,}\s*$", re.MULTILINE)
_REST = re.compile(r"^\s*:(param|returns?|rtype|raises?|type)\b", re.MULTILINE)
_REST_TYPED = re.compile(r"^\s*:type \w+:", re.MULTILINE)
GENERATOR_ANNOTATIONS = frozenset({"Generator", "AsyncGenerator"})
ITERATOR_TYPES = GENERATOR_ANNOTATIONS | {"Iterator", "Iterable", "AsyncIterator", "AsyncIterable"}


class StyleVotes(BaseModel):
    """Docstrings of each convention, and how many document argument types."""

    google: int = 0
    numpy: int = 0
    rest: int = 0
    typed: int = 0
    untyped: int = 0

    def add(self, other: StyleVotes) -> StyleVotes:
        return StyleVotes(
            **{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields}
        )

    def style(self) -> Style:
        """The most used convention; Google when nothing says otherwise."""
        counts = {"google": self.google, "numpy": self.numpy, "rest": self.rest}
        best = max(STYLES, key=lambda s: (counts[s], s == "google"))
        return best if counts[best] else "google"

    def typed_args(self, style: Style) -> bool:
        """NumPy docstrings always carry types; the others when most of the project's do."""
        return style == "numpy" or self.typed > self.untyped


def docstrings_of(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node, clean=True)
            if text:
                yield text


def style_votes(tree: ast.Module) -> StyleVotes:
    votes = StyleVotes()
    for text in docstrings_of(tree):
        if _NUMPY.search(text):
            votes.numpy += 1
        elif _GOOGLE.search(text):
            votes.google += 1
            typed = bool(_GOOGLE_TYPED_ARG.search(text))
            votes.typed += typed
            votes.untyped += not typed and "Args:" in text
        elif _REST.search(text):
            votes.rest += 1
            typed = bool(_REST_TYPED.search(text))
            votes.typed += typed
            votes.untyped += not typed and ":param" in text
    return votes


class Param(BaseModel):
    name: str = Field(description="As pydoclint names it: `*args`, `**kwargs` with stars")
    annotation: str | None = None
    default: str | None = None


class DraftTarget(BaseModel):
    """A function, method or class without a docstring, and what its docstring must say."""

    file: str
    qualname: str
    occurrence: int = Field(default=0, description="Which def of that qualname, in order")
    line: int
    kind: Literal["function", "method", "class"]
    params: list[Param] = Field(default_factory=list)
    returns: bool = False
    return_annotation: str | None = None
    yields: bool = False
    yield_annotation: str | None = None
    raises: list[str] = Field(default_factory=list)
    complexity: int = 1
    nloc: int = 0
    source: str = Field(default="", description="The definition's code, for a summary prompt")

    @property
    def key(self) -> str:
        return f"{self.file}::{self.qualname}#{self.occurrence}"


def _unparse(node: ast.expr | None) -> str | None:
    return ast.unparse(node) if node is not None else None


def _params(args: ast.arguments, skip_first: bool) -> list[Param]:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    found = [
        Param(name=a.arg, annotation=_unparse(a.annotation), default=_unparse(d))
        for a, d in zip(positional, defaults, strict=True)
    ]
    if skip_first and found:
        found = found[1:]
    if args.vararg:
        found.append(Param(name=f"*{args.vararg.arg}", annotation=_unparse(args.vararg.annotation)))
    found += [
        Param(name=a.arg, annotation=_unparse(a.annotation), default=_unparse(d))
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    if args.kwarg:
        found.append(Param(name=f"**{args.kwarg.arg}", annotation=_unparse(args.kwarg.annotation)))
    # pydoclint leaves out arguments named only with underscores (`_`, `__`).
    return [p for p in found if set(p.name.lstrip("*")) != {"_"}]


def own_nodes(function: ast.AST) -> Iterator[tuple[ast.AST, ast.ExceptHandler | None]]:
    """The nodes of a function's body outside nested functions, classes and lambdas, each
    with the except handler it sits in."""
    stack: list[tuple[ast.AST, ast.ExceptHandler | None]] = [
        (child, None) for child in reversed(getattr(function, "body", []))
    ]
    while stack:
        node, handler = stack.pop()
        yield node, handler
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        inner = node if isinstance(node, ast.ExceptHandler) else handler
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _handler_types(handler: ast.ExceptHandler | None) -> list[str]:
    if handler is None or handler.type is None:
        return []
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [ast.unparse(t) for t in types if isinstance(t, ast.Name | ast.Attribute)]


def _first_name(node: ast.AST) -> str | None:
    """The first name a depth-first walk meets, as pydoclint picks a raised exception's."""
    if isinstance(node, ast.Name):
        return node.id
    for child in ast.iter_child_nodes(node):
        found = _first_name(child)
        if found is not None:
            return found
    return None


def raised(function: ast.AST) -> list[str]:
    """The exceptions a function's own body raises, named as pydoclint names them: the
    class for `raise E(...)`, the dotted path for `raise m.E`, the handler's types for a
    bare `raise` or for re-raising the handler's variable."""
    if not pydoclint_sees(function, lambda node: isinstance(node, ast.Raise)):
        return []
    names: set[str] = set()
    for node, handler in own_nodes(function):
        if not isinstance(node, ast.Raise):
            continue
        exc = node.exc
        if exc is None:
            names.update(_handler_types(handler))
        elif isinstance(exc, ast.Attribute):
            names.add(ast.unparse(exc))
        elif isinstance(exc, ast.Call) and isinstance(exc.func, ast.Attribute):
            names.add(ast.unparse(exc.func))
        elif (first := _first_name(exc)) is not None:
            if handler is not None and handler.name == first:
                names.update(_handler_types(handler))
            else:
                names.add(first)
    return sorted(names)


_BLOCKS = (
    ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.TryStar,
    ast.ExceptHandler, ast.match_case, ast.FunctionDef, ast.AsyncFunctionDef,
)  # fmt: skip


def pydoclint_sees(function: ast.AST, wanted: Callable[[ast.AST], bool]) -> bool:
    """Whether pydoclint finds a statement of a kind in a function: it takes the first one
    a breadth-first walk meets (nested functions included) directly under the function
    or a block, and counts it only if it is not inside a nested function. So a nested
    helper's `raise` listed before the function's own hides the latter from it; a draft
    documents what pydoclint will check, or it fails the check."""
    parents: dict[ast.AST, ast.AST] = {}
    queue: deque[ast.AST] = deque([function])
    while queue:
        node = queue.popleft()
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            queue.append(child)
        parent = parents.get(node)
        if node is function or not wanted(node) or not isinstance(parent, _BLOCKS):
            continue
        while not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            parent = parents[parent]
        return parent is function
    return False


def yields_seen(function: ast.AST) -> bool:
    return pydoclint_sees(
        function,
        lambda node: (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield | ast.YieldFrom)
        ),
    )


def _annotation_name(annotation: ast.expr | None) -> str | None:
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    if isinstance(annotation, ast.Name):
        return annotation.id
    return None


def _yield_type(annotation: ast.expr | None) -> str | None:
    if isinstance(annotation, ast.Subscript):
        inner = annotation.slice
        first = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
        return ast.unparse(first)
    return None


def _is_none(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Constant) and annotation.value is None


def function_facts(
    node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool
) -> dict[str, object]:
    """Parameters, returns, yields and raises of one function, for its DraftTarget. A
    Returns section is due where pydoclint wants one: a `return` statement it sees, or a
    return annotation other than None, NoReturn or a generator; a Yields section where
    the function yields."""
    decorators = {_annotation_name(d) for d in node.decorator_list}
    skip_first = in_class and "staticmethod" not in decorators
    annotation = node.returns
    kind = _annotation_name(annotation)
    yields = yields_seen(node)
    has_return = pydoclint_sees(node, lambda n: isinstance(n, ast.Return))
    iterator = kind in ITERATOR_TYPES
    returns = (
        not _is_none(annotation)
        and kind != "NoReturn"
        and not (yields and not has_return and iterator)
        and (has_return or (annotation is not None and kind not in GENERATOR_ANNOTATIONS))
    )
    if yields and has_return:
        # A generator's bare `return` only stops it: pydoclint wants no Returns section.
        bare = pydoclint_sees(node, lambda n: isinstance(n, ast.Return) and n.value is None)
        returns = returns and not bare
    return {
        "params": _params(node.args, skip_first),
        "returns": returns,
        "return_annotation": _unparse(annotation) if returns else None,
        "yields": yields,
        "yield_annotation": _yield_type(annotation) if yields and iterator else None,
        "raises": raised(node),
    }


def _init_of(cls: ast.ClassDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for child in cls.body:
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and child.name == "__init__":
            return child
    return None


def _has_docstring(node: ast.AST) -> bool:
    return ast.get_docstring(node, clean=False) is not None  # type: ignore[arg-type]


def _wanted(name: str, scope: str, drafts: str) -> bool:
    """Which definitions get a draft: with `public`, neither private names, nor dunders,
    nor nested functions (whose callers are their enclosing function)."""
    if name == "__init__":
        return False  # its arguments are documented in the class docstring
    if drafts == "all":
        return True
    return not name.startswith("_") and scope != "function"


Definition = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def definitions(tree: ast.Module) -> Iterator[tuple[Definition, str, int, str]]:
    """Every class and function of `tree` in source order, with its qualified name, which
    definition of that name it is, and the scope it sits in (module, class or function).
    Definitions under `if`, `try` and the like keep their enclosing scope's prefix."""
    seen: Counter[str] = Counter()

    def visit(nodes: Iterable[ast.AST], prefix: str, scope: str) -> Iterator:
        for node in nodes:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = f"{prefix}{node.name}"
                yield node, qualname, seen[qualname], scope
                seen[qualname] += 1
                inner = "class" if isinstance(node, ast.ClassDef) else "function"
                yield from visit(node.body, f"{qualname}.", inner)
            elif isinstance(node, ast.stmt | ast.excepthandler | ast.match_case):
                yield from visit(ast.iter_child_nodes(node), prefix, scope)

    yield from visit(tree.body, "", "module")


def draft_targets(tree: ast.Module, source: str, file: str, drafts: str) -> list[DraftTarget]:
    """Every function, method and class of `tree` without a docstring that `drafts`
    ("public", "all" or "none") asks for, in source order."""
    if drafts == "none":
        return []
    lines = source.splitlines()
    return [
        _target(node, qualname, occurrence, scope, file, lines)
        for node, qualname, occurrence, scope in definitions(tree)
        if not _has_docstring(node) and _wanted(node.name, scope, drafts)
    ]


def _target(
    node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef,
    qualname: str,
    occurrence: int,
    scope: str,
    file: str,
    lines: list[str],
) -> DraftTarget:
    end = node.end_lineno or node.lineno
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    code = "\n".join(lines[first - 1 : end])
    common = {
        "file": file,
        "qualname": qualname,
        "occurrence": occurrence,
        "line": node.lineno,
        "nloc": sum(1 for line in lines[node.lineno - 1 : end] if line.strip()),
        "source": code,
    }
    if isinstance(node, ast.ClassDef):
        init = _init_of(node)
        if init is None or _has_docstring(init):
            return DraftTarget(kind="class", **common)
        # pydoclint checks a class docstring against its `__init__`: arguments and raises.
        params, raises = _params(init.args, skip_first=True), raised(init)
        return DraftTarget(kind="class", params=params, raises=raises, **common)
    kind = "method" if scope == "class" else "function"
    return DraftTarget(kind=kind, **function_facts(node, scope == "class"), **common)


# --- rendering --------------------------------------------------------------------------


class Texts(BaseModel):
    """What a person (or Claude) wrote for a draft; anything missing is a placeholder."""

    summary: str = ""
    params: dict[str, str] = Field(default_factory=dict)
    returns: str = ""
    yields: str = ""
    raises: dict[str, str] = Field(default_factory=dict)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def summary_line(target: DraftTarget, texts: Texts) -> str:
    name = target.qualname.rsplit(".", 1)[-1]
    what = _sentence(texts.summary) if texts.summary else f"say what `{name}` does."
    return f"{DRAFT_MARK} {what}"


def _param_text(param: Param, texts: Texts) -> str:
    text = _sentence(texts.params.get(param.name, "")) or PLACEHOLDER
    if param.default is not None and "default" not in text.lower():
        text += f" Defaults to `{param.default}`."
    return text


def render(target: DraftTarget, style: Style, typed: bool, texts: Texts | None = None) -> str:
    """The docstring's text (no quotes, no indentation) of a draft."""
    texts = texts or Texts()
    out = [summary_line(target, texts)]
    sections = {"google": _google, "numpy": _numpy, "rest": _rest}[style](target, typed, texts)
    if sections:
        out += ["", *sections]
    return "\n".join(out)


def _raise_text(name: str, texts: Texts) -> str:
    return _sentence(texts.raises.get(name, "")) or PLACEHOLDER


def _google(target: DraftTarget, typed: bool, texts: Texts) -> list[str]:
    out: list[str] = []
    if target.params:
        out.append("Args:")
        for p in target.params:
            kind = f" ({p.annotation})" if typed and p.annotation else ""
            out.append(f"    {p.name}{kind}: {_param_text(p, texts)}")
    for title, present, annotation, text in (
        ("Returns", target.returns, target.return_annotation, texts.returns),
        ("Yields", target.yields, target.yield_annotation, texts.yields),
    ):
        if present:
            lead = f"{annotation}: " if typed and annotation else ""
            out += ["" if out else None, f"{title}:", f"    {lead}{_sentence(text) or PLACEHOLDER}"]
    if target.raises:
        out += ["" if out else None, "Raises:"]
        out += [f"    {name}: {_raise_text(name, texts)}" for name in target.raises]
    return [line for line in out if line is not None]


def _numpy(target: DraftTarget, typed: bool, texts: Texts) -> list[str]:
    out: list[str] = []

    def section(title: str) -> None:
        if out:
            out.append("")
        out.extend([title, "-" * len(title)])

    if target.params:
        section("Parameters")
        for p in target.params:
            out.append(f"{p.name} : {p.annotation}" if p.annotation else p.name)
            out.append(f"    {_param_text(p, texts)}")
    for title, present, annotation, text in (
        ("Returns", target.returns, target.return_annotation, texts.returns),
        ("Yields", target.yields, target.yield_annotation, texts.yields),
    ):
        if present:
            section(title)
            out += [annotation or "object", f"    {_sentence(text) or PLACEHOLDER}"]
    if target.raises:
        section("Raises")
        for name in target.raises:
            out += [name, f"    {_raise_text(name, texts)}"]
    return out


def _rest(target: DraftTarget, typed: bool, texts: Texts) -> list[str]:
    out: list[str] = []
    for p in target.params:
        out.append(f":param {p.name}: {_param_text(p, texts)}")
        if typed and p.annotation:
            out.append(f":type {p.name}: {p.annotation}")
    if target.returns:
        out.append(f":return: {_sentence(texts.returns) or PLACEHOLDER}")
        if typed and target.return_annotation:
            out.append(f":rtype: {target.return_annotation}")
    if target.yields:
        out.append(f":yield: {_sentence(texts.yields) or PLACEHOLDER}")
        if typed and target.yield_annotation:
            out.append(f":ytype: {target.yield_annotation}")
    out += [f":raises {name}: {_raise_text(name, texts)}" for name in target.raises]
    return out
