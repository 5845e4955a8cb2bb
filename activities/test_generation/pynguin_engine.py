"""Pynguin's regression tests, rewritten into one readable test per behaviour.

Pynguin (in its own tool venv: it pins pytest<9) searches for call sequences that cover
the module and records what they returned or raised. Its output is a dump: `test_case_0`
names, `var_0` soup, several unrelated calls per test and `xfail` tests whose last call
raised something unexpected. Each observed behaviour here (a call followed by assertions,
a call inside `pytest.raises`, or a call that merely returned: it still reaches code the
coverage rule may value) becomes its own test: the statements it needs are
sliced out of the sequence, variables are renamed after the parameter, class or call they
hold, and the module alias becomes plain `from module import name` imports. The raising
last call of an `xfail` test becomes a `pytest.raises(Exception)` test: Pynguin records
no exception type for it and mostly finds it by passing values outside the declared
types, so it pins that the call refuses the input rather than reporting a bug; it still
reaches the module's guard clauses, which the coverage rule values.
"""

from __future__ import annotations

import ast
import copy
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from activities.test_generation.render import (
    Behaviour,
    ModuleHeader,
    candidate,
    deduplicate,
    read_header,
    safe_identifier,
    snake,
    value_slug,
)
from activities.test_generation.runs import Clock, import_error, run_bounded, target_env
from activities.tool_envs import PYNGUIN, PipSources, ToolEnvError, tool_env
from workflows.test_generation.candidates import CandidateTest, EngineOutcome

SEED = 20_240_601


def run_pynguin(
    module: str,
    import_root: Path,
    *,
    budget_s: int = 10,
    sources: PipSources | None = None,
    seed: int = SEED,
    raw_dir: Path | None = None,
) -> EngineOutcome:
    """Pynguin on one module for `budget_s` seconds of search, as candidate tests.

    `raw_dir` receives Pynguin's own test files too, for comparing against Pynguin alone.
    """
    outcome = Clock("pynguin")
    if not (3, 10) <= sys.version_info[:2] < (3, 16):
        return outcome(
            "skipped", f"Pynguin needs Python >=3.10,<3.16, not {sys.version.split()[0]}"
        )
    try:
        env = tool_env(PYNGUIN, sources=sources)
    except ToolEnvError as err:
        return outcome("failed", f"Pynguin's tool venv: {err}")
    with tempfile.TemporaryDirectory(prefix="attune-pynguin-") as tmp:
        work = Path(tmp)
        error = import_error(module, import_root, str(env.python), work)
        if error:
            return outcome("skipped", f"{module} does not import: {error}")
        out = work / "out"
        done = run_bounded(
            [
                str(env.python),
                "-m",
                "pynguin",
                "--project-path",
                str(import_root),
                "--module-name",
                module,
                "--output-path",
                str(out),
                "--report-dir",
                str(work / "report"),
                "--seed",
                str(seed),
                "--maximum-search-time",
                str(budget_s),
                "--maximum-mutation-time",
                str(budget_s),
                "--create-coverage-report",
                "False",
            ],
            cwd=work,
            env=target_env(import_root, PYNGUIN_DANGER_AWARE="1"),
            timeout=budget_s * 3 + 60,
        )
        if done.timed_out:
            return outcome("timed_out", f"Pynguin ran past {budget_s * 3 + 60}s")
        generated = sorted(out.glob("*.py")) if out.is_dir() else []
        if not generated:
            return outcome("failed", f"Pynguin wrote no tests: {done.last_line()}")
        found = [test for path in generated for test in normalise(path.read_text(), module)]
        if raw_dir is not None:
            raw_dir.mkdir(parents=True, exist_ok=True)
            for path in generated:
                shutil.copy(path, raw_dir / path.name)
    return outcome("ok", "" if found else "Pynguin found no behaviour to assert", found)


def normalise(source: str, module: str) -> list[CandidateTest]:
    """Pynguin's generated test module as one readable candidate per behaviour."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        tree = ast.parse(source)
    header = read_header(tree, module, {"pytest": "import pytest"})
    found: list[CandidateTest] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            found += _split(node, header)
    return deduplicate(found)


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _defines(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return set()


def _call_of(stmt: ast.stmt) -> ast.Call | None:
    if isinstance(stmt, ast.Assign | ast.Expr) and isinstance(stmt.value, ast.Call):
        return stmt.value
    if isinstance(stmt, ast.With) and stmt.body:
        return _call_of(stmt.body[0])
    return None


def _is_raises(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.With) and "pytest.raises" in ast.unparse(stmt.items[0])


def _split(test: ast.FunctionDef, header: ModuleHeader) -> list[CandidateTest]:
    body = [header.unqualify(stmt) for stmt in test.body]
    if any("xfail" in ast.unparse(d) for d in test.decorator_list) and body:
        call = _call_of(body[-1])
        body = body[:-1]
        if call is not None:
            refused = ast.parse(f"with pytest.raises(Exception):\n    {ast.unparse(call)}")
            body.append(refused.body[0])
    found = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Assert) or _call_of(stmt) is None:
            continue
        then = []
        for later in body[i + 1 :]:
            if not isinstance(later, ast.Assert):
                break
            then.append(later)
        behaviour = _behaviour(body[:i], stmt, then)
        if behaviour:
            found.append(candidate("pynguin", header.module, behaviour, header.imports))
    return found


def _slice(before: list[ast.stmt], needed: set[str]) -> list[ast.stmt]:
    """The earlier statements that build or change the test's own variables the behaviour
    uses (the target's functions and classes are imports, not state)."""
    local = set().union(*map(_defines, before))
    needed = needed & local
    kept: list[ast.stmt] = []
    for stmt in reversed(before):
        if isinstance(stmt, ast.Assert):
            continue
        if _defines(stmt) & needed or (_call_of(stmt) and _loads(stmt) & needed):
            kept.append(stmt)
            needed |= _loads(stmt) & local
    return kept[::-1]


def _behaviour(before: list[ast.stmt], stmt: ast.stmt, then: list[ast.Assert]) -> Behaviour | None:
    given = _slice(before, _loads(stmt) | set().union(*map(_loads, then)) - _defines(stmt))
    given, stmt, then = copy.deepcopy((given, stmt, then))
    names = _rename(given, stmt)
    given, stmt = [_Rename(names).visit(s) for s in given], _Rename(names).visit(stmt)
    then = [_Rename(names).visit(a) for a in then]
    call = _call_of(stmt)
    if call is None:
        return None
    function = _function_name(call, given)
    literals = {
        t.id: ast.unparse(s.value)
        for s in given
        if isinstance(s, ast.Assign) and _is_literal(s.value)
        for t in s.targets
        if isinstance(t, ast.Name)
    }
    arguments = [ast.unparse(a) for a in call.args] + [ast.unparse(k.value) for k in call.keywords]
    shown = [literals.get(a, a) for a in arguments]
    input_slug = "_and_".join(value_slug(a) for a in shown[:2] if _is_literal_source(a))
    inputs = "\n".join([*map(ast.unparse, given), ast.unparse(stmt)])
    if _is_raises(stmt):
        assert isinstance(stmt, ast.With)
        exc = ast.unparse(stmt.items[0].context_expr.args[0])
        short = exc.rsplit(".", 1)[-1]
        typed = exc != "Exception"
        if typed:
            stmt.items[0].optional_vars = ast.Name(id="raised", ctx=ast.Store())
        return Behaviour(
            function=function,
            outcome=f"raises_{snake(short)}" if typed else "raises_an_exception",
            sentence=f"{function} raises {short if typed else 'an exception'} for "
            f"{', '.join(shown) or 'no arguments'}.",
            given=[ast.unparse(s) for s in given],
            when=[ast.unparse(stmt)],
            then=[f"assert raised.type is {exc}"]
            if typed
            else ["# it refused the input (Pynguin recorded no exception type)"],
            inputs=inputs,
            input_slug=input_slug,
        )
    expected = _expected(then)
    if expected:
        outcome, said = f"returns_{value_slug(expected)}", f"returns {expected}"
    elif then:
        outcome, said = "behaves_as_recorded", "behaves as recorded"
    else:
        outcome, said = "returns_normally", "returns without raising"
    return Behaviour(
        function=function,
        outcome=outcome,
        sentence=f"{function} {said} for {', '.join(shown) or 'no arguments'}.",
        given=[ast.unparse(s) for s in given],
        when=[ast.unparse(stmt)],
        then=[ast.unparse(a) for a in then] or ["# it returned without raising"],
        inputs=inputs,
        input_slug=input_slug,
    )


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_literal_source(source: str) -> bool:
    return _is_literal(ast.parse(source, mode="eval").body)


def _expected(then: list[ast.Assert]) -> str | None:
    for check in then:
        test = check.test
        if not (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)):
            continue
        if test.left.id != "result" or len(test.comparators) != 1:
            continue
        right = test.comparators[0]
        if isinstance(test.ops[0], ast.Is) and _is_literal(right):
            return ast.unparse(right)
        if isinstance(test.ops[0], ast.Eq):
            if isinstance(right, ast.Call) and "approx" in ast.unparse(right.func) and right.args:
                right = right.args[0]
            if _is_literal(right):
                return ast.unparse(right)
    return None


def _function_name(call: ast.Call, given: list[ast.stmt]) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        for stmt in given:
            made = _call_of(stmt) if isinstance(stmt, ast.Assign) else None
            if func.value.id in _defines(stmt) and made and isinstance(made.func, ast.Name):
                return f"{made.func.id}.{func.attr}"
        local = any(func.value.id in _defines(stmt) for stmt in given)
        return func.attr if local else ast.unparse(func)
    return ast.unparse(func)


def _rename(given: list[ast.stmt], stmt: ast.stmt) -> dict[str, str]:
    """Readable names for Pynguin's `var_N`: the parameter, class or call they stand for."""
    taken = {n for s in [*given, stmt] for n in _loads(s) if not n.startswith("var_")}
    names: dict[str, str] = {}
    keyword_of: dict[str, str] = {}
    for node in [*given, stmt]:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            for kw in call.keywords:
                if kw.arg and isinstance(kw.value, ast.Name):
                    keyword_of.setdefault(kw.value.id, kw.arg)
    for node in [*given, stmt]:
        for var in sorted(_defines(node)):
            if not var.startswith("var_"):
                continue
            call = _call_of(node)
            if node is stmt:
                hint = "result"
            elif var in keyword_of and isinstance(node, ast.Assign) and _is_literal(node.value):
                hint = keyword_of[var]
            elif call is not None and isinstance(call.func, ast.Name):
                name = call.func.id
                hint = name if name[:1].isupper() else f"{name}_result"
            elif call is not None and isinstance(call.func, ast.Attribute):
                hint = f"{call.func.attr}_result"
            else:
                hint = keyword_of.get(var, "value")
            names[var] = safe_identifier(hint, taken)
    return names


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(id=self.names.get(node.id, node.id), ctx=node.ctx), node)
