"""High-precision bug patterns, found with `ast` alone: each rule reports only the shape
that is a bug whatever the surrounding code means, and skips anything ambiguous.

| rule    | pattern                                                          | CWE  |
|---------|------------------------------------------------------------------|------|
| ATNB001 | mutable default argument that the function mutates in place      | -    |
| ATNB002 | closure made in a loop, kept for later, reading the loop variable| -    |
| ATNB003 | comparison of an expression with itself                          | 570/571 |
| ATNB004 | `is` / `is not` against a str, bytes, number or container literal| 595  |
| ATNB005 | unreachable statement after return/raise/continue/break          | 561  |
| ATNB006 | parameter shadowing a builtin that the body then calls           | -    |
| ATNB007 | `except Exception`/`except BaseException`/bare except: only pass | 390  |
| ATNB008 | coroutine function of this module called without await           | -    |

Deliberately skipped: mutable defaults that are only read, returned or stored, or that the
function rebinds (`items = list(items)`); `x != x` and `x == x` on a plain name (the NaN
test idiom); closures called where they are made (`sorted(key=lambda ...)`); decorated
coroutine functions (a decorator may make them synchronous); `return` followed by a bare
`yield` (the empty-generator idiom); swallowed exceptions with a comment next to them
(on the `try` line or above it, before the `except`, or in the handler), which says the
silence is deliberate.
"""

from __future__ import annotations

import ast
import builtins
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from activities.security_audit.scanners.merge import merge_findings
from workflows.schemas import Finding

TOOL = "attune"
CATEGORY = "bug"

MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
        "add",
        "discard",
        "update",
        "setdefault",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
MUTABLE_CALLS = frozenset({"list", "dict", "set", "bytearray"})
STORING_METHODS = frozenset({"append", "add", "insert", "extend", "setdefault", "appendleft"})
CALLBACK_KEYWORDS = frozenset({"command", "callback", "target"})
# Builtins a parameter shadows by mistake: calling them in the body means the builtin.
# `type`, `filter`, `map`, `format`, `input`, `print`, `callable`, `next` and `open` are
# left out: a parameter of that name is often a callable the caller passes on purpose.
SHADOWED = frozenset(
    {
        "list",
        "dict",
        "set",
        "tuple",
        "str",
        "int",
        "float",
        "bytes",
        "bool",
        "len",
        "sum",
        "min",
        "max",
        "sorted",
        "range",
        "any",
        "all",
        "abs",
        "round",
        "id",
        "iter",
        "zip",
        "enumerate",
        "hash",
        "repr",
        "vars",
        "dir",
    }
) & frozenset(dir(builtins))
ALWAYS_TRUE = (ast.Eq, ast.LtE, ast.GtE, ast.Is)
ALWAYS_FALSE = (ast.NotEq, ast.Lt, ast.Gt, ast.IsNot)
TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Hit:
    rule_id: str
    node: ast.AST
    message: str
    severity: str
    confidence: str
    cwe: int | None = None


def find_patterns(source: str, file: str) -> list[Finding]:
    """Every bug pattern in one file's source, fingerprinted; [] when it does not parse."""
    try:
        tree = ast.parse(source, filename=file)
    except (SyntaxError, ValueError):
        return []
    lines = source.splitlines()
    findings = [_finding(hit, file, lines) for hit in _hits(tree, lines)]
    return merge_findings(findings)


def _finding(hit: Hit, file: str, lines: list[str]) -> Finding:
    line = getattr(hit.node, "lineno", 1)
    end_line = getattr(hit.node, "end_lineno", None) or line
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Finding(
        rule_id=hit.rule_id,
        tool=TOOL,
        tools=[TOOL],
        category=CATEGORY,
        severity=hit.severity,  # type: ignore[arg-type]
        confidence=hit.confidence,  # type: ignore[arg-type]
        cwe=hit.cwe,
        file=file,
        line=line,
        column=getattr(hit.node, "col_offset", 0) + 1,
        end_line=end_line,
        message=hit.message,
        snippet=text.strip()[:200],
    )


def _hits(tree: ast.Module, lines: list[str]) -> Iterator[Hit]:
    coroutines = _module_coroutines(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _mutable_defaults(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _shadowed_builtins(node)
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            yield from _late_binding_in_loop(node)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            yield from _late_binding_in_comprehension(node)
        if isinstance(node, ast.Compare):
            yield from _self_comparison(node)
            yield from _is_literal(node)
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                yield from _swallowed(node, handler, lines)
        for body in _statement_lists(node):
            yield from _unreachable(body)
        if isinstance(node, ast.ClassDef):
            yield from _missing_await_in_class(node, coroutines)
    for function in _async_functions(tree.body):
        yield from _missing_await(function, coroutines, set())


# --------------------------------------------------------------------------- ATNB001


def _is_mutable_literal(node: ast.expr) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in MUTABLE_CALLS
        and not node.args
        and not node.keywords
    )


def _defaults(args: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr]]:
    positional = [*args.posonlyargs, *args.args]
    yield from zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is not None:
            yield arg, default


def _mutates(function: ast.AST, name: str) -> bool:
    """The body changes `name` in place (a mutating method, an item assignment or deletion,
    an augmented assignment) and never rebinds it: after `items = list(items)` the
    changes reach a copy, so that function is left alone."""
    body = function.body if isinstance(function.body, list) else [function.body]
    mutated = False
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
                return False
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if _is_name(node.func.value, name) and node.func.attr in MUTATING_METHODS:
                    mutated = True
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                targets = (
                    node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                )
                for target in targets:
                    if isinstance(target, ast.Subscript) and _is_name(target.value, name):
                        mutated = True
                    if isinstance(node, ast.AugAssign) and _is_name(target, name):
                        mutated = True
    return mutated


def _mutable_defaults(function: FunctionNode | ast.Lambda) -> Iterator[Hit]:
    for arg, default in _defaults(function.args):
        if _is_mutable_literal(default) and _mutates(function, arg.arg):
            yield Hit(
                "ATNB001",
                default,
                f"Mutable default argument `{arg.arg}` is created once and shared by every "
                "call, and this function changes it in place: use None and create it inside",
                "medium",
                "high",
            )


# --------------------------------------------------------------------------- ATNB002


def _target_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _free_loads(function: ast.Lambda | FunctionNode) -> set[str]:
    """Names the closure reads that it does not bind itself (parameters, assignments)."""
    args = function.args
    bound = {
        a.arg
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        if a is not None
    }
    body = function.body if isinstance(function.body, list) else [function.body]
    loads: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    loads.add(node.id)
                else:
                    bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
    return loads - bound


def _kept_closures(body: list[ast.stmt]) -> Iterator[tuple[ast.AST, ast.Lambda | FunctionNode]]:
    """Closures in a loop body that outlive the iteration: stored in a container, appended,
    registered as a callback. Closures inside nested functions or classes are their own
    scope's business and are not looked at."""
    local_defs: dict[str, FunctionNode] = {}
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local_defs[node.name] = node
            continue
        if isinstance(node, (ast.ClassDef, ast.Lambda)):
            continue
        for value in _stored_values(node):
            if isinstance(value, ast.Lambda):
                yield value, value
            elif isinstance(value, ast.Name) and value.id in local_defs:
                yield value, local_defs[value.id]
        stack.extend(ast.iter_child_nodes(node))


def _stored_values(node: ast.AST) -> Iterator[ast.expr]:
    """Expressions that `node` keeps beyond the current iteration."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in STORING_METHODS:
            yield from _elements(node.args)
        for keyword in node.keywords:
            if keyword.arg in CALLBACK_KEYWORDS:
                yield keyword.value
    elif isinstance(node, ast.Assign) and any(
        isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets
    ):
        yield from _elements([node.value])


def _elements(values: list[ast.expr]) -> Iterator[ast.expr]:
    for value in values:
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            yield from value.elts
        elif isinstance(value, ast.Dict):
            yield from value.values  # type: ignore[misc]
        else:
            yield value


def _late_binding_in_loop(loop: ast.For | ast.AsyncFor | ast.While) -> Iterator[Hit]:
    if isinstance(loop, ast.While):
        return
    names = _target_names(loop.target)
    seen: set[int] = set()
    for where, closure in _kept_closures(loop.body):
        late = sorted(_free_loads(closure) & names)
        if late and id(where) not in seen:
            seen.add(id(where))
            yield _late_hit(where, late)


def _late_binding_in_comprehension(
    node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
) -> Iterator[Hit]:
    names = {n for gen in node.generators for n in _target_names(gen.target)}
    elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    for element in _elements(elements):
        if isinstance(element, ast.Lambda):
            late = sorted(_free_loads(element) & names)
            if late:
                yield _late_hit(element, late)


def _late_hit(where: ast.AST, late: list[str]) -> Hit:
    shown = ", ".join(f"`{n}`" for n in late)
    return Hit(
        "ATNB002",
        where,
        f"Closure made in a loop reads the loop variable {shown} when it is called, "
        "not when it is made, so every closure sees the last value: bind it as a default "
        "argument or with functools.partial",
        "medium",
        "high",
    )


# --------------------------------------------------------------------------- ATNB003/004


def _is_name(node: ast.AST | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _pure(node: ast.expr) -> bool:
    """A name, or attribute/subscript chains of names and constants: no calls."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return _pure(node.value)
    if isinstance(node, ast.Subscript):
        return _pure(node.value) and _pure(node.slice)
    return False


def _self_comparison(node: ast.Compare) -> Iterator[Hit]:
    if len(node.ops) != 1:
        return
    left, op, right = node.left, node.ops[0], node.comparators[0]
    if not (_pure(left) and not isinstance(left, ast.Constant)):
        return
    if ast.dump(left) != ast.dump(right):
        return
    if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(left, ast.Name):
        return  # `x != x` is the NaN test
    if isinstance(op, ALWAYS_TRUE):
        always, cwe = "true", 571
    elif isinstance(op, ALWAYS_FALSE):
        always, cwe = "false", 570
    else:
        return
    yield Hit(
        "ATNB003",
        node,
        f"`{ast.unparse(node)}` compares an expression with itself and is always {always}: "
        "one side is probably meant to be something else",
        "high",
        "high",
        cwe,
    )


def _is_value_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        return value is not None and value is not Ellipsis and not isinstance(value, bool)
    return isinstance(node, (ast.List, ast.Dict, ast.Set, ast.Tuple, ast.JoinedStr))


def _is_literal(node: ast.Compare) -> Iterator[Hit]:
    operands = [node.left, *node.comparators]
    for index, op in enumerate(node.ops):
        if not isinstance(op, (ast.Is, ast.IsNot)):
            continue
        left, right = operands[index], operands[index + 1]
        literal = right if _is_value_literal(right) else left if _is_value_literal(left) else None
        if literal is None:
            continue
        spelled = "is not" if isinstance(op, ast.IsNot) else "is"
        fix = "!=" if isinstance(op, ast.IsNot) else "=="
        yield Hit(
            "ATNB004",
            node,
            f"`{spelled}` compares identity with the literal `{ast.unparse(literal)[:40]}`: "
            f"whether that holds depends on interning and caching; use `{fix}`",
            "medium",
            "high",
            595,
        )


# --------------------------------------------------------------------------- ATNB005


def _statement_lists(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    if isinstance(node, ast.Match):
        for case in node.cases:
            yield case.body


def _unreachable(body: list[ast.stmt]) -> Iterator[Hit]:
    for stmt, following in itertools.pairwise(body):
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Yield):
            return  # `return` then `yield`: the idiom that makes an empty generator
        if isinstance(stmt, TERMINATORS):
            kind = type(stmt).__name__.lower()
            yield Hit(
                "ATNB005",
                following,
                f"Unreachable code: this statement follows a `{kind}` in the same block "
                "and never runs",
                "medium",
                "high",
                561,
            )
            return


# --------------------------------------------------------------------------- ATNB006


def _shadowed_builtins(function: FunctionNode) -> Iterator[Hit]:
    args = function.args
    params = [
        a
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        if a is not None and a.arg in SHADOWED
    ]
    if not params:
        return
    called = {
        node.func.id
        for stmt in function.body
        for node in ast.walk(stmt)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    # `len=len` binds the builtin itself as a fast local: the idiom, not a shadow.
    bound = {arg.arg for arg, default in _defaults(args) if _is_name(default, arg.arg)}
    for param in params:
        if param.arg in called and param.arg not in bound:
            yield Hit(
                "ATNB006",
                param,
                f"Parameter `{param.arg}` shadows the builtin `{param.arg}()`, which the "
                f"body then calls: the call reaches the argument, not the builtin",
                "high",
                "high",
            )


# --------------------------------------------------------------------------- ATNB007


def _catches_everything(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(isinstance(k, ast.Name) and k.id in ("Exception", "BaseException") for k in kinds)


def _explained(block: ast.Try | ast.TryStar, handler: ast.ExceptHandler, lines: list[str]) -> bool:
    """A comment on the `try` line or the line above it, the line before the handler, or
    in the handler says the silence is deliberate."""
    end = handler.end_lineno or handler.lineno
    near = {block.lineno - 1, block.lineno, handler.lineno - 1, *range(handler.lineno, end + 1)}
    return any("#" in lines[n - 1] for n in near if 0 < n <= len(lines))


def _swallowed(
    block: ast.Try | ast.TryStar, handler: ast.ExceptHandler, lines: list[str]
) -> Iterator[Hit]:
    if not _catches_everything(handler) or _explained(block, handler, lines):
        return
    only_pass = all(
        isinstance(s, ast.Pass)
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is ...)
        for s in handler.body
    )
    if only_pass:
        caught = "everything" if handler.type is None else ast.unparse(handler.type)
        yield Hit(
            "ATNB007",
            handler,
            f"Exception handler catches {caught} and does nothing: errors vanish without a "
            "trace; catch the expected exception, or log it",
            "low",
            "high",
            390,
        )


# --------------------------------------------------------------------------- ATNB008


def _plain(function: FunctionNode) -> bool:
    return all(
        isinstance(d, ast.Name) and d.id in PLAIN_DECORATORS for d in function.decorator_list
    )


def _module_coroutines(tree: ast.Module) -> set[str]:
    """Module-level coroutine functions whose name means nothing else in the module."""
    asyncs: set[str] = set()
    other: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.AsyncFunctionDef) and _plain(stmt):
            asyncs.add(stmt.name)
        elif isinstance(stmt, (ast.AsyncFunctionDef, ast.FunctionDef, ast.ClassDef)):
            other.add(stmt.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            other.add(node.id)
        elif isinstance(node, ast.alias):
            other.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            other.update(node.names)
    return asyncs - other


def _async_functions(body: list[ast.stmt]) -> Iterator[ast.AsyncFunctionDef]:
    for stmt in body:
        if isinstance(stmt, ast.AsyncFunctionDef):
            yield stmt


def _local_names(function: FunctionNode) -> set[str]:
    args = function.args
    names = {
        a.arg
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        if a is not None
    }
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node is not function
        ):
            names.add(node.name)
    return names


def _discarded_calls(function: ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """Calls made as a whole statement in this coroutine's own body (not nested defs)."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield node.value
        stack.extend(ast.iter_child_nodes(node))


def _missing_await(
    function: ast.AsyncFunctionDef, coroutines: set[str], methods: set[str]
) -> Iterator[Hit]:
    local = _local_names(function)
    for call in _discarded_calls(function):
        name = None
        if isinstance(call.func, ast.Name) and call.func.id in coroutines - local:
            name = call.func.id
        elif (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ("self", "cls")
            and call.func.attr in methods
        ):
            name = f"{call.func.value.id}.{call.func.attr}"
        if name:
            yield Hit(
                "ATNB008",
                call,
                f"`{name}()` is a coroutine function called without `await`: the call only "
                "creates a coroutine, its body never runs",
                "high",
                "high",
            )


def _missing_await_in_class(cls: ast.ClassDef, coroutines: set[str]) -> Iterator[Hit]:
    methods: set[str] = set()
    other: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.AsyncFunctionDef) and _plain(stmt):
            methods.add(stmt.name)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            other.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            other.update(n for t in targets for n in _target_names(t))
    methods -= other  # a name defined twice in the class is ambiguous
    for function in _async_functions(cls.body):
        yield from _missing_await(function, coroutines, methods)
