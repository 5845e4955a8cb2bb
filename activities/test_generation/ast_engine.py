"""attune's own engine: inputs read from the code, results observed by running it.

For each public function or method, the inputs worth a test come from the source: the
literals the code compares a parameter against and their neighbours (the boundaries),
empty/zero/None as the type hint or default allows, and a typical value. Each parameter
is varied alone from a base call. The calls run in a subprocess (import root on
`sys.path`, temp cwd, timeout; a per-call alarm) and what happened becomes a regression
test:

- a return value whose `repr` round-trips as a literal is asserted equal;
- an exception raised by an explicit `raise` in the module is pinned with `pytest.raises`;
- any other exception (a TypeError, ZeroDivisionError or IndexError from deep inside),
  on inputs the type hints allow, becomes a test asserting a normal return, which the
  runner reports as a possible bug with its inputs.
"""

from __future__ import annotations

import ast
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from activities.test_generation.analysis import FunctionInfo, read_functions
from activities.test_generation.render import (
    Behaviour,
    candidate,
    deduplicate,
    safe_identifier,
    snake,
    value_slug,
)
from activities.test_generation.runs import Clock, import_error, run_bounded, target_env
from workflows.test_generation.candidates import CandidateTest, EngineOutcome

MAX_CALLS = 16
MAX_TESTS = 8
SAME_TYPE_REPEATS = 3
CALL_TIMEOUT_S = 2

TYPICAL: dict[str, list[str]] = {
    "int": ["1", "0", "-1"],
    "float": ["1.5", "0.0", "-1.0"],
    "str": ["'abc'", "''"],
    "bool": ["True", "False"],
    "bytes": ["b'ab'", "b''"],
    "list": ["[1, 2]", "[]"],
    "tuple": ["(1, 2)", "()"],
    "dict": ["{'a': 1}", "{}"],
    "set": ["{1, 2}", "set()"],
    "callable": ["str"],
}
UNCHECKED = {"callable"}
"""Hints whose typical value is only a guess: an exception on it is no evidence of a bug."""

OBSERVER = """
import ast, builtins, importlib, json, linecache, signal, sys, traceback
request = json.load(sys.stdin)
module = importlib.import_module(request["module"])
source_file = getattr(module, "__file__", None)

def alarm(signum, frame):
    raise TimeoutError("call ran past its alarm")

signal.signal(signal.SIGALRM, alarm)
observed = []
for call in request["calls"]:
    target = module
    for part in call["qualname"].split("."):
        target = getattr(target, part)
    kwargs = {name: eval(src) for name, src in call["args"].items()}
    signal.alarm(request["alarm"])
    try:
        if call["kind"] == "method":
            init = {name: eval(src) for name, src in call["init"].items()}
            try:
                instance = getattr(module, call["owner"])(**init)
            except Exception:
                observed.append({"kind": "unbuilt"})
                continue
            target = getattr(instance, call["qualname"].split(".")[-1])
        value = target(**kwargs)
    except TimeoutError:
        observed.append({"kind": "hung"})
        continue
    except Exception as err:
        frame = traceback.extract_tb(err.__traceback__)[-1]
        line = (linecache.getline(frame.filename, frame.lineno) or "").strip()
        deliberate = frame.filename == source_file and line.startswith("raise")
        kind = type(err)
        observed.append({"kind": "raised", "module": kind.__module__, "name": kind.__qualname__,
                         "deliberate": deliberate, "message": str(err)[:200]})
        continue
    finally:
        signal.alarm(0)
    text = repr(value)
    try:
        literal = ast.literal_eval(text) == value and type(ast.literal_eval(text)) is type(value)
    except Exception:
        literal = False
    kind = type(value)
    named = kind.__module__ != "builtins" or getattr(builtins, kind.__name__, None) is kind
    observed.append({"kind": "returned", "repr": text if literal and len(text) < 300 else None,
                     "module": kind.__module__, "name": kind.__qualname__ if named else None})
print(json.dumps(observed))
"""


@dataclass
class Call:
    info: FunctionInfo
    args: dict[str, str]
    trusted: bool
    init: dict[str, str] = field(default_factory=dict)


def run_ast_engine(module: str, import_root: Path, *, budget_s: float = 60.0) -> EngineOutcome:
    """Regression tests for `module` from its own comparisons, defaults and raises."""
    outcome = Clock("ast")
    functions, why_not = read_functions(module, import_root)
    if why_not:
        return outcome("skipped", why_not)
    calls = [call for info in functions for call in plan_calls(info)]
    if not calls:
        return outcome("skipped", f"{module} has no public function attune can call")
    with tempfile.TemporaryDirectory(prefix="attune-ast-engine-") as tmp:
        error = import_error(module, import_root, sys.executable, Path(tmp))
        if error:
            return outcome("skipped", f"{module} does not import: {error}")
        request = {
            "module": module,
            "alarm": CALL_TIMEOUT_S,
            "calls": [
                {
                    "qualname": c.info.qualname,
                    "kind": c.info.kind,
                    "owner": c.info.owner,
                    "args": c.args,
                    "init": c.init,
                }
                for c in calls
            ],
        }
        done = run_bounded(
            [sys.executable, "-c", OBSERVER],
            cwd=Path(tmp),
            env=target_env(import_root),
            timeout=budget_s,
            stdin=json.dumps(request),
        )
    if done.timed_out:
        return outcome("timed_out", f"observing {len(calls)} calls ran past {budget_s:.0f}s")
    if done.returncode != 0:
        return outcome("failed", f"observing the calls failed: {done.last_line()}")
    observed = json.loads(done.stdout.strip().splitlines()[-1])
    found = tests_from(module, calls, observed)
    return outcome("ok" if found else "skipped", "" if found else "no observable behaviour", found)


def _hint_names(annotation: ast.expr | None) -> list[str]:
    """`T.Optional[str]` -> ["str", "none"], `Union[int, float]` -> ["int", "float"],
    `list[int]` -> ["list"]: the type names whose typical values apply."""
    if annotation is None:
        return []
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return ["none"]
        if isinstance(annotation.value, str):
            try:
                return _hint_names(ast.parse(annotation.value, mode="eval").body)
            except SyntaxError:
                return ["?"]
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _hint_names(annotation.left) + _hint_names(annotation.right)
    if isinstance(annotation, ast.Subscript):
        base = _hint_names(annotation.value)
        inner = annotation.slice
        parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if base == ["optional"]:
            return [*_hint_names(parts[0]), "none"]
        if base == ["union"]:
            return [name for part in parts for name in _hint_names(part)]
        return base
    if isinstance(annotation, ast.Name):
        return [annotation.id.lower()]
    if isinstance(annotation, ast.Attribute):
        return [annotation.attr.lower()]
    return ["?"]


def _compared_literals(node: ast.AST, param: str) -> list[str]:
    """Literals the body compares `param` (or `len(param)`) against, with neighbours."""
    values: list[str] = []
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Compare):
            continue
        sides = [sub.left, *sub.comparators]
        if not any(_mentions(side, param) for side in sides):
            continue
        for side in sides:
            values += _literal_neighbours(side, sized=any(_is_len_of(s, param) for s in sides))
    return values


def _mentions(node: ast.expr, param: str) -> bool:
    """`param` itself or an expression of it (`len(param)`, `param.lower()`, `param % 2`)."""
    return any(isinstance(sub, ast.Name) and sub.id == param for sub in ast.walk(node))


def _is_len_of(node: ast.expr, param: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "len"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == param
    )


def _literal_neighbours(node: ast.expr, sized: bool) -> list[str]:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for elt in node.elts for v in _literal_neighbours(elt, sized)]
    if not isinstance(node, ast.Constant):
        return []
    value = node.value
    if isinstance(value, bool) or value is None:
        return [repr(value)]
    if isinstance(value, int | float):
        if sized:
            return [f"'{'a' * n}'" for n in (value - 1, value, value + 1) if 0 <= n < 50]
        return [repr(value - 1), repr(value), repr(value + 1)]
    if isinstance(value, str | bytes):
        return [repr(value)]
    return []


def _values(info: FunctionInfo, arg: ast.arg, default: ast.expr | None) -> tuple[list[str], bool]:
    """Candidate values for one parameter, and whether they all fit its declared type."""
    hints = _hint_names(arg.annotation)
    values: list[str] = []
    if default is not None and _literal(default):
        values.append(ast.unparse(default))
    for hint in hints:
        values += TYPICAL.get(hint, [])
    compared = _compared_literals(info.node, arg.arg)
    if hints:
        compared = [v for v in compared if _fits(v, hints)]
    values += compared
    if "none" in hints:
        values.append("None")
    trusted = bool(values) and all(
        (h in TYPICAL and h not in UNCHECKED) or h == "none" for h in hints or ["?"]
    )
    if not values:
        values = ["1", "'abc'"]
    return list(dict.fromkeys(values)), trusted


def _fits(source: str, hints: list[str]) -> bool:
    value = ast.literal_eval(source)
    return any(
        type(value).__name__ == hint or (hint == "float" and type(value) is int) for hint in hints
    )


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _options(
    info: FunctionInfo, node: ast.FunctionDef | ast.AsyncFunctionDef, bound: bool
) -> dict[str, tuple[list[str], bool]] | None:
    """Candidate values per parameter of `node`, or None when it cannot be called by keyword."""
    args = node.args
    if args.posonlyargs:
        return None
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(args.args, defaults, strict=True)) + list(
        zip(args.kwonlyargs, args.kw_defaults, strict=True)
    )
    if bound:
        pairs = pairs[1:]
    scope = FunctionInfo(info.qualname, node)
    return {arg.arg: _values(scope, arg, default) for arg, default in pairs}


def plan_calls(info: FunctionInfo) -> list[Call]:
    """A base call, then each parameter (the constructor's too) varied alone, capped."""
    if isinstance(info.node, ast.AsyncFunctionDef):
        return []
    options = _options(info, info.node, info.kind in ("method", "classmethod"))
    init_options: dict[str, tuple[list[str], bool]] | None = {}
    if info.kind == "method":
        if info.owner_init is None and not info.owner_builds_bare:
            return []
        if info.owner_init is not None:
            init_options = _options(info, info.owner_init, bound=True)
    if options is None or init_options is None:
        return []
    trusted = all(ok for _, ok in [*options.values(), *init_options.values()])
    base = {name: values[0] for name, (values, _) in options.items()}
    init = {name: values[0] for name, (values, _) in init_options.items()}
    calls = [Call(info, base, trusted, init)]
    for name, (values, _) in options.items():
        calls += [Call(info, {**base, name: v}, trusted, init) for v in values[1:]]
    for name, (values, _) in init_options.items():
        calls += [Call(info, base, trusted, {**init, name: v}) for v in values[1:]]
    return calls[:MAX_CALLS]


def tests_from(module: str, calls: list[Call], observed: list[dict]) -> list[CandidateTest]:
    """One test per distinct outcome of each function (a few when only the result's type
    is known, since inputs then differ in ways the outcome does not show), at most
    MAX_TESTS a function; the runner's coverage rule decides which are worth keeping."""
    found: list[CandidateTest] = []
    seen: dict[str, Counter[str]] = {}
    for call, seen_as in zip(calls, observed, strict=True):
        behaviour = _behaviour(module, call, seen_as)
        if behaviour is None:
            continue
        outcomes = seen.setdefault(call.info.qualname, Counter())
        repeats = SAME_TYPE_REPEATS if behaviour.outcome.startswith("returns_a_") else 1
        if outcomes[behaviour.outcome] >= repeats or outcomes.total() >= MAX_TESTS:
            continue
        outcomes[behaviour.outcome] += 1
        top = call.info.owner or call.info.qualname
        imports = {"pytest": "import pytest", top: f"from {module} import {top}"}
        kind_module, kind_name = seen_as.get("module"), seen_as.get("name")
        if kind_module == module and kind_name:
            imports[kind_name.split(".")[0]] = f"from {module} import {kind_name.split('.')[0]}"
        elif kind_module and kind_module != "builtins":
            imports[kind_module.split(".")[0]] = f"import {kind_module}"
        found.append(candidate("ast", module, behaviour, imports))
    return deduplicate(found)


def _type_reference(module: str, seen: dict) -> str:
    if seen["module"] in ("builtins", module):
        return seen["name"]
    return f"{seen['module']}.{seen['name']}"


def _behaviour(module: str, call: Call, seen: dict) -> Behaviour | None:
    info = call.info
    given = [f"{name} = {value}" for name, value in call.args.items()]
    target, built = info.qualname, ""
    if info.kind == "method":
        owner = info.owner or ""
        receiver = safe_identifier(owner, set(call.args))
        built = f"{owner}({', '.join(f'{n}={v}' for n, v in call.init.items())})"
        given.insert(0, f"{receiver} = {built}")
        target = f"{receiver}.{info.node.name}"
    invocation = f"{target}({', '.join(f'{n}={n}' for n in call.args)})"
    shown = ", ".join(filter(None, [built, *(f"{n}={v}" for n, v in call.args.items())]))
    shown = shown or "no arguments"
    input_slug = "_and_".join(value_slug(v) for v in [*call.args.values()][:2])
    inputs = f"{info.qualname}({', '.join(f'{n}={v}' for n, v in call.args.items())})"
    if built:
        inputs = f"{built}.{info.node.name}{inputs.removeprefix(info.qualname)}"
    common = {"function": info.qualname, "given": given, "inputs": inputs}
    if seen["kind"] == "returned" and seen["repr"] is not None:
        same = "is" if seen["repr"] in ("True", "False", "None") else "=="
        return Behaviour(
            outcome=f"returns_{value_slug(seen['repr'])}",
            sentence=f"{info.qualname} returns {seen['repr']} for {shown}.",
            when=[f"result = {invocation}"],
            then=[f"assert result {same} {seen['repr']}"],
            input_slug=input_slug,
            **common,
        )
    if seen["kind"] == "returned" and seen["name"]:
        kind = _type_reference(module, seen)
        return Behaviour(
            outcome=f"returns_a_{snake(seen['name'])}",
            sentence=f"{info.qualname} returns a {seen['name']} for {shown}.",
            when=[f"result = {invocation}"],
            then=[f"assert type(result) is {kind}"],
            input_slug=input_slug,
            **common,
        )
    if seen["kind"] != "raised":
        return None
    exc = _type_reference(module, seen)
    if seen["deliberate"]:
        return Behaviour(
            outcome=f"raises_{snake(seen['name'])}",
            sentence=f"{info.qualname} raises {seen['name']} for {shown}.",
            when=[f"with pytest.raises({exc}) as raised:\n    {invocation}"],
            then=[f"assert raised.type is {exc}"],
            input_slug=input_slug,
            **common,
        )
    if not call.trusted:
        return None
    return Behaviour(
        outcome="returns_normally",
        sentence=(
            f"{info.qualname} returns normally for {shown} (observed: {seen['name']}: "
            f"{seen['message'][:80]})."
        ),
        when=[invocation],
        then=[f"# it returns instead of raising {seen['name']}"],
        input_slug=input_slug,
        **common,
    )
