"""The test-generation engines, each run for real on small modules written here.

Pynguin runs from its tool venv, built once per session offline from the wheelhouse
`make install` downloads into `.venv/wheels`; the ghostwriter and the AST engine run in
their own subprocesses. Generated candidates are written to a file and run by pytest, as
the isolation runner will.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from activities.test_generation.ast_engine import run_ast_engine
from activities.test_generation.ghostwriter_engine import run_ghostwriter
from activities.test_generation.pynguin_engine import normalise, run_pynguin
from activities.test_generation.render import one_line, value_slug
from activities.tool_envs import PYNGUIN, PipSources, env_key, tool_env
from workflows.test_generation.candidates import CandidateTest

WHEELHOUSE = Path(sys.prefix) / "wheels"
OFFLINE = PipSources(find_links=(str(WHEELHOUSE),), no_index=True)

CALC = """
def classify(n: int) -> str:
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "zero"
    if n > 100:
        return "big"
    return "small"


def divide(a: int, b: int) -> float:
    return a / b


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x: int) -> None:
        self.items.append(x)

    def pop(self) -> int:
        if not self.items:
            raise IndexError("empty")
        return self.items.pop()
"""

EDGE = """
from typing import Optional


class Empty(Exception):
    pass


def grade(score: int) -> str:
    if score < 0 or score > 100:
        raise ValueError("out of range")
    if score >= 90:
        return "A"
    return "pass" if score >= 50 else "fail"


def average(values: list) -> float:
    return sum(values) / len(values)


def first(items: list, default: Optional[int] = None):
    if not items:
        if default is None:
            raise Empty("no items")
        return default
    return items[0]


def opaque(thing):
    return thing
"""

PYNGUIN_OUTPUT = """
import pytest
import sys
import calc

calc_ = sys.modules["calc"]


@pytest.mark.xfail(strict=True)
def test_0():
    var_0 = 251
    var_10 = calc_.classify(n=var_0)
    assert var_10 == "big"
    calc_.classify(n=None)


def test_2():
    var_48 = calc_.Stack()
    with pytest.raises(IndexError):
        var_48.pop()


def test_6():
    var_35 = calc_.Stack()
    var_35.push(x=0)
    var_36 = calc_.Stack()
    var_48 = var_35.pop()
    assert var_48 == 0
"""


def write_module(root: Path, name: str, source: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


def run_candidates(tests: list[CandidateTest], root: Path, work: Path) -> dict[str, str]:
    """Each candidate's pytest outcome, from one file holding them all."""
    imports = sorted({line for test in tests for line in test.imports})
    work.mkdir(parents=True, exist_ok=True)
    (work / "test_generated.py").write_text(
        "\n".join(imports) + "\n\n\n" + "\n\n".join(t.body for t in tests)
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "test_generated.py",
        ],
        cwd=work,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return dict(
        (name, status)
        for status, name in re.findall(
            r"^(PASSED|FAILED|ERROR) test_generated.py::(\w+)", done.stdout, re.M
        )
    )


def assert_readable(test: CandidateTest) -> None:
    assert re.fullmatch(r"test_[a-z0-9_]+", test.name), test.name
    assert "test_case" not in test.body and "var_" not in test.body
    for section in ("# Given", "# When", "# Then"):
        assert section in test.body, test.body
    ast.parse(test.body)
    used = {n.id for n in ast.walk(ast.parse(test.body)) if isinstance(n, ast.Name)}
    for line in test.imports:
        name = line.split(" as ")[-1].split(" import ")[-1].split(".")[0].removeprefix("import ")
        assert name in used, (line, test.body)


@pytest.fixture(scope="session")
def pynguin_ready() -> PipSources:
    """Pynguin's tool venv, built offline once for the session."""
    assert any(WHEELHOUSE.glob("pynguin-*.whl")), f"no Pynguin wheel in {WHEELHOUSE}: make install"
    tool_env(PYNGUIN, sources=OFFLINE)
    return OFFLINE


def test_pip_sources_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTUNE_PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("ATTUNE_PIP_FIND_LINKS", "/a /b")
    monkeypatch.delenv("ATTUNE_PIP_NO_INDEX", raising=False)
    assert PipSources.from_env().args() == [
        "--index-url",
        "http://127.0.0.1:9/simple",
        "--find-links",
        "/a",
        "--find-links",
        "/b",
    ]
    monkeypatch.setenv("ATTUNE_PIP_NO_INDEX", "1")
    assert PipSources.from_env().args()[0] == "--no-index"


def test_two_processes_build_one_tool_venv(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from activities.tool_envs import *; "
        "print(tool_env(['iniconfig'], home=Path(sys.argv[1]), "
        "sources=PipSources(find_links=(sys.argv[2],), no_index=True)).path)"
    )
    cmd = [sys.executable, "-c", script, str(tmp_path), str(WHEELHOUSE)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    paths = {proc.communicate(timeout=300)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    key = env_key(["iniconfig"], sys.executable)
    assert paths == {str(tmp_path / "tools" / key)}
    assert sorted(p.name for p in (tmp_path / "tools").iterdir()) == [key, f"{key}.lock"]
    built = tool_env(["iniconfig"], home=tmp_path, sources=OFFLINE)
    assert subprocess.run([built.python, "-c", "import iniconfig"], check=False).returncode == 0
    assert env_key(["iniconfig", "pytest"], sys.executable) != key


def test_pynguin_dump_becomes_one_readable_test_per_behaviour() -> None:
    tests = normalise(PYNGUIN_OUTPUT, "calc")
    assert [t.name for t in tests] == [
        "test_classify_returns_big_for_251",
        "test_classify_raises_an_exception_for_none",
        "test_stack_returns_normally",
        "test_stack_pop_raises_index_error",
        "test_stack_push_returns_normally_for_0",
        "test_stack_pop_returns_0",
    ]
    for test in tests:
        assert_readable(test)
    pop = tests[5]
    assert pop.imports == ["from calc import Stack"]
    assert "stack = Stack()\n    stack.push(x=0)\n" in pop.body
    assert "stack_2" not in pop.body and "n=None" not in tests[0].body
    assert "Given no setup" in tests[1].body and "pytest.raises(Exception):" in tests[1].body


def test_pynguin_engine_on_a_real_module(pynguin_ready: PipSources, tmp_path: Path) -> None:
    root = write_module(tmp_path / "src", "calc", CALC)
    outcome = run_pynguin("calc", root, budget_s=5, sources=pynguin_ready)
    assert outcome.status == "ok", outcome.reason
    assert outcome.candidates
    for test in outcome.candidates:
        assert test.engine == "pynguin" and test.module == "calc"
        assert_readable(test)
    results = run_candidates(outcome.candidates, root, tmp_path / "run")
    assert set(results.values()) == {"PASSED"}, results


def test_pynguin_skips_a_module_that_does_not_import(
    pynguin_ready: PipSources, tmp_path: Path
) -> None:
    root = write_module(tmp_path, "broken", "import not_a_module_anywhere\n")
    outcome = run_pynguin("broken", root, budget_s=5, sources=pynguin_ready)
    assert outcome.status == "skipped"
    assert "No module named 'not_a_module_anywhere'" in outcome.reason


def test_ghostwriter_writes_property_tests(tmp_path: Path) -> None:
    root = write_module(tmp_path / "src", "calc", CALC + "\n\ndef mystery(thing):\n    return 1\n")
    outcome = run_ghostwriter("calc", root)
    assert outcome.status == "ok", outcome.reason
    by_function = {t.function: t for t in outcome.candidates}
    assert {"classify", "divide", "Stack.push", "Stack.pop"} <= set(by_function)
    assert "mystery (the ghostwriter has only st.nothing() for thing)" in outcome.reason
    classify = by_function["classify"]
    assert classify.name == "test_classify_raises_nothing_unexpected_for_any_n"
    assert "except ValueError:" in classify.body
    assert "self=st.builds(Stack)" in by_function["Stack.push"].body
    for test in outcome.candidates:
        assert_readable(test)
    results = run_candidates(outcome.candidates, root, tmp_path / "run")
    assert results[classify.name] == "PASSED"
    assert results[by_function["Stack.push"].name] == "PASSED"


def test_ghostwriter_skips_a_module_that_does_not_import(tmp_path: Path) -> None:
    root = write_module(tmp_path, "broken", "def f(x: int) -> int:\n    return x\n\n1 / 0\n")
    outcome = run_ghostwriter("broken", root)
    assert outcome.status == "skipped"
    assert outcome.reason.endswith("ZeroDivisionError: division by zero")


def test_ast_engine_pins_boundaries_raises_and_possible_bugs(tmp_path: Path) -> None:
    root = write_module(tmp_path / "src", "edge", EDGE)
    outcome = run_ast_engine("edge", root)
    assert outcome.status == "ok", outcome.reason
    names = {t.name: t for t in outcome.candidates}
    for test in outcome.candidates:
        assert_readable(test)
    assert {
        "test_grade_returns_fail_for_1",
        "test_grade_returns_pass_for_89",
        "test_grade_returns_a_for_90",
        "test_grade_raises_value_error_for_minus_1",
        "test_first_raises_empty_for_empty_list_and_none",
        "test_average_returns_1_5_for_list_of_2",
    } <= set(names)
    assert (
        "from edge import Empty" in names["test_first_raises_empty_for_empty_list_and_none"].imports
    )
    bug = names["test_average_returns_normally_for_empty_list"]
    assert bug.inputs == "average(values=[])"
    assert "ZeroDivisionError" in bug.behaviour
    assert not any(t.function == "opaque" and "normally" in t.name for t in outcome.candidates)
    results = run_candidates(outcome.candidates, root, tmp_path / "run")
    assert results.pop(bug.name) == "FAILED"
    assert set(results.values()) == {"PASSED"}, results


def test_ast_engine_skips_a_module_that_does_not_import(tmp_path: Path) -> None:
    root = write_module(
        tmp_path, "broken", "def f(x: int) -> int:\n    return x\n\nraise OSError('no')\n"
    )
    outcome = run_ast_engine("broken", root)
    assert (outcome.status, outcome.reason) == ("skipped", "broken does not import: OSError: no")


def test_value_slugs_read_as_words() -> None:
    assert [value_slug(s) for s in ("-3", "''", "'Hello World'", "None", "[1, 2]", "1.5")] == [
        "minus_3",
        "empty_str",
        "hello_world",
        "none",
        "list_of_2",
        "1_5",
    ]


def test_a_long_behaviour_stays_a_valid_docstring() -> None:
    sentence = "f returns " + repr("x" * 106 + "\\.\\d" * 10) + ' for "quoted"'
    line = one_line(sentence)
    assert len(line) <= 130 and line.endswith("...")
    ast.parse(f'"""{line}"""')
    assert '"' not in line
