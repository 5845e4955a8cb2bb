"""Hypothesis's ghostwriter: property tests, one per public function, made readable.

The ghostwriter imports the target, so it runs in a subprocess with a hard timeout. Each
function gets `ghostwriter.magic` (a fuzz test, or an idempotence/round-trip property
when the name suggests one; its algebraic guesses for any two-argument function, such as
"divide is commutative", fall back to a fuzz test), tolerating the exceptions the
function raises on purpose.
A method of a class that `st.builds` can make (every required constructor argument
has a type hint) gets `self=st.builds(Class)`. A
function the ghostwriter can only feed `st.nothing()` is skipped with the parameter
named: such a test would never run an example.
"""

from __future__ import annotations

import ast
import json
import sys
import tempfile
from pathlib import Path

from activities.test_generation.analysis import FunctionInfo, read_functions
from activities.test_generation.render import Behaviour, candidate, deduplicate, read_header
from activities.test_generation.runs import Clock, import_error, run_bounded, target_env
from workflows.test_generation.candidates import CandidateTest, EngineOutcome

WRITER = """
import builtins, importlib, json, sys
from hypothesis.extra import ghostwriter

request = json.load(sys.stdin)
module = importlib.import_module(request["module"])
written = {}
for item in request["functions"]:
    try:
        target = module
        for part in item["qualname"].split("."):
            target = getattr(target, part)
        tolerated = []
        for name in item["raises"]:
            exc = getattr(module, name, None) or getattr(builtins, name, None)
            if isinstance(exc, type) and issubclass(exc, BaseException):
                tolerated.append(exc)
        source = ghostwriter.magic(target, except_=tuple(tolerated))
        if "_binary_operation_" in source:
            source = ghostwriter.fuzz(target, except_=tuple(tolerated))
        written[item["qualname"]] = {"source": source}
    except Exception as err:
        written[item["qualname"]] = {"error": f"{type(err).__name__}: {err}"}
print(json.dumps(written))
"""

IMPORTS = {
    "NoneType": "from types import NoneType",
    "given": "from hypothesis import given",
    "reject": "from hypothesis import reject",
    "st": "from hypothesis import strategies as st",
}


def run_ghostwriter(module: str, import_root: Path, *, budget_s: float = 60.0) -> EngineOutcome:
    """Property tests for every public function of `module`, or why there are none."""
    outcome = Clock("ghostwriter")
    functions, why_not = read_functions(module, import_root)
    if why_not:
        return outcome("skipped", why_not)
    with tempfile.TemporaryDirectory(prefix="attune-ghostwriter-") as tmp:
        error = import_error(module, import_root, sys.executable, Path(tmp))
        if error:
            return outcome("skipped", f"{module} does not import: {error}")
        request = {
            "module": module,
            "functions": [{"qualname": f.qualname, "raises": f.raises} for f in functions],
        }
        done = run_bounded(
            [sys.executable, "-c", WRITER],
            cwd=Path(tmp),
            env=target_env(import_root),
            timeout=budget_s,
            stdin=json.dumps(request),
        )
    if done.timed_out:
        return outcome("timed_out", f"the ghostwriter ran past {budget_s:.0f}s")
    if done.returncode != 0:
        return outcome("failed", f"the ghostwriter failed: {done.last_line()}")
    written = json.loads(done.stdout.strip().splitlines()[-1])
    found: list[CandidateTest] = []
    skipped: list[str] = []
    for info in functions:
        result = written.get(info.qualname, {})
        if "error" in result:
            skipped.append(f"{info.qualname} ({result['error']})")
            continue
        tests, reason = normalise(result["source"], module, info)
        found += tests
        if reason:
            skipped.append(f"{info.qualname} ({reason})")
    reason = "skipped " + "; ".join(skipped) if skipped else ""
    return outcome("ok" if found else "skipped", reason, deduplicate(found))


def _nothing(node: ast.AST) -> bool:
    return ast.unparse(node) == "st.nothing()"


def normalise(
    source: str, module: str, info: FunctionInfo
) -> tuple[list[CandidateTest], str | None]:
    """The ghostwriter's module for one function as candidates, or why it was skipped."""
    tree = ast.parse(source)
    header = read_header(tree, module, IMPORTS)
    found = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        given = next(
            (d for d in node.decorator_list if isinstance(d, ast.Call) and _is_given(d)), None
        )
        if given is None:
            continue
        for kw in given.keywords:
            if kw.arg == "self" and _nothing(kw.value) and info.owner and _buildable(info):
                kw.value = ast.parse(f"st.builds({module}.{info.owner})", mode="eval").body
        empty = [kw.arg for kw in given.keywords if _nothing(kw.value)]
        if empty:
            return [], f"the ghostwriter has only st.nothing() for {', '.join(map(str, empty))}"
        node = header.unqualify(node)
        found.append(candidate("ghostwriter", module, _behaviour(node, info), header.imports))
    return found, None if found else "the ghostwriter wrote no test"


def _buildable(info: FunctionInfo) -> bool:
    """`st.builds(Class)` can make an instance: no required argument lacks a type hint."""
    init = info.owner_init
    if init is None:
        return info.owner_builds_bare
    args = init.args
    positional = args.args[1 : len(args.args) - len(args.defaults)]
    keyword = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    required = positional + [arg for arg, default in keyword if default is None]
    return all(arg.annotation is not None for arg in required)


def _is_given(decorator: ast.Call) -> bool:
    return ast.unparse(decorator.func) in ("given", "hypothesis.given")


def _behaviour(node: ast.FunctionDef, info: FunctionInfo) -> Behaviour:
    kind = node.name.removeprefix("test_").split("_", 1)[0]
    given = next(d for d in node.decorator_list if isinstance(d, ast.Call) and _is_given(d))
    drawn = [f"# {kw.arg} drawn from {ast.unparse(kw.value)}" for kw in given.keywords]
    names = [str(kw.arg) for kw in given.keywords if kw.arg != "self"]
    tolerated = f" other than {', '.join(info.raises)}" if info.raises else ""
    checks = [s for s in node.body if isinstance(s, ast.Assert)]
    when = [ast.unparse(s) for s in node.body if not isinstance(s, ast.Assert)]
    outcomes = {
        "fuzz": ("raises_nothing_unexpected", f"raises no exception{tolerated}"),
        "idempotent": ("is_idempotent", "gives the same result when applied twice"),
        "roundtrip": ("round_trips", "round-trips its input"),
    }
    outcome, said = outcomes.get(kind, (f"has_{kind}_property", f"has the {kind} property"))
    inputs = ", ".join(names) or ("instance" if info.owner else "call")
    return Behaviour(
        function=info.qualname,
        outcome=outcome,
        sentence=f"{info.qualname} {said} for any {inputs}.",
        given=drawn,
        when=when,
        then=[ast.unparse(s) for s in checks] or [f"# no exception{tolerated} escaped"],
        input_slug="any_" + "_".join(names[:2]) if names else "",
        decorators=[f"@{ast.unparse(d)}" for d in node.decorator_list],
        params=ast.unparse(node.args),
    )
