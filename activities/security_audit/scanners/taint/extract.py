"""Facts of one parsed module: a flow-sensitive pass over each function's statements.

Each local variable maps to the labels its value may carry (see `facts`). Assignments
replace them, branches merge them, and a guard that ends its branch (`if x not in ALLOWED:
return`) cleans what it checked for the rest of the function. Calls to functions that may
live in the target become call labels for the solver; calls to anything else (methods,
library functions) let their arguments' and receiver's labels through to their result,
except sanitisers and calls whose result is a number or a boolean.

One pass, no fixpoint inside a function: loops are walked once, which already carries
`q += x` style accumulation; what a second iteration could add is rare in real code.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable

from activities.security_audit.scanners.ast_rules import char_column, source_lines
from activities.security_audit.scanners.taint import catalog
from activities.security_audit.scanners.taint.facts import (
    CallFact,
    FunctionFacts,
    ModuleFacts,
    SinkFact,
    SourceFact,
    module_name,
)

EMPTY: frozenset[str] = frozenset()
_STDLIB = sys.stdlib_module_names
Labels = frozenset[str]
_BUILDERS = (ast.JoinedStr, ast.BinOp)
_PATH_BUILDERS = frozenset({"join", "Path", "PurePath", "joinpath", "realpath", "abspath"})
_PATH_WRAPPERS = frozenset(
    {"Path", "realpath", "abspath", "normpath", "resolve", "absolute", "expanduser", "str"}
)
# A boolean call named like one of these vouches for its arguments when true:
# `if check_for_language(code):`, `if is_valid_host(host):`.
_VALIDATOR_WORDS = ("valid", "check", "allow", "safe", "verify", "permit")
_ALLOW_WORDS = ("allow", "valid", "permit", "safe", "known", "white", "choices", "accepted")
# A URL is confined by its host: `urlparse(url).hostname in HOSTS` (or through a variable
# holding `urlparse(url)`) vouches for `url`; its scheme or path alone does not.
_URL_PARSERS = frozenset({"urlparse", "urlsplit"})
_URL_HOST_PARTS = frozenset({"hostname", "netloc"})


class _Module:
    """Per-module context: import aliases, names defined at module level, libraries used."""

    def __init__(self, path: str, source: str, tree: ast.Module) -> None:
        self.path = path
        self.module = module_name(path)
        self.is_package = path.rsplit("/", 1)[-1].startswith("__init__.")
        self.aliases: dict[str, str] = {}
        self.local_defs: set[str] = set()
        self.lines: list[str] | None = None
        self.source = source
        self.ldap = "ldap" in source
        self.xml_find = "lxml" in source or "ElementTree" in source
        self.functions: list[FunctionFacts] = []
        self._collect(tree.body)
        values = self.aliases.values()
        self.fastapi = any(v.startswith(("fastapi", "starlette")) for v in values)
        self.flask = any(v.startswith("flask") for v in values)

    def _collect(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            cls = stmt.__class__
            if cls in (ast.Import, ast.ImportFrom):
                self.add_import(stmt)
            elif cls in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                self.local_defs.add(stmt.name)
            elif cls is ast.If:
                self._collect(stmt.body)
                self._collect(stmt.orelse)
            elif cls is ast.Try or cls is ast.TryStar:
                self._collect(stmt.body)
                for handler in stmt.handlers:
                    self._collect(handler.body)
                self._collect(stmt.orelse)

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if node.__class__ is ast.Import:
            for alias in node.names:
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    self.aliases[top] = top
            return
        base = self.absolute(node.level, node.module)
        for alias in node.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = (
                    f"{base}.{alias.name}" if base else alias.name
                )

    def absolute(self, level: int, module: str | None) -> str:
        """The absolute module a (possibly relative) `from` import names."""
        if level == 0:
            return module or ""
        package = self.module if self.is_package else self.module.rpartition(".")[0]
        parts = package.split(".") if package else []
        parts = parts[: max(len(parts) - (level - 1), 0)]
        if module:
            parts.append(module)
        return ".".join(parts)

    def qualname(self, node: ast.expr) -> str | None:
        """`sp.Popen` -> `subprocess.Popen` through import aliases; None for `x().y`."""
        parts = []
        while node.__class__ is ast.Attribute:
            parts.append(node.attr)
            node = node.value
        if node.__class__ is not ast.Name:
            return None
        name = node.id
        if name in self.aliases:
            base = self.aliases[name]
        elif name in self.local_defs:
            base = f"{self.module}.{name}" if self.module else name
        else:
            base = name
        if not parts:
            return base
        parts.append(base)
        return ".".join(reversed(parts))

    def line_text(self, line: int) -> str:
        if self.lines is None:
            self.lines = source_lines(self.source)
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def column(self, node: ast.AST) -> int:
        return char_column(self.line_text(node.lineno), node.col_offset)


def _name_of(node: ast.expr) -> str | None:
    return node.id if node.__class__ is ast.Name else None


def _guarded_name(node: ast.expr) -> str | None:
    """The variable a check is about: `p`, `Path(p).resolve()`, `os.path.realpath(p)`."""
    while True:
        cls = node.__class__
        if cls is ast.Name:
            return node.id
        if cls is ast.Attribute:
            node = node.value
        elif cls is ast.Call:
            func = node.func
            name = func.attr if func.__class__ is ast.Attribute else _name_of(func)
            if func.__class__ is ast.Attribute and name in _PATH_WRAPPERS | {"lower", "strip"}:
                node = func.value
            elif name in _PATH_WRAPPERS and node.args:
                node = node.args[0]
            else:
                return None
        else:
            return None


def _allow_list(node: ast.expr) -> bool:
    """A container a value is checked against: a literal, or a constant or allow-list name."""
    cls = node.__class__
    if cls in (ast.List, ast.Tuple, ast.Set):
        return all(e.__class__ is ast.Constant for e in node.elts)
    if cls is ast.Dict:
        return True
    if cls is ast.Call:
        return _allow_list(node.func.value) if node.func.__class__ is ast.Attribute else False
    name = node.attr if cls is ast.Attribute else _name_of(node)
    if name is None:
        return False
    lowered = name.lower()
    return name.isupper() or any(word in lowered for word in _ALLOW_WORDS)


def _looks_html(node: ast.expr) -> bool:
    """A string built with markup in its constant parts: `f"<p>{name}</p>"`."""
    cls = node.__class__
    if cls is ast.Constant:
        return isinstance(node.value, str) and "<" in node.value
    if cls is ast.JoinedStr:
        return any(_looks_html(v) for v in node.values if v.__class__ is ast.Constant)
    if cls is ast.BinOp:
        return _looks_html(node.left) or _looks_html(node.right)
    if cls is ast.Call and node.func.__class__ is ast.Attribute and node.func.attr == "format":
        return _looks_html(node.func.value)
    return False


def _is_format(node: ast.expr) -> bool:
    cls = node.__class__
    if cls is ast.JoinedStr:
        return any(v.__class__ is ast.FormattedValue for v in node.values)
    if cls is ast.BinOp:
        return node.op.__class__ in (ast.Add, ast.Mod)
    if cls is ast.Call and node.func.__class__ is ast.Attribute:
        return node.func.attr == "format"
    return False


def _is_path_build(node: ast.expr) -> bool:
    if node.__class__ is ast.BinOp:
        return node.op.__class__ is ast.Div
    if node.__class__ is not ast.Call:
        return False
    func = node.func
    name = func.attr if func.__class__ is ast.Attribute else _name_of(func)
    return name in _PATH_BUILDERS


class _Function:
    """Walks one function body (or a module's top level) and collects its facts."""

    def __init__(self, mod: _Module, name: str, line: int, class_name: str | None = None) -> None:
        self.mod = mod
        self.name = name
        self.line = line
        self.class_name = class_name
        self.params: list[str] = []
        self.env: dict[str, Labels] = {}
        self.anchors: dict[str, tuple[int, int]] = {}
        self.first_items: dict[str, Labels] = {}
        self.parsed_urls: dict[str, str] = {}
        self.http_clients: set[str] = set()
        self.safe_xml_parsers: set[str] = set()
        self.paths: set[str] = set()
        self.request_names = set(catalog.REQUEST_NAMES)
        self.sources: list[SourceFact] = []
        self.sinks: list[SinkFact] = []
        # (callee, node, argument labels, keyword labels, bound): facts() keeps those used.
        self.calls: list[tuple[str, ast.Call, list[Labels], dict[str, Labels], bool]] = []
        self.returns: set[str] = set()
        self.is_view = False

    # --- parameters ---------------------------------------------------------------------

    def bind_params(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults = [None] * (len(args.posonlyargs) + len(args.args) - len(args.defaults))
        defaults += [*args.defaults, *args.kw_defaults]
        self.is_view = any(self._is_route(d) for d in node.decorator_list)
        for index, (arg, default) in enumerate(zip(params, defaults, strict=True)):
            self.params.append(arg.arg)
            if index == 0 and self.class_name is not None and arg.arg in ("self", "cls"):
                continue
            annotation = self.mod.qualname(arg.annotation) if arg.annotation else None
            last = (annotation or "").rpartition(".")[2]
            if last == "Request" or last == "HttpRequest":
                self.request_names.add(arg.arg)
            elif self.is_view and self._is_route_value(arg, default, last):
                kind = "FastAPI" if self.mod.fastapi else "route"
                self.env[arg.arg] = self.source(
                    "route-param", "medium", arg, f"{kind} parameter '{arg.arg}'"
                )
            else:
                self.env[arg.arg] = frozenset({f"p{index}"})

    def _is_route(self, decorator: ast.expr) -> bool:
        return (
            decorator.__class__ is ast.Call
            and decorator.func.__class__ is ast.Attribute
            and decorator.func.attr in catalog.ROUTE_DECORATORS
        )

    def _is_route_value(self, arg: ast.arg, default: ast.expr | None, annotation: str) -> bool:
        if arg.arg in self.request_names or annotation in catalog.FASTAPI_NON_VALUES:
            return False
        if default is not None and default.__class__ is ast.Call:
            called = self.mod.qualname(default.func) or ""
            return called.rpartition(".")[2] not in ("Depends", "Security")
        return True

    def source(self, kind: str, confidence: str, node: ast.AST, note: str) -> Labels:
        self.sources.append(
            SourceFact(
                kind=kind,
                confidence=confidence,
                line=node.lineno,
                column=self.mod.column(node),
                note=note,
            )
        )
        return frozenset({f"s{len(self.sources) - 1}"})

    # --- statements -----------------------------------------------------------------------

    def block(self, body: Iterable[ast.stmt]) -> bool:
        """Walk statements in order; True if the block always leaves (return, raise...)."""
        for stmt in body:
            handler = _STMT.get(stmt.__class__)
            if handler is not None and handler(self, stmt):
                return True
        return False

    def on_expr(self, node: ast.Expr) -> bool:
        value = node.value
        self.labels(value)
        if value.__class__ is ast.Call:
            called = self.mod.qualname(value.func)
            return called in catalog.TERMINATING_CALLS
        return False

    def on_assign(self, node: ast.Assign) -> bool:
        value = node.value
        labels = self.labels(value)
        for target in node.targets:
            self.bind(target, labels, value, node)
        return False

    def on_ann_assign(self, node: ast.AnnAssign) -> bool:
        if node.value is not None:
            self.bind(node.target, self.labels(node.value), node.value, node)
        return False

    def on_aug_assign(self, node: ast.AugAssign) -> bool:
        labels = self.labels(node.value)
        target = node.target
        name = _name_of(target) or _name_of(getattr(target, "value", target))
        if name is not None:
            self.env[name] = self.env.get(name, EMPTY) | labels
            if target.__class__ is ast.Name and labels:
                self.anchors[name] = (node.lineno, self.mod.column(node))
        return False

    def on_return(self, node: ast.Return) -> bool:
        if node.value is not None:
            labels = self.labels(node.value)
            self.returns.update(labels)
            if labels and self.is_view and self.mod.flask and _looks_html(node.value):
                self.sink(79, "an HTML string returned by the view", node, node, labels)
        return True

    def on_raise(self, node: ast.Raise) -> bool:
        if node.exc is not None:
            self.labels(node.exc)
        return True

    def on_leave(self, node: ast.stmt) -> bool:
        return True

    def on_if(self, node: ast.If) -> bool:
        self.labels(node.test)
        when_true, when_false = self.guard(node.test)
        # A value the test runs through a URL safety check was validated on purpose,
        # whichever way the surrounding condition combines it (`if x and not safe(x):`).
        checked = self._url_checked(node.test)
        when_true, when_false = when_true | checked, when_false | checked
        before = self.env
        self.env = self._cleaned(before, when_true)
        body_leaves = self.block(node.body)
        after_body = self.env
        self.env = self._cleaned(before, when_false)
        else_leaves = self.block(node.orelse)
        after_else = self.env
        if body_leaves and not else_leaves:
            self.env = after_else
        elif else_leaves and not body_leaves:
            self.env = after_body
        else:
            self.env = _merged(after_body, after_else)
        return body_leaves and else_leaves

    def on_loop(self, node: ast.For | ast.AsyncFor | ast.While) -> bool:
        if node.__class__ is ast.While:
            self.labels(node.test)
        else:
            self.bind(node.target, self.labels(node.iter), node.iter, node)
        before = dict(self.env)
        self.block(node.body)
        self.env = _merged(before, self.env)
        self.block(node.orelse)
        return False

    def on_with(self, node: ast.With | ast.AsyncWith) -> bool:
        for item in node.items:
            labels = self.labels(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, labels, item.context_expr, item.context_expr)
        return self.block(node.body)

    def on_try(self, node: ast.Try) -> bool:
        before = dict(self.env)
        self.block(node.body)
        branches = [self.env]
        for handler in node.handlers:
            self.env = _merged(before, branches[0])
            self.block(handler.body)
            branches.append(self.env)
        self.env = branches[0]
        self.block(node.orelse)
        branches[0] = self.env
        merged = branches[0]
        for env in branches[1:]:
            merged = _merged(merged, env)
        self.env = merged
        return self.block(node.finalbody)

    def on_match(self, node: ast.Match) -> bool:
        self.labels(node.subject)
        before = self.env
        merged = before
        for case in node.cases:
            self.env = dict(before)
            self.block(case.body)
            merged = _merged(merged, self.env)
        self.env = merged
        return False

    def on_import(self, node: ast.Import | ast.ImportFrom) -> bool:
        self.mod.add_import(node)
        return False

    def on_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        analyse_function(self.mod, node, f"{self.name}.{node.name}", None)
        return False

    def on_class(self, node: ast.ClassDef) -> bool:
        analyse_class(self.mod, node, f"{self.name}.{node.name}")
        return False

    def on_assert(self, node: ast.Assert) -> bool:
        self.labels(node.test)
        return False

    # --- binding --------------------------------------------------------------------------

    def bind(self, target: ast.expr, labels: Labels, value: ast.expr, node: ast.AST) -> None:
        cls = target.__class__
        if cls is ast.Name:
            name = target.id
            self.env[name] = labels
            if _is_format(value) or _is_path_build(value):
                self.anchors[name] = (value.lineno, self.mod.column(value))
            elif value.__class__ is ast.Name and value.id in self.anchors:
                self.anchors[name] = self.anchors[value.id]
            else:
                self.anchors.pop(name, None)
            if value.__class__ in (ast.List, ast.Tuple) and value.elts:
                self.first_items[name] = self.labels(value.elts[0])
            else:
                self.first_items.pop(name, None)
            if self._is_http_client(value):
                self.http_clients.add(name)
            else:
                self.http_clients.discard(name)
            (self.paths.add if self._is_path(value) else self.paths.discard)(name)
            if self._is_safe_xml_parser(value):
                self.safe_xml_parsers.add(name)
            else:
                self.safe_xml_parsers.discard(name)
            parsed = self._parsed_url(value)
            if parsed is not None:
                self.parsed_urls[name] = parsed
            else:
                self.parsed_urls.pop(name, None)
        elif cls in (ast.Tuple, ast.List):
            for element in target.elts:
                self.bind(element, labels, element, node)
        elif cls is ast.Starred:
            self.bind(target.value, labels, value, node)
        elif cls in (ast.Subscript, ast.Attribute):
            base = target.value
            if cls is ast.Subscript and labels and self._is_session(base):
                self.sink(501, "session[...]", node, node, labels)
            name = _name_of(base)
            if name is not None and not (name in ("self", "cls") and self.class_name):
                self.env[name] = self.env.get(name, EMPTY) | labels

    def _is_session(self, node: ast.expr) -> bool:
        if node.__class__ is ast.Name:
            return node.id in catalog.SESSION_NAMES and (
                self.mod.aliases.get(node.id, "").startswith("flask") or node.id not in self.env
            )
        return (
            node.__class__ is ast.Attribute
            and node.attr == "session"
            and (_name_of(node.value) in self.request_names)
        )

    def _cleaned(self, env: dict[str, Labels], names: set[str]) -> dict[str, Labels]:
        copy = dict(env)
        for name in names:
            if name in copy:
                copy[name] = EMPTY
        return copy

    # --- guards -------------------------------------------------------------------------

    def guard(self, test: ast.expr) -> tuple[set[str], set[str]]:
        """Variables a test proves safe when it is true, and when it is false."""
        cls = test.__class__
        if cls is ast.UnaryOp and test.op.__class__ is ast.Not:
            when_true, when_false = self.guard(test.operand)
            return when_false, when_true
        if cls is ast.BoolOp:
            parts = [self.guard(v) for v in test.values]
            if test.op.__class__ is ast.And:
                return set().union(*(p[0] for p in parts)), set()
            return set(), set().union(*(p[1] for p in parts))
        if cls is ast.Compare and len(test.ops) == 1:
            return self._compare_guard(test)
        if cls is ast.Call:
            return self._call_guard(test), set()
        return set(), set()

    def _url_checked(self, test: ast.expr) -> set[str]:
        cls = test.__class__
        if cls is ast.BoolOp:
            return set().union(*(self._url_checked(v) for v in test.values))
        if cls is ast.UnaryOp:
            return self._url_checked(test.operand)
        if cls is ast.Call:
            called = self.mod.qualname(test.func) or ""
            if called.rpartition(".")[2] in catalog.SAFE_URL_CHECKS:
                values = [*test.args, *(k.value for k in test.keywords)]
                return {name for name in map(_guarded_name, values) if name}
        return set()

    def _compare_guard(self, test: ast.Compare) -> tuple[set[str], set[str]]:
        op, left, right = test.ops[0].__class__, test.left, test.comparators[0]
        if left.__class__ is ast.Call:
            called = self.mod.qualname(left.func) or ""
            if called.endswith("commonpath") and op in (ast.Eq, ast.NotEq):
                names = {n for n in map(_guarded_name, _call_values(left)) if n}
                return (names, set()) if op is ast.Eq else (set(), names)
        name = self._url_host_of(left) or _guarded_name(left)
        if name is None:
            return set(), set()
        if op in (ast.In, ast.NotIn) and _allow_list(right):
            return ({name}, set()) if op is ast.In else (set(), {name})
        if op in (ast.Eq, ast.NotEq, ast.Is, ast.IsNot) and right.__class__ is ast.Constant:
            if right.value is None:
                return set(), set()
            return ({name}, set()) if op in (ast.Eq, ast.Is) else (set(), {name})
        return set(), set()

    def _is_http_client(self, node: ast.expr) -> bool:
        """`requests.Session()`, `httpx.Client()`, ... or a variable holding one."""
        if node.__class__ is ast.Name:
            return node.id in self.http_clients
        return node.__class__ is ast.Call and self.mod.qualname(node.func) in catalog.HTTP_CLIENTS

    def _is_path(self, node: ast.expr) -> bool:
        """A path built here: `root / name`, `os.path.join(...)`, `Path(...)`, or a variable
        holding one."""
        return _is_path_build(node) or (node.__class__ is ast.Name and node.id in self.paths)

    def _safe_xml_parser(self, node: ast.Call) -> bool:
        """lxml parses with the parser it is given: one made with `resolve_entities=False`
        expands no external entity, whatever the data."""
        parser = node.args[1] if len(node.args) > 1 else _keyword(node, "parser")
        return parser is not None and self._is_safe_xml_parser(parser)

    def _is_safe_xml_parser(self, node: ast.expr) -> bool:
        if node.__class__ is ast.Name:
            return node.id in self.safe_xml_parsers
        if node.__class__ is not ast.Call:
            return False
        resolve = _keyword(node, "resolve_entities")
        called = self.mod.qualname(node.func) or ""
        return (
            called.startswith("lxml")
            and called.endswith(".XMLParser")
            and resolve.__class__ is ast.Constant
            and resolve.value is False
        )

    def _parsed_url(self, node: ast.expr) -> str | None:
        """`x` when `node` is `urlparse(x)` (or `urlsplit`)."""
        if node.__class__ is not ast.Call or not node.args:
            return None
        called = (self.mod.qualname(node.func) or "").rpartition(".")[2]
        return _guarded_name(node.args[0]) if called in _URL_PARSERS else None

    def _url_host_of(self, node: ast.expr) -> str | None:
        """The URL variable whose host `node` reads: `urlparse(url).hostname`,
        `parsed.netloc` for `parsed = urlparse(url)`, either with `.lower()`."""
        while node.__class__ is ast.Call and node.func.__class__ is ast.Attribute:
            if node.func.attr not in ("lower", "strip") or node.args:
                return None
            node = node.func.value
        if node.__class__ is not ast.Attribute or node.attr not in _URL_HOST_PARTS:
            return None
        base = node.value
        if base.__class__ is ast.Name:
            return self.parsed_urls.get(base.id)
        return self._parsed_url(base)

    def _call_guard(self, test: ast.Call) -> set[str]:
        func = test.func
        if func.__class__ is ast.Attribute and func.attr in (
            *catalog.CONFINING_METHODS, "isdigit", "isalnum", "isalpha", "isnumeric",
            "isdecimal", "isidentifier",
        ):  # fmt: skip
            name = _guarded_name(func.value)
            return {name} if name else set()
        called = self.mod.qualname(func) or ""
        last = called.rpartition(".")[2].lower()
        if last.startswith("is_") or any(word in last for word in _VALIDATOR_WORDS):
            values = [*test.args, *(k.value for k in test.keywords)]
            return {name for name in map(_guarded_name, values) if name}
        if called in ("re.match", "re.fullmatch") and len(test.args) > 1:
            name = _guarded_name(test.args[1])
            return {name} if name else set()
        if func.__class__ is ast.Attribute and func.attr in ("match", "fullmatch") and test.args:
            name = _guarded_name(test.args[0])
            return {name} if name else set()
        return set()

    # --- expressions ----------------------------------------------------------------------

    def labels(self, node: ast.expr | None) -> Labels:
        if node is None:
            return EMPTY
        handler = _EXPR.get(node.__class__)
        return handler(self, node) if handler is not None else EMPTY

    def e_name(self, node: ast.Name) -> Labels:
        return self.env.get(node.id, EMPTY)

    def e_attribute(self, node: ast.Attribute) -> Labels:
        value = node.value
        if node.attr in catalog.REQUEST_ATTRS and self._is_request(value):
            return self.source("request", "high", node, f"request.{node.attr} (request data)")
        if value.__class__ is ast.Name and value.id in self.mod.aliases:
            kind = catalog.SOURCE_ATTRS.get(self.mod.qualname(node) or "")
            if kind is not None:
                return self.source(kind.kind, kind.confidence, node, kind.note)
        return self.labels(value)

    def _is_request(self, node: ast.expr) -> bool:
        if node.__class__ is ast.Name:
            return node.id in self.request_names and (
                node.id not in self.mod.aliases
                or self.mod.aliases[node.id].startswith(("flask", "bottle", "quart"))
            )
        return node.__class__ is ast.Attribute and node.attr == "request"

    def e_subscript(self, node: ast.Subscript) -> Labels:
        return self.labels(node.value)

    def e_joined(self, node: ast.JoinedStr) -> Labels:
        found = EMPTY
        for value in node.values:
            if value.__class__ is ast.FormattedValue:
                found = found | self.labels(value.value)
        return found

    def e_binop(self, node: ast.BinOp) -> Labels:
        return self.labels(node.left) | self.labels(node.right)

    def e_boolop(self, node: ast.BoolOp) -> Labels:
        found = EMPTY
        for value in node.values:
            found = found | self.labels(value)
        return found

    def e_ifexp(self, node: ast.IfExp) -> Labels:
        self.labels(node.test)
        return self.labels(node.body) | self.labels(node.orelse)

    def e_compare(self, node: ast.Compare) -> Labels:
        self.labels(node.left)
        for comparator in node.comparators:
            self.labels(comparator)
        return EMPTY

    def e_unary(self, node: ast.UnaryOp) -> Labels:
        labels = self.labels(node.operand)
        return EMPTY if node.op.__class__ is ast.Not else labels

    def e_elements(self, node: ast.List | ast.Tuple | ast.Set) -> Labels:
        found = EMPTY
        for element in node.elts:
            found = found | self.labels(element)
        return found

    def e_dict(self, node: ast.Dict) -> Labels:
        found = EMPTY
        for key, value in zip(node.keys, node.values, strict=True):
            found = found | self.labels(key) | self.labels(value)
        return found

    def e_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> Labels:
        for generator in node.generators:
            self.bind(generator.target, self.labels(generator.iter), generator.iter, node)
        return self.labels(node.elt)

    def e_dictcomp(self, node: ast.DictComp) -> Labels:
        for generator in node.generators:
            self.bind(generator.target, self.labels(generator.iter), generator.iter, node)
        return self.labels(node.key) | self.labels(node.value)

    def e_value(self, node: ast.Await | ast.Starred | ast.FormattedValue) -> Labels:
        return self.labels(node.value)

    def e_named(self, node: ast.NamedExpr) -> Labels:
        labels = self.labels(node.value)
        self.bind(node.target, labels, node.value, node)
        return labels

    def e_call(self, node: ast.Call) -> Labels:
        func = node.func
        is_method = func.__class__ is ast.Attribute
        receiver = self.labels(func) if is_method else EMPTY
        args = [self.labels(a) for a in node.args]
        kwargs = {k.arg or "**": self.labels(k.value) for k in node.keywords}
        called = self.mod.qualname(func)
        kind = catalog.SOURCE_CALLS.get(called or "")
        if kind is not None and not (func.__class__ is ast.Name and func.id in self.env):
            return self.source(kind.kind, kind.confidence, node, kind.note)
        if self.check_sink(node, called, args, kwargs, receiver) == 89:
            return EMPTY  # rows a query returns are the database's data, not the request's
        method = func.attr if is_method else None
        if called in catalog.CLEAN_CALLS or method in catalog.CLEAN_METHODS:
            return EMPTY
        callee, bound = self.callee(func, called)
        if callee is not None:
            self.calls.append((callee, node, args, kwargs, bound))
            # `request.get_json()`: what a source's method returns is the source's data
            return frozenset({f"c{len(self.calls) - 1}"}) | (EMPTY if bound else receiver)
        found = receiver
        for labels in args:
            found = found | labels
        for labels in kwargs.values():
            found = found | labels
        return found

    def callee(self, func: ast.expr, called: str | None) -> tuple[str | None, bool]:
        """The function a call may reach in the target, and whether `self` is passed.
        The standard library is never the target: its calls let data through here."""
        if called is not None and called.partition(".")[0] in _STDLIB:
            return None, False
        if func.__class__ is ast.Name:
            name = func.id
            if name in self.env:
                return None, False
            if name in self.mod.local_defs or name in self.mod.aliases:
                return called, False
            return None, False
        if func.__class__ is not ast.Attribute:
            return None, False
        base = func.value
        if base.__class__ is ast.Name:
            if base.id in ("self", "cls") and self.class_name:
                return f"{self.class_name}.{func.attr}", True
            if base.id in self.mod.aliases and base.id not in self.env:
                return called, False
        return None, False

    # --- sinks ----------------------------------------------------------------------------

    def check_sink(
        self,
        node: ast.Call,
        called: str | None,
        args: list[Labels],
        kwargs: dict[str, Labels],
        receiver: Labels = EMPTY,
    ) -> int | None:
        """Record the call as a sink if tainted data reaches it; the sink's CWE, if any.
        A path's own methods (`(root / name).read_text()`) take the path from their
        receiver; `open` and `save` count only on a path built here."""
        func = node.func
        spec = catalog.QUALIFIED_SINKS.get(called) if called else None
        method = func.attr if func.__class__ is ast.Attribute else None
        if spec is not None and func.__class__ is ast.Name and func.id in self.env:
            spec = None  # a local variable shadows the builtin
        if spec is None and called:
            spec = self._special_sink(node, called, args)
            if spec is False:
                return None
        if spec is not None and spec.cwe == 611 and self._safe_xml_parser(node):
            return None
        if spec is None and method is not None and self._is_http_client(func.value):
            spec = catalog.HTTP_CLIENT_METHODS.get(method)
        if spec is None and method is not None:
            spec = catalog.METHOD_SINKS.get(method)
            if spec is None and self.mod.ldap and method in catalog.LDAP_METHODS:
                spec = catalog.SinkSpec(90, catalog.LDAP_METHODS[method], ("filterstr",))
            elif spec is None and self.mod.xml_find and method in catalog.XPATH_FIND_METHODS:
                spec = catalog.SinkSpec(643, 0, ("path",))
        if spec is None and method == "open" and self._is_path(func.value):
            spec = catalog.SinkSpec(22, None)
        if spec is None and method == "save" and node.args and self._is_path(node.args[0]):
            spec = catalog.SinkSpec(22, 0)
        if spec is None or (spec.cwe == 79 and _not_html(node)):
            return None
        if spec.arg is None:
            labels = EMPTY.union(*args, *kwargs.values())
            argument = None
            if spec.cwe == 22 and method is not None:
                labels, argument = labels | receiver, func.value
        elif len(args) > spec.arg:
            labels, argument = args[spec.arg], node.args[spec.arg]
        else:
            labels, argument = EMPTY, None
            for keyword in node.keywords:
                if keyword.arg in spec.keywords:
                    labels, argument = kwargs[keyword.arg], keyword.value
        if spec.cwe == 78 and called in catalog.SUBPROCESS:
            labels = self._command_labels(node, argument, labels)
        if labels:
            self.sink(spec.cwe, _dotted(func), node, self._anchor(spec.cwe, node, argument),
                      labels)  # fmt: skip
        return spec.cwe

    def _special_sink(
        self, node: ast.Call, called: str, args: list[Labels]
    ) -> catalog.SinkSpec | bool | None:
        """Sinks that depend on the call's shape; False: known safe, check nothing else."""
        last = called.rpartition(".")[2]
        if last in catalog.SQL_FACTORIES:
            return catalog.SinkSpec(89) if called.startswith(catalog.SQL_FACTORIES[last]) else None
        if called in catalog.SUBPROCESS:
            return catalog.SinkSpec(78, 0, ("args",))
        if called.startswith(catalog.OS_EXEC_PREFIXES):
            return catalog.SinkSpec(78, 1 if called.startswith("os.spawn") else 0)
        if called in catalog.YAML_LOADS:
            loader = node.args[1] if len(node.args) > 1 else _keyword(node, "Loader")
            name = (self.mod.qualname(loader) or "") if loader is not None else ""
            if called.startswith("yaml.load") and name.rpartition(".")[2] in (
                catalog.YAML_SAFE_LOADERS
            ):
                return False
            return catalog.SinkSpec(502, 0, ("stream",))
        if called == "flask.send_from_directory":
            return False  # joins safely under its directory
        return None

    def _command_labels(self, node: ast.Call, argument: ast.expr | None, labels: Labels) -> Labels:
        """A subprocess call is injectable through a shell, or through the program name."""
        shell = _keyword(node, "shell")
        if shell is not None and not (shell.__class__ is ast.Constant and not shell.value):
            return labels
        if argument is None:
            return EMPTY
        if argument.__class__ in (ast.List, ast.Tuple):
            return self.labels(argument.elts[0]) if argument.elts else EMPTY
        if argument.__class__ is ast.Name and argument.id in self.first_items:
            return self.first_items[argument.id]
        return labels

    def _anchor(self, cwe: int, node: ast.Call, argument: ast.expr | None) -> ast.AST:
        """Where the per-line engines report the same issue: SQL and paths at the
        expression that built the argument, everything else at the call."""
        if cwe not in (22, 89) or argument is None:
            return node
        if _is_format(argument) or _is_path_build(argument):
            return argument
        if argument.__class__ is ast.Name and argument.id in self.anchors:
            line, column = self.anchors[argument.id]
            return _Position(line, column)
        return node

    def sink(self, cwe: int, what: str, node: ast.AST, anchor: ast.AST, labels: Labels) -> None:
        if anchor.__class__ is _Position:
            anchor_line, anchor_column = anchor.lineno, anchor.column
        else:
            anchor_line, anchor_column = anchor.lineno, self.mod.column(anchor)
        self.sinks.append(
            SinkFact(
                cwe=cwe,
                what=what,
                line=node.lineno,
                column=self.mod.column(node),
                anchor_line=anchor_line,
                anchor_column=anchor_column,
                labels=sorted(labels),
                snippet=self.mod.line_text(anchor_line).strip()[:200],
            )
        )

    # --- result ---------------------------------------------------------------------------

    def facts(self) -> FunctionFacts:
        """The function's facts, without calls and sources nothing refers to."""
        if not (self.calls or self.sinks or self.returns):
            return FunctionFacts(name=self.name, line=self.line, params=self.params)
        used = set(self.returns)
        for sink in self.sinks:
            used.update(sink.labels)
        for _, _, args, kwargs, _ in self.calls:
            for labels in (*args, *kwargs.values()):
                used.update(labels)
        kept_calls = [
            (index, call)
            for index, call in enumerate(self.calls)
            if f"c{index}" in used or any(call[2]) or any(call[3].values())
        ]
        renamed = {f"c{old}": f"c{new}" for new, (old, _) in enumerate(kept_calls)}
        kept_sources = [
            (index, source) for index, source in enumerate(self.sources) if f"s{index}" in used
        ]
        renamed.update({f"s{old}": f"s{new}" for new, (old, _) in enumerate(kept_sources)})

        def rename(labels: Iterable[str]) -> list[str]:
            return sorted(renamed.get(label, label) for label in labels)

        calls = [
            CallFact(
                callee=callee,
                line=node.lineno,
                column=self.mod.column(node),
                args=[rename(a) for a in args],
                kwargs={k: rename(v) for k, v in kwargs.items() if v},
                bound=bound,
            )
            for _, (callee, node, args, kwargs, bound) in kept_calls
        ]
        for sink in self.sinks:
            sink.labels = rename(sink.labels)
        return FunctionFacts(
            name=self.name,
            line=self.line,
            params=self.params,
            sources=[source for _, source in kept_sources],
            sinks=self.sinks,
            calls=calls,
            returns=rename(self.returns),
        )


class _Position:
    """A recorded anchor: a line and character column, not a node."""

    __slots__ = ("column", "lineno")

    def __init__(self, lineno: int, column: int) -> None:
        self.lineno = lineno
        self.column = column


def _merged(left: dict[str, Labels], right: dict[str, Labels]) -> dict[str, Labels]:
    if left is right:
        return left
    merged = dict(left)
    for name, labels in right.items():
        known = merged.get(name)
        merged[name] = labels if known is None or known is labels else known | labels
    return merged


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _not_html(call: ast.Call) -> bool:
    """A response whose declared content type is a constant other than HTML."""
    for name in ("content_type", "mimetype", "media_type"):
        value = _keyword(call, name)
        if value is not None:
            return (
                value.__class__ is ast.Constant
                and isinstance(value.value, str)
                and "html" not in value.value
            )
    return False


def _call_values(call: ast.Call) -> list[ast.expr]:
    values = []
    for arg in call.args:
        values.extend(arg.elts if arg.__class__ in (ast.List, ast.Tuple) else [arg])
    return values


def _dotted(func: ast.expr) -> str:
    parts = []
    while func.__class__ is ast.Attribute:
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if func.__class__ is ast.Name else "…")
    return ".".join(reversed(parts))


_STMT: dict[type, Callable[[_Function, ast.stmt], bool]] = {
    ast.Expr: _Function.on_expr,
    ast.Assign: _Function.on_assign,
    ast.AnnAssign: _Function.on_ann_assign,
    ast.AugAssign: _Function.on_aug_assign,
    ast.Return: _Function.on_return,
    ast.Raise: _Function.on_raise,
    ast.Continue: _Function.on_leave,
    ast.Break: _Function.on_leave,
    ast.If: _Function.on_if,
    ast.For: _Function.on_loop,
    ast.AsyncFor: _Function.on_loop,
    ast.While: _Function.on_loop,
    ast.With: _Function.on_with,
    ast.AsyncWith: _Function.on_with,
    ast.Try: _Function.on_try,
    ast.TryStar: _Function.on_try,
    ast.Match: _Function.on_match,
    ast.Import: _Function.on_import,
    ast.ImportFrom: _Function.on_import,
    ast.FunctionDef: _Function.on_def,
    ast.AsyncFunctionDef: _Function.on_def,
    ast.ClassDef: _Function.on_class,
    ast.Assert: _Function.on_assert,
}
_EXPR: dict[type, Callable[[_Function, ast.expr], Labels]] = {
    ast.Name: _Function.e_name,
    ast.Attribute: _Function.e_attribute,
    ast.Subscript: _Function.e_subscript,
    ast.Call: _Function.e_call,
    ast.JoinedStr: _Function.e_joined,
    ast.BinOp: _Function.e_binop,
    ast.BoolOp: _Function.e_boolop,
    ast.IfExp: _Function.e_ifexp,
    ast.Compare: _Function.e_compare,
    ast.UnaryOp: _Function.e_unary,
    ast.List: _Function.e_elements,
    ast.Tuple: _Function.e_elements,
    ast.Set: _Function.e_elements,
    ast.Dict: _Function.e_dict,
    ast.ListComp: _Function.e_comprehension,
    ast.SetComp: _Function.e_comprehension,
    ast.GeneratorExp: _Function.e_comprehension,
    ast.DictComp: _Function.e_dictcomp,
    ast.Await: _Function.e_value,
    ast.Starred: _Function.e_value,
    ast.FormattedValue: _Function.e_value,
    ast.NamedExpr: _Function.e_named,
}


def analyse_function(
    mod: _Module,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    class_name: str | None,
) -> None:
    function = _Function(mod, name, node.lineno, class_name)
    function.bind_params(node)
    function.block(node.body)
    mod.functions.append(function.facts())


def analyse_class(mod: _Module, node: ast.ClassDef, name: str) -> None:
    for stmt in node.body:
        if stmt.__class__ in (ast.FunctionDef, ast.AsyncFunctionDef):
            analyse_function(mod, stmt, f"{name}.{stmt.name}", name)
        elif stmt.__class__ is ast.ClassDef:
            analyse_class(mod, stmt, f"{name}.{stmt.name}")


def module_facts(tree: ast.Module, path: str, source: str) -> ModuleFacts:
    """Facts of every function in `tree` (and of its top-level code, as `<module>`)."""
    mod = _Module(path, source, tree)
    prefix = f"{mod.module}." if mod.module else ""
    top = _Function(mod, f"{prefix}<module>", 1)
    # Top-level defs are analysed under their qualified names, not as locals of <module>.
    for stmt in tree.body:
        cls = stmt.__class__
        if cls in (ast.FunctionDef, ast.AsyncFunctionDef):
            analyse_function(mod, stmt, f"{prefix}{stmt.name}", None)
        elif cls is ast.ClassDef:
            analyse_class(mod, stmt, f"{prefix}{stmt.name}")
    top.block(s for s in tree.body if s.__class__ not in _DEFS)
    mod.functions.append(top.facts())
    imports = {local: target for local, target in mod.aliases.items() if "." in target}
    return ModuleFacts(file=path, module=mod.module, imports=imports, functions=mod.functions)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
