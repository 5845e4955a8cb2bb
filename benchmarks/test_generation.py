"""Benchmark: line+branch coverage of generated tests, attune vs Pynguin alone vs ghostwriter alone.

    python benchmarks/test_generation.py [--budget 10] [--cache ~/.cache/attune-bench] [--json]

Modules of the pip-installable packages the CodaMosa and CoverUp papers drew on (flutils,
docstring_parser, python-string-utils, pymonet), from their sdists downloaded with pip
into the cache directory. Offline, per module and in one run:

- Pynguin alone: its own test file after `--budget` seconds of search;
- ghostwriter alone: `hypothesis write MODULE` (the ghostwriter's module-wide output);
- attune: the candidates of all three engines (the same Pynguin run, the ghostwriter per
  function, the AST engine) through the flow's own isolation runner and keep rules
  (activities/test_generation/keep.py): kept when a candidate passes twice alone and
  adds line or branch coverage; possible bugs count for nothing.

Every suite is measured the same way, by the isolation runner's coverage probe:
coverage.py's combined line+branch percentage of the module's own file, for whatever
the suite runs (the tools' failing tests included, so their numbers are generous).
Pynguin's search budget is wall-clock: on a loaded machine it explores less. Anchors
on a suite of this kind (CodaMosa's benchmark modules), overall: CoverUp (GPT-4o) 60.3%,
CodaMosa 48.7%, plain LLM prompting (CodaMosa's Codex-only baseline) 34.0%.

The LLM loop's cost per module (`--no-llm` leaves it out): the flow itself runs, on a
private Temporal dev server with a dedicated `attune worker` (benchmarks/_temporal.py),
with `engines=["llm"]` and its default rounds and segments, against the loopback fake
Messages API (tests/fake_anthropic.py). The fake's usage is the prompt's length / 4 in
and the answer's length / 4 out (an approximation, not a tokenizer); its answers are
tests that cover nothing new, so every segment takes every round and the last one
escalates to Opus: the loop's worst case at the defaults, an upper bound of what a
module costs. Dollars come from the flow's own report, priced by the one price table
(activities/llm/prices.toml).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from _temporal import server_and_worker

from activities.test_generation.analysis import module_file
from activities.test_generation.ast_engine import run_ast_engine
from activities.test_generation.ghostwriter_engine import run_ghostwriter
from activities.test_generation.isolation import RunResult
from activities.test_generation.keep import ModuleState, judge, module_runner, probe_module
from activities.test_generation.pynguin_engine import run_pynguin
from activities.test_generation.runs import run_bounded, target_env
from starter.runner import start_workflow
from tests.fake_anthropic import FakeAnthropic, approximate_tokens
from workflows.registry import registry
from workflows.test_generation.candidates import CandidateTest
from workflows.test_generation.models import ModuleSpec, TestGenerationRequest

ANCHORS = {"CoverUp (GPT-4o)": 60.3, "CodaMosa": 48.7, "plain LLM prompting": 34.0}
SDISTS = {
    "flutils==0.6.1": "flutils-0.6.1",
    "docstring_parser==0.18.0": "docstring_parser-0.18.0",
    "python-string-utils==1.0.0": "python-string-utils-1.0.0",
    "pymonet==0.12.0": "pymonet-0.12.0",
}
MODULES = [
    ("flutils-0.6.1", "flutils.strutils"),
    ("flutils-0.6.1", "flutils.namedtupleutils"),
    ("docstring_parser-0.18.0", "docstring_parser.google"),
    ("docstring_parser-0.18.0", "docstring_parser.rest"),
    ("python-string-utils-1.0.0", "string_utils.validation"),
    ("python-string-utils-1.0.0", "string_utils.manipulation"),
    ("pymonet-0.12.0", "pymonet.maybe"),
    ("pymonet-0.12.0", "pymonet.either"),
]
TEST_TIMEOUT_S = 60.0


def fetch(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for requirement, tree in SDISTS.items():
        if (cache / tree).is_dir():
            continue
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
                *("--no-binary=:all:", "-d", str(cache), requirement),
            ],
            check=True,
        )
        with tarfile.open(cache / f"{tree}.tar.gz") as archive:
            archive.extractall(cache, filter="data")


def runner(tree: Path, module: str) -> tuple[Path, Callable[[str], RunResult]]:
    """The flow's isolation runner for `module`, as the invoking user (the cache is not
    readable by uid 65534)."""
    source = module_file(module, tree)
    assert source is not None, f"{module} is not under {tree}"
    run = module_runner(source, tree, TEST_TIMEOUT_S, sys.executable)
    return source, lambda text: run(text, False)


def suite_coverage(test_file: Path, tree: Path, module: str) -> float:
    """What one tool's whole test file covers of the module, as the runner measures it."""
    _, run = runner(tree, module)
    result = run(test_file.read_text())
    return result.coverage.percent() if result.status == "ran" else 0.0


def kept_by_attune(
    tree: Path, module: str, candidates: list[CandidateTest]
) -> tuple[ModuleState, float]:
    source, run = runner(tree, module)
    spec = ModuleSpec(module=module, file=source.relative_to(tree).as_posix())
    state = ModuleState(spec=spec)
    probe_module(state, lambda text, _drop: run(text), "the benchmark runs as its user")
    for candidate in candidates:
        judge(state, candidate, run)
    return state, state.covered.percent()


def ghostwriter_alone(module: str, root: Path, work: Path) -> Path:
    out = work / "test_ghostwriter_alone.py"
    done = run_bounded(
        [str(Path(sys.executable).parent / "hypothesis"), "write", module],
        cwd=work,
        env=target_env(root),
        timeout=300,
    )
    out.write_text(done.stdout)
    return out


def bench_module(tree: Path, module: str, budget: int, work: Path) -> dict:
    started = time.monotonic()
    raw = work / "pynguin_raw"
    pynguin = run_pynguin(module, tree, budget_s=budget, raw_dir=raw)
    ghost = run_ghostwriter(module, tree, budget_s=budget * 6)
    ast_found = run_ast_engine(module, tree, budget_s=budget * 6)
    engines = (pynguin, ghost, ast_found)
    state, attune = kept_by_attune(
        tree, module, [c for outcome in engines for c in outcome.candidates]
    )
    raw_files = sorted(raw.glob("*.py")) if raw.is_dir() else []
    return {
        "module": module,
        "attune": attune,
        "pynguin_alone": suite_coverage(raw_files[0], tree, module) if raw_files else 0.0,
        "ghostwriter_alone": suite_coverage(ghostwriter_alone(module, tree, work), tree, module),
        "candidates": {o.engine: len(o.candidates) for o in engines},
        "status": {o.engine: f"{o.status}: {o.reason}"[:200] for o in engines if o.status != "ok"},
        "kept": dict(Counter(k.candidate.engine for k in state.kept)),
        "rejected": dict(Counter(r.reason for r in state.rejected)),
        "possible_bugs": len(state.bugs),
        "seconds": round(time.monotonic() - started, 1),
    }


def answer_with_tests_that_add_nothing(fake: FakeAnthropic) -> None:
    """Answer every segment with three tests that import the module and cover nothing
    the baseline does not: the loop's feedback and escalation run in full."""

    def respond(body: dict) -> None:
        content = body["messages"][0]["content"]
        user = content if isinstance(content, str) else content[0]["text"]
        module = user.split("Module `", 1)[1].split("`", 1)[0]
        function = user.split("The function `", 1)[1].split("`", 1)[0]
        stem = "test_" + re.sub(r"\W+", "_", f"{module}_{function}").strip("_").lower()
        tests = [
            {
                "name": f"{stem}_{n}",
                "behaviour": f"{module} imports",
                "imports": [f"import {module}"],
                "body": f"def {stem}_{n}():\n"
                "    # Given the module\n    # When imported\n"
                f"    # Then it has a name\n    assert {module}.__name__ == {module!r}\n",
            }
            for n in range(3)
        ]
        answer = json.dumps({"tests": tests, "confidence": 0.9})
        usage = {
            "input_tokens": approximate_tokens(body),
            "output_tokens": max(1, len(answer) // 4),
        }
        fake.ok(answer, usage=usage)

    fake.responder = respond


async def llm_costs(cache: Path, modules: list[tuple[str, str]]) -> dict[str, dict]:
    """Per module, the LLM loop's calls per tier, tokens and dollars, from its report."""
    flow = registry().get("test-generation")
    assert flow is not None
    costs = {}
    with FakeAnthropic() as fake:
        answer_with_tests_that_add_nothing(fake)
        extra = {"ANTHROPIC_API_KEY": "fake-key", "ANTHROPIC_BASE_URL": fake.url}
        async with server_and_worker(extra) as bench:
            for tree, module in modules:
                source = module_file(module, cache / tree)
                assert source is not None
                request = TestGenerationRequest(target=str(source), engines=["llm"])
                handle = await start_workflow(bench.client, flow, request)
                result = await handle.result()
                costs[module] = {
                    "status": result.llm.status,
                    "calls_by_tier": result.llm.calls_by_tier,
                    "input_tokens": result.llm.tokens.get("input", 0),
                    "output_tokens": result.llm.tokens.get("output", 0),
                    "cost_usd": result.llm.cost_usd,
                }
                print(json.dumps({module: costs[module]}), file=sys.stderr)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=10, help="Pynguin's search seconds")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="run the modules whose name has this")
    parser.add_argument("--no-llm", action="store_true", help="leave the LLM loop's cost out")
    args = parser.parse_args()
    fetch(args.cache)
    chosen = [m for m in MODULES if args.only in m[1]]
    costs = {} if args.no_llm else asyncio.run(llm_costs(args.cache, chosen))
    rows = []
    for tree, module in chosen:
        with tempfile.TemporaryDirectory(prefix="attune-bench-tg-") as tmp:
            rows.append(bench_module(args.cache / tree, module, args.budget, Path(tmp)))
        rows[-1]["llm"] = costs.get(module)
        print(json.dumps(rows[-1]), file=sys.stderr)
    columns = ("attune", "pynguin_alone", "ghostwriter_alone")
    means = {c: round(sum(r[c] for r in rows) / len(rows), 1) for c in columns}
    if args.json:
        print(json.dumps({"budget_s": args.budget, "rows": rows, "mean": means}, indent=2))
        return
    print(f"line+branch coverage, Pynguin budget {args.budget}s per module")
    print(
        f"{'module':28} {'attune':>7} {'pynguin':>8} {'ghostw.':>8} {'kept':>5} {'s':>6}"
        f" {'llm calls':>18} {'in tok':>7} {'out tok':>7} {'llm $':>8}"
    )
    for r in rows:
        llm = r["llm"] or {}
        calls = ", ".join(f"{t} {n}" for t, n in sorted(llm.get("calls_by_tier", {}).items()))
        print(
            f"{r['module']:28} {r['attune']:7.1f} {r['pynguin_alone']:8.1f} "
            f"{r['ghostwriter_alone']:8.1f} {sum(r['kept'].values()):5d} {r['seconds']:6.1f}"
            f" {calls or '-':>18} {llm.get('input_tokens', 0):7d} "
            f"{llm.get('output_tokens', 0):7d} {llm.get('cost_usd', 0.0):8.4f}"
        )
    total = sum((r["llm"] or {}).get("cost_usd", 0.0) for r in rows)
    print(
        f"{'mean':28} {means['attune']:7.1f} {means['pynguin_alone']:8.1f} "
        f"{means['ghostwriter_alone']:8.1f} {'':>5} {'':>6} {'':>18} {'':>7} {'total':>7} "
        f"{total:8.4f}"
    )
    print("llm: the flow's LLM loop alone against the fake Messages API (worst case, see --help)")
    print("published anchors (overall): " + ", ".join(f"{k} {v}%" for k, v in ANCHORS.items()))


if __name__ == "__main__":
    main()
