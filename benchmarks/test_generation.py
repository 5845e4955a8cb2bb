"""Benchmark: line+branch coverage of generated tests, attune vs Pynguin alone vs ghostwriter alone.

    python benchmarks/test_generation.py [--budget 10] [--cache ~/.cache/attune-bench] [--json]

Modules of the pip-installable packages the CodaMosa and CoverUp papers drew on (flutils,
docstring_parser, python-string-utils, pymonet), from their sdists downloaded with pip
into the cache directory. Offline, per module and in one run:

- Pynguin alone: its own test file after `--budget` seconds of search;
- ghostwriter alone: `hypothesis write MODULE` (the ghostwriter's module-wide output);
- attune: the candidates of all three engines (the same Pynguin run, the ghostwriter per
  function, the AST engine) kept by the keep rule: a candidate is kept when it passes
  twice in its own subprocess. Dropping kept tests that add no coverage leaves the
  union's coverage unchanged, so coverage is measured on every passing candidate;
  possible-bug candidates (which fail by design) count for nothing.

Coverage is coverage.py's combined line+branch percentage of the module's own file, for
whatever each suite runs (failing tests included for the tools alone). Published anchors
on a suite of this kind (CodaMosa's benchmark modules), overall: CoverUp (GPT-4o) 60.3%,
CodaMosa 48.7%, plain LLM prompting (CodaMosa's Codex-only baseline) 34.0%.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from activities.test_generation.ast_engine import run_ast_engine
from activities.test_generation.ghostwriter_engine import module_file, run_ghostwriter
from activities.test_generation.pynguin_engine import run_pynguin
from activities.test_generation.runs import run_bounded, target_env
from workflows.test_generation.candidates import CandidateTest

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
TWICE = """
import runpy, sys
namespace = runpy.run_path(sys.argv[1])
namespace[sys.argv[2]]()
namespace[sys.argv[2]]()
"""


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


def write_suite(path: Path, tests: list[CandidateTest]) -> Path:
    imports = sorted({line for test in tests for line in test.imports})
    path.write_text("\n".join(imports) + "\n\n\n" + "\n\n".join(t.body for t in tests))
    return path


def coverage_of(test_file: Path, root: Path, module: str, work: Path) -> float:
    """coverage.py's line+branch percent of the module's file when pytest runs the file."""
    data = work / f".coverage-{test_file.stem}"
    env = target_env(root, COVERAGE_FILE=str(data))
    target = str(module_file(module, root))
    run_bounded(
        [
            *(sys.executable, "-m", "coverage", "run", "--branch", f"--include={target}"),
            *("-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)),
        ],
        cwd=work,
        env=env,
        timeout=600,
    )
    report = work / f"{test_file.stem}.json"
    run_bounded(
        [sys.executable, "-m", "coverage", "json", "-o", str(report)],
        cwd=work,
        env=env,
        timeout=120,
    )
    if not report.exists():
        return 0.0
    return json.loads(report.read_text())["totals"]["percent_covered"]


def passes_twice(test: CandidateTest, root: Path, work: Path) -> bool:
    suite = write_suite(work / f"cand_{test.name}.py", [test])
    done = run_bounded(
        [sys.executable, "-c", TWICE, str(suite), test.name],
        cwd=work,
        env=target_env(root),
        timeout=60,
    )
    return done.returncode == 0 and not done.timed_out


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
    candidates = pynguin.candidates + ghost.candidates + ast_found.candidates
    kept = [t for t in candidates if passes_twice(t, tree, work)]
    row = {
        "module": module,
        "candidates": {o.engine: len(o.candidates) for o in (pynguin, ghost, ast_found)},
        "status": {o.engine: o.status for o in (pynguin, ghost, ast_found) if o.status != "ok"},
        "kept": len(kept),
    }
    raw_files = sorted(raw.glob("*.py")) if raw.is_dir() else []
    row["pynguin_alone"] = coverage_of(raw_files[0], tree, module, work) if raw_files else 0.0
    row["ghostwriter_alone"] = coverage_of(
        ghostwriter_alone(module, tree, work), tree, module, work
    )
    row["attune"] = (
        coverage_of(write_suite(work / "test_attune_kept.py", kept), tree, module, work)
        if kept
        else 0.0
    )
    row["seconds"] = round(time.monotonic() - started, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=10, help="Pynguin's search seconds")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="run the modules whose name has this")
    args = parser.parse_args()
    fetch(args.cache)
    rows = []
    for tree, module in (m for m in MODULES if args.only in m[1]):
        with tempfile.TemporaryDirectory(prefix="attune-bench-tg-") as tmp:
            rows.append(bench_module(args.cache / tree, module, args.budget, Path(tmp)))
        print(json.dumps(rows[-1]), file=sys.stderr)
    columns = ("attune", "pynguin_alone", "ghostwriter_alone")
    means = {c: round(sum(r[c] for r in rows) / len(rows), 1) for c in columns}
    if args.json:
        print(json.dumps({"budget_s": args.budget, "rows": rows, "mean": means}, indent=2))
        return
    print(f"line+branch coverage, Pynguin budget {args.budget}s per module")
    print(f"{'module':32} {'attune':>7} {'pynguin':>8} {'ghostw.':>8} {'kept':>5} {'s':>6}")
    for r in rows:
        print(
            f"{r['module']:32} {r['attune']:7.1f} {r['pynguin_alone']:8.1f} "
            f"{r['ghostwriter_alone']:8.1f} {r['kept']:5d} {r['seconds']:6.1f}"
        )
    print(
        f"{'mean':32} {means['attune']:7.1f} {means['pynguin_alone']:8.1f} "
        f"{means['ghostwriter_alone']:8.1f}"
    )
    print("published anchors (overall): " + ", ".join(f"{k} {v}%" for k, v in ANCHORS.items()))


if __name__ == "__main__":
    main()
