"""attune's own performance rules, found with `ast` alone. Each reports only a shape that
costs time whatever the surrounding code means, and skips anything ambiguous.

| rule    | pattern                                                    | impact        | CWE  |
|---------|------------------------------------------------------------|---------------|------|
| ATNP001 | `re.compile`/`re.match`/... of a constant pattern in a loop | repeated-work | 1050 |
|         | (strict only: `re` caches the compiled pattern)             |               |      |
| ATNP002 | `x in names` in a loop, `names` a list built before it      | algorithmic   | 407  |
| ATNP003 | `data += ...` in a loop, `data` bytes (str: strict only)    | algorithmic   | 1046 |
| ATNP004 | ORM query in a for-loop body (N+1)                          | query-count   | 1050 |
| ATNP005 | loop-invariant call: `os.getcwd()`, `sorted(CONST)`, ...    | repeated-work | 1050 |
|         | (`len(CONST)`: strict only, it costs nothing)               |               |      |
| ATNP006 | `queue.pop(0)` in `while queue:`, `queue` a list            | algorithmic   | 407  |
| ATNP007 | `set(names)`, `max(names)`... in a for loop, `names` unchanged | algorithmic | 1050 |

Deliberately skipped: membership in a list literal of constants that is never mutated
(its size is fixed, the test is O(1)); names bound more than once in the function (their
type is unknown); `+=` (or `s = s + ...`) on attributes or subscripts; `os.getcwd()` in a
loop that calls `os.chdir`; constants that the function rebinds; calls in the `for`
header (evaluated once); code in functions, lambdas and classes defined inside the loop
(it runs when called, not per iteration); loops over a literal (`for x in (a, b):`, or
over a name bound once to one and never grown: a fixed few iterations), except for ORM
queries; `pop(0)` outside a `while` loop draining that same list (a handful of leading
items taken off, not a queue); a collection the loop body might change (rebinds it,
calls any of its methods, stores into it, passes it to a function) or a call in a block
that leaves the loop (`return`, `break`, `raise`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from activities.security_audit.scanners.merge import merge_findings
from workflows.schemas import Finding

TOOL = "attune"
CATEGORY = "performance"

LOOPS = (ast.For, ast.AsyncFor, ast.While)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
RE_FUNCTIONS = frozenset(
    {"compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
)
MUTATORS = frozenset({"append", "extend", "insert", "__iadd__"})
LIST_BUILDERS = frozenset({"list", "sorted"})
DJANGO_QUERIES = frozenset(
    {
        "get", "filter", "exclude", "all", "first", "last", "count", "exists", "create",
        "get_or_create", "update_or_create", "values", "values_list", "aggregate", "update",
        "delete", "raw", "in_bulk", "earliest", "latest",
    }
)  # fmt: skip
# Django managers: `Model.objects`, and the managers Django's own code reaches for.
DJANGO_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
SQLALCHEMY_QUERIES = frozenset({"query", "execute", "scalars", "scalar", "get"})
# Zero-argument calls whose answer does not change inside a loop (unless the loop changes
# directory, see `os.chdir`), each a system call or more.
INVARIANT_CALLS = frozenset(
    {
        "os.getcwd", "os.getcwdb", "os.cpu_count", "os.getpid", "os.getuid",
        "platform.system", "platform.machine", "platform.platform", "platform.node",
        "platform.python_version", "socket.gethostname", "getpass.getuser",
        "locale.getpreferredencoding", "sys.getdefaultencoding", "sys.getrecursionlimit",
    }
)  # fmt: skip
# Builtins that copy or walk their argument: on a module constant, the same work each time.
CONST_WALKERS = frozenset(
    {"sorted", "list", "set", "frozenset", "tuple", "len", "sum", "max", "min"}
)


@dataclass(frozen=True)
class Hit:
    rule_id: str
    node: ast.AST
    message: str
    impact: str
    fix: str
    severity: str
    confidence: str
    cwe: int | None = None
    strict_only: bool = False
    """A real shape whose cost CPython mostly hides: reported by the strict profile only."""


def find_performance_issues(source: str, file: str, profile: str = "strict") -> list[Finding]:
    """attune's performance findings in one file's source (`strict`: every rule;
    `default`: without the strict-only shapes); [] when it does not parse."""
    return check_source(source, file, profile)[0]


def check_source(
    source: str, file: str, profile: str = "strict"
) -> tuple[list[Finding], SyntaxError | None]:
    """(findings, the syntax error that stopped the check, if any) of one file's source."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as err:
        return [], err
    except ValueError as err:  # null bytes
        return [], SyntaxError(str(err))
    lines = source.splitlines()
    hits = [h for h in _hits(tree) if profile == "strict" or not h.strict_only]
    return merge_findings([_finding(hit, file, lines) for hit in hits]), None


def _finding(hit: Hit, file: str, lines: list[str]) -> Finding:
    line = getattr(hit.node, "lineno", 1)
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
        end_line=getattr(hit.node, "end_lineno", None) or line,
        message=f"{hit.message} (impact: {hit.impact}). Fix: {hit.fix}",
        snippet=text.strip()[:200],
    )


# --------------------------------------------------------------------------- scopes


@dataclass
class Scope:
    """One function (or the module): its statements, and what its names are bound to."""

    node: ast.AST
    body: list[ast.stmt]
    bindings: dict[str, list[ast.AST]]  # name -> binding statements (Assign/AugAssign/...)


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a scope, not entering nested functions, lambdas or classes."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, SCOPES):
            yield from _scope_nodes(child)


def _bindings(scope: ast.AST) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}
    for node in _scope_nodes(scope):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(
            node,
            (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr),
        ):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                found.setdefault(name, []).append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                found.setdefault(name, []).append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, []).append(node)
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    found.setdefault(name.id, []).append(node)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = scope.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                found.setdefault(arg.arg, []).append(arg)
    return found


def _loops(scope: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(node, innermost loop) for each node in a loop body of this scope."""

    def visit(node: ast.AST, loop: ast.AST | None) -> Iterator[tuple[ast.AST, ast.AST]]:
        for field, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if not isinstance(child, ast.AST) or isinstance(child, SCOPES):
                    continue
                inner = loop
                if isinstance(node, LOOPS) and field in ("body",):
                    inner = node
                elif isinstance(node, ast.While) and field == "test":
                    inner = node  # a while test runs every iteration
                if inner is not None:
                    yield child, inner
                yield from visit(child, inner)

    yield from visit(scope, None)


def _inside(node: ast.AST, loop: ast.AST) -> bool:
    return any(child is node for child in ast.walk(loop))


def _dotted(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return ".".join(reversed(parts))
    return ""


def _module_aliases(nodes: list[ast.AST]) -> dict[str, str]:
    """Local name -> module, for the `import x` / `import x as y` of a module's nodes."""
    aliases = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if "." not in alias.name:
                    aliases[alias.asname or alias.name] = alias.name
    return aliases


def _hits(tree: ast.Module) -> Iterator[Hit]:
    """Every rule's hits, scope by scope; scopes without loops (most) cost one walk."""
    nodes = list(ast.walk(tree))
    aliases = _module_aliases(nodes)
    constants: set[str] | None = None
    for scope in [tree, *(n for n in nodes if isinstance(n, SCOPES[:2]))]:
        pairs = list(_loops(scope))
        if not pairs:
            continue
        bindings = _bindings(scope)
        mutated = _mutated_names(scope)
        if constants is None:
            constants = _module_constants(tree)
        for node, loop in pairs:
            if isinstance(node, ast.Call) and isinstance(loop, (ast.For, ast.AsyncFor)):
                yield from _query_in_loop(node)  # a few queries are still one too many
            if _fixed_handful(loop, bindings, mutated):
                continue  # per-iteration costs, times a literal's few items
            if isinstance(node, ast.Call):
                yield from _regex_in_loop(node, aliases, bindings)
                yield from _invariant_call(node, loop, aliases, constants, bindings)
                if isinstance(loop, (ast.For, ast.AsyncFor)):
                    yield from _rebuilt_collection(node, loop, bindings)
            elif isinstance(node, ast.Compare):
                yield from _quadratic_membership(node, loop, scope, bindings)
            elif isinstance(node, (ast.AugAssign, ast.Assign)):
                yield from _string_concat(node, loop, bindings)
            if isinstance(node, ast.Call) and isinstance(loop, ast.While):
                yield from _list_as_queue(node, loop, bindings)


def _fixed_handful(loop: ast.AST, bindings: dict, mutated: set[str]) -> bool:
    """`for x in (a, b, c):`, or over a name bound once to such a literal and never
    grown: the loop runs a fixed few times whatever the input, so work repeated per
    iteration costs a constant."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return False
    items = loop.iter
    if isinstance(items, ast.Name) and items.id not in mutated:
        bound = bindings.get(items.id, [])
        if len(bound) == 1 and isinstance(bound[0], ast.Assign) and len(bound[0].targets) == 1:
            items = bound[0].value
    return isinstance(items, (ast.List, ast.Tuple, ast.Set)) and not any(
        isinstance(e, ast.Starred) for e in items.elts
    )


def _module_name(name: str, aliases: dict[str, str], bindings: dict) -> str | None:
    """The module a plain name refers to, when the function does not rebind it."""
    if name in bindings and not all(isinstance(b, ast.Import) for b in bindings[name]):
        return None
    return aliases.get(name)


# --------------------------------------------------------------------------- ATNP001


def _regex_in_loop(call: ast.Call, aliases: dict[str, str], bindings: dict) -> Iterator[Hit]:
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.attr in RE_FUNCTIONS
        and _module_name(func.value.id, aliases, bindings) == "re"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, (str, bytes))
    ):
        return
    if func.attr == "compile":
        message = "re.compile of a constant pattern inside a loop compiles it every iteration"
    else:
        message = (
            f"re.{func.attr} with a constant pattern inside a loop looks the pattern up "
            "in re's cache every iteration (and recompiles it once the cache is full)"
        )
    yield Hit(
        "ATNP001",
        call,
        message,
        "repeated-work",
        "compile the pattern once, at module level or before the loop, and call its method",
        "low",
        "high",
        1050,
        strict_only=True,  # 0 of 6 hand-labelled on Django were worth it: re caches patterns
    )


# --------------------------------------------------------------------------- ATNP002


def _list_origin(value: ast.expr) -> str | None:
    if isinstance(value, ast.ListComp):
        return "comprehension"
    if isinstance(value, ast.List):
        return "literal"
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in LIST_BUILDERS
    ):
        return value.func.id
    return None


def _mutated_names(scope: ast.AST) -> set[str]:
    """Names of the scope that a mutating method (`append`, `extend`...) is called on."""
    return {
        node.func.value.id
        for node in _scope_nodes(scope)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.attr in MUTATORS
    }


def _quadratic_membership(
    compare: ast.Compare, loop: ast.AST, scope: ast.AST, bindings: dict
) -> Iterator[Hit]:
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    for op, right in zip(compare.ops, compare.comparators, strict=True):
        if not isinstance(op, (ast.In, ast.NotIn)) or not isinstance(right, ast.Name):
            continue
        bound = bindings.get(right.id, [])
        if len(bound) != 1 or not isinstance(bound[0], ast.Assign):
            continue
        assign = bound[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
            continue
        origin = _list_origin(assign.value)
        if origin is None or _inside(assign, loop):
            continue
        if origin == "literal" and right.id not in _mutated_names(scope):
            continue  # a fixed handful of items: the test costs a constant
        yield Hit(
            "ATNP002",
            compare,
            f"membership test against list {right.id!r} inside a loop scans the list "
            "every iteration: O(n*m) overall",
            "algorithmic",
            f"build a set once before the loop (`{right.id}_set = set({right.id})`), or keep "
            "a set next to the list while you fill it",
            "medium",
            "medium" if origin == "literal" else "high",
            407,
        )
        return


# --------------------------------------------------------------------------- ATNP003


def _is_str_constant(value: ast.expr) -> bool:
    return (isinstance(value, ast.Constant) and isinstance(value.value, str)) or isinstance(
        value, ast.JoinedStr
    )


def _concat_target(node: ast.AugAssign | ast.Assign) -> str | None:
    """The name `node` appends to, for `s += x` and `s = s + x`; None for anything else."""
    if isinstance(node, ast.AugAssign):
        if isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
            return node.target.id
        return None
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        return None
    first = node.value  # the leftmost operand of `s + a + b`
    while isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add):
        first = first.left
    if first is not node.value and _is_name(first, node.targets[0].id):
        return node.targets[0].id
    return None


def _string_concat(
    node: ast.AugAssign | ast.Assign, loop: ast.AST, bindings: dict
) -> Iterator[Hit]:
    name = _concat_target(node)
    if name is None:
        return
    bound = bindings.get(name, [])
    concats = [b for b in bound if isinstance(b, (ast.AugAssign, ast.Assign)) and _concat_target(b)]
    starts = [b for b in bound if isinstance(b, ast.Assign) and not _concat_target(b)]
    others = [b for b in bound if not isinstance(b, (ast.Assign, ast.AugAssign))]
    if others or len(starts) != 1 or len(starts) + len(concats) != len(bound):
        return
    start = starts[0]
    if _inside(start, loop) or len(start.targets) != 1:
        return
    is_bytes = isinstance(start.value, ast.Constant) and isinstance(start.value.value, bytes)
    if not (is_bytes or _is_str_constant(start.value)):
        return
    how = "+=" if isinstance(node, ast.AugAssign) else f"{name} = {name} + ..."
    if is_bytes:
        message = f"bytes {name!r} built with {how} inside a loop copies it each time: quadratic"
        fix = "collect the pieces in a list and `b''.join(...)` them, or extend a bytearray"
    else:
        message = (
            f"string {name!r} built with {how} inside a loop: CPython usually extends a "
            "local str in place, other interpreters (and a second reference) copy it each "
            "time, quadratic"
        )
        fix = (
            "collect the pieces in a list and `''.join(...)` them after the loop, or write "
            "to an io.StringIO"
        )
    yield Hit(
        "ATNP003",
        node,
        message,
        "algorithmic",
        fix,
        "low",
        "high",
        1046,
        strict_only=not is_bytes,
    )


# --------------------------------------------------------------------------- ATNP004


def _query_in_loop(call: ast.Call) -> Iterator[Hit]:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return
    receiver = func.value
    kind = None
    # Django: Model.objects.get(...), or a queryset method called on Model.objects.x(...)
    if (
        func.attr in DJANGO_QUERIES
        and isinstance(receiver, ast.Attribute)
        and receiver.attr in DJANGO_MANAGERS
        and isinstance(receiver.value, (ast.Name, ast.Attribute))
    ):
        kind = "Django"
    # SQLAlchemy: session.query(...), db.session.execute(...), self.session.scalars(...)
    if func.attr in SQLALCHEMY_QUERIES:
        name = (
            receiver.id
            if isinstance(receiver, ast.Name)
            else receiver.attr
            if isinstance(receiver, ast.Attribute)
            else ""
        )
        if name == "session" or name.endswith("_session"):
            kind = "SQLAlchemy"
    if kind is None:
        return
    yield Hit(
        "ATNP004",
        call,
        f"{kind} query `{_dotted(func) or func.attr}(...)` inside a for loop runs one query "
        "per item (N+1)",
        "query-count",
        "fetch the rows in one query before the loop (`filter(pk__in=...)`, "
        "select_related/prefetch_related, selectinload, an IN clause) and look them up in "
        "a dict; write with bulk_create/bulk_update or executemany",
        "medium",
        "medium",
        1050,
    )


# --------------------------------------------------------------------------- ATNP005


def _module_constants(tree: ast.Module) -> set[str]:
    """UPPER_CASE names bound exactly once, at module level, to a literal container."""
    counts: dict[str, list[ast.AST]] = _bindings(tree)
    mutated = _mutated_names(tree)
    constants = set()
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = node.targets[0].id
            if (
                name.isupper()
                and len(counts.get(name, [])) == 1
                and isinstance(node.value, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Constant))
                and name not in mutated
            ):
                constants.add(name)
    return constants


def _changes_directory(loop: ast.AST, aliases: dict[str, str]) -> bool:
    for node in ast.walk(loop):
        if isinstance(node, ast.Call):
            dotted = _dotted(node.func)
            if dotted.endswith("chdir") or dotted.endswith("setrecursionlimit"):
                return True
    return False


def _invariant_call(
    call: ast.Call, loop: ast.AST, aliases: dict[str, str], constants: set[str], bindings: dict
) -> Iterator[Hit]:
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and not call.args
        and not call.keywords
    ):
        module = _module_name(func.value.id, aliases, bindings)
        dotted = f"{module}.{func.attr}"
        if module and dotted in INVARIANT_CALLS and not _changes_directory(loop, aliases):
            yield Hit(
                "ATNP005",
                call,
                f"{dotted}() inside a loop asks the system the same question every iteration",
                "repeated-work",
                "call it once before the loop and reuse the value",
                "low",
                "high",
                1050,
            )
        return
    if (
        isinstance(func, ast.Name)
        and func.id in CONST_WALKERS
        and func.id not in bindings
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in constants
        and call.args[0].id not in bindings
    ):
        walks = func.id != "len"
        yield Hit(
            "ATNP005",
            call,
            f"{func.id}({call.args[0].id}) of a module constant inside a loop "
            + ("redoes the same work every iteration" if walks else "is the same every time"),
            "repeated-work",
            "compute it once (before the loop, or as another module constant)",
            "low" if walks else "info",
            "high",
            1050,
            strict_only=not walks,  # len() is O(1): the same, but no cost
        )


# --------------------------------------------------------------------------- ATNP006


def _drains(loop: ast.While, name: str) -> bool:
    """`while name:` or `while len(name)` (optionally `> 0`): the loop runs until it is empty."""
    test = loop.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        test = test.left
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "len":
        test = test.args[0] if len(test.args) == 1 else test
    return isinstance(test, ast.Name) and test.id == name


def _list_as_queue(call: ast.Call, loop: ast.While, bindings: dict) -> Iterator[Hit]:
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == "pop"
        and isinstance(func.value, ast.Name)
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value == 0
        and _drains(loop, func.value.id)
    ):
        return
    name = func.value.id
    bound = bindings.get(name, [])
    assigns = [b for b in bound if not isinstance(b, ast.arg)]
    if not assigns or not all(
        isinstance(b, ast.Assign)
        and len(b.targets) == 1
        and isinstance(b.targets[0], ast.Name)
        and _list_origin(b.value) is not None
        and b.lineno < loop.lineno
        for b in assigns
    ):
        return  # a parameter never made a list, a deque, a tuple...: the type is unknown
    yield Hit(
        "ATNP006",
        call,
        f"{name}.pop(0) drains list {name!r} from the front: each pop shifts every remaining "
        "item, O(n^2) for the whole loop",
        "algorithmic",
        f"make {name!r} a collections.deque and call popleft(), or pop() from the end of a "
        "reversed list",
        "low",
        "high",
        407,
    )


# --------------------------------------------------------------------------- ATNP007

# Builtins that walk their whole argument: on a collection the loop leaves alone, the
# same O(n) answer every iteration.
WALKERS = frozenset({"sorted", "set", "frozenset", "list", "tuple", "dict", "max", "min", "sum"})
SCALAR_WALKERS = frozenset({"max", "min", "sum"})
EXITS = (ast.Return, ast.Break, ast.Raise)


def _changed_in(name: str, loop: ast.AST, call: ast.Call) -> bool:
    """Whether the loop may change `name`: rebinding, a method call, a store or delete
    through it, or handing it to any call other than `call`."""
    for node in ast.walk(loop):
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.Attribute) and _is_name(node.value, name):
            return True
        if (
            isinstance(node, ast.Subscript)
            and _is_name(node.value, name)
            and not isinstance(node.ctx, ast.Load)
        ):
            return True
        if isinstance(node, ast.Call) and node is not call:
            args = [*node.args, *(k.value for k in node.keywords)]
            if any(_is_name(a, name) or isinstance(a, ast.Starred) for a in args):
                return True
    return False


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _runs_once(call: ast.Call, loop: ast.AST) -> bool:
    """Whether `call` sits in a statement, or a block, that leaves the loop."""

    def visit(body: list[ast.stmt]) -> bool | None:
        for stmt in body:
            if not _inside(call, stmt):
                continue
            if isinstance(stmt, EXITS) or any(isinstance(s, EXITS) for s in body):
                return True
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    found = visit(inner)
                    if found is not None:
                        return found
                if isinstance(inner, list):
                    for handler in inner:
                        if isinstance(handler, ast.ExceptHandler) and _inside(call, handler):
                            return visit(handler.body)
            return False
        return None

    return bool(visit(loop.body))  # type: ignore[attr-defined]


def _only_read(call: ast.Call, loop: ast.AST) -> bool:
    """Whether the collection `call` builds is only read where it is made: compared
    (`x in set(names)`, `== list(names)`), indexed, or iterated by an inner loop."""
    for node in ast.walk(loop):
        if any(child is call for child in ast.iter_child_nodes(node)):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                return node.iter is call
            if isinstance(node, ast.Subscript):
                return node.value is call
            return isinstance(node, ast.Compare)
    return False


def _rebuilt_collection(call: ast.Call, loop: ast.AST, bindings: dict) -> Iterator[Hit]:
    func = call.func
    if not (
        isinstance(func, ast.Name)
        and func.id in WALKERS
        and func.id not in bindings
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
    ):
        return
    name = call.args[0].id
    bound = bindings.get(name, [])
    if not bound or any(
        isinstance(b, (ast.Global, ast.Nonlocal)) or _inside(b, loop) for b in bound
    ):
        return  # a global, or something the loop itself binds
    if _changed_in(name, loop, call) or _runs_once(call, loop):
        return
    if func.id not in SCALAR_WALKERS and not _only_read(call, loop):
        return  # a fresh copy that escapes may be one on purpose (the callee may change it)
    yield Hit(
        "ATNP007",
        call,
        f"{func.id}({name}) inside a for loop walks the whole of {name!r} every iteration, "
        "though the loop never changes it: O(n*m) overall",
        "algorithmic",
        f"compute {func.id}({name}) once before the loop and reuse it",
        "medium",
        "high",
        1050,
    )
