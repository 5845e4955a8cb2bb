"""The coverage-guided LLM loop's plain functions (the approach CoverUp published).

After the deterministic engines, what is still uncovered is cut into segments, one per
function (or method) with uncovered lines. Each segment's prompt shows the function
with its line numbers, the uncovered lines marked, the module's imports and signatures
as context, and, from the second round on, what became of the tests written for it
before: which failed and why, which covered nothing new, which lines are still
uncovered. The answers become candidates of the engine `llm` and go through the same
isolation runner and keep rules as every engine's.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

from activities.llm.outputs import schema_instructions
from activities.test_generation.keep import ModuleState
from workflows.schemas import LLMPrompt
from workflows.test_generation.candidates import CandidateTest

SYSTEM = """You write pytest tests for Python code, for attune test-generation.
Each test pins down one behaviour of the code as it is: call the function with concrete
inputs and assert on the result, or use pytest.raises for an exception the code raises
on purpose. Structure every test with `# Given`, `# When` and `# Then` comments. Import
what each test needs (the module under test by its dotted name; `import pytest` when
used). Tests run alone, in an empty temporary directory, with no network and no writes
outside it. Aim the tests at the uncovered lines marked `>>`."""
CONTEXT_LINES = 60


@dataclass(frozen=True)
class Segment:
    name: str
    start: int
    end: int
    uncovered: tuple[int, ...]


def _functions(tree: ast.Module) -> list[tuple[str, int, int]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.ClassDef):
            found += [
                (f"{node.name}.{item.name}", item.lineno, item.end_lineno or item.lineno)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return found


def uncovered_segments(source: str, state: ModuleState) -> list[Segment]:
    """Functions with lines that neither the project's tests nor the kept tests run,
    most uncovered first; only the selected functions when the run selects."""
    covered = set(state.covered.lines)
    missing = [line for line in state.body_lines if line not in covered]
    functions = _functions(ast.parse(source))
    repeated = {name for name, count in Counter(f[0] for f in functions).items() if count > 1}
    segments = []
    for name, start, end in functions:
        if state.spec.functions and name not in state.spec.functions:
            continue
        lines = tuple(line for line in missing if start <= line <= end)
        if lines:
            # A name defined twice (singledispatch's `_`, a property's setter) is one
            # segment per definition: its prompt, feedback and child workflow apart.
            unique = f"{name} (line {start})" if name in repeated else name
            segments.append(Segment(name=unique, start=start, end=end, uncovered=lines))
    segments.sort(key=lambda s: (-len(s.uncovered), s.start))
    return segments


def _context(source: str) -> str:
    """The module's imports and top-level signatures: what a test may call."""
    tree = ast.parse(source)
    lines = source.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            kept.append(ast.get_source_segment(source, node) or "")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            kept.append(lines[node.lineno - 1])
    return "\n".join(kept[:CONTEXT_LINES])


def feedback(state: ModuleState, segment: Segment) -> str:
    """What became of the tests written for this segment in earlier rounds."""
    names = {
        name for round_names in state.llm_segments.get(segment.name, []) for name in round_names
    }
    if not names:
        return ""
    notes = [
        f"- {r.name}: {r.reason}" + (f" ({r.detail})" if r.detail else "")
        for r in state.rejected
        if r.name in names
    ]
    kept = [k.candidate.name for k in state.kept if k.candidate.name in names]
    out = ["Your earlier tests for this function:"]
    out += [f"- {name}: kept" for name in kept] + notes
    out.append(f"Lines still uncovered: {', '.join(map(str, segment.uncovered))}.")
    out.append("Write different tests: fix the failures, reach the lines still uncovered.")
    return "\n".join(out)


def prompt_for(source: str, state: ModuleState, segment: Segment) -> LLMPrompt:
    lines = source.splitlines()
    numbered = "\n".join(
        f"{'>>' if n in segment.uncovered else '  '} {n:4d}  {lines[n - 1]}"
        for n in range(segment.start, segment.end + 1)
    )
    user = "\n".join(
        filter(
            None,
            [
                f"Module `{state.spec.module}` (import it as `{state.spec.module}`).",
                "Its imports and signatures:",
                "```python",
                _context(source),
                "```",
                f"The function `{segment.name}`, uncovered lines marked `>>`:",
                "```",
                numbered,
                "```",
                feedback(state, segment),
            ],
        )
    )
    return LLMPrompt(system=f"{SYSTEM}\n\n{schema_instructions('tests')}", user=user)


def candidates_from(
    answer: dict, module: str, segment: str, round_number: int
) -> list[CandidateTest]:
    """The answer's tests as candidates of the engine `llm`, named apart per round."""
    found = []
    for test in answer.get("tests", []):
        name = test["name"] if round_number == 1 else f"{test['name']}_r{round_number}"
        body = test["body"].replace(f"def {test['name']}(", f"def {name}(", 1)
        found.append(
            CandidateTest(
                engine="llm",
                module=module,
                function=segment,
                name=name,
                behaviour=test["behaviour"],
                imports=test["imports"],
                body=body,
            )
        )
    return found
