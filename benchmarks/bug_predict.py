"""Benchmark: bug-predict's file ranking and bug patterns on real bugs (BugsInPy), against
two baselines computed in the same run.

    python benchmarks/bug_predict.py [--data DIR] [--project NAME] [--json]

`--data` (default ../shared/benchmarks/bugs next to the repo) holds `repos/<p>.bundle`
and `bugsinpy/<p>/<n>/{bug.info,bug_patch.txt}`. Each bundle is cloned once into a
temporary directory; for each bug the buggy commit is checked out and attune's own
engine runs on the whole checkout, without Temporal: discovery, metrics and patterns
(`analyze_file`), git history over the flow's default window ending at the buggy
commit's commit date (not today), and `rank_hotspots`.

The files the fix changes (Python files of bug_patch.txt that exist at the buggy commit)
are the truth; BugsInPy's patches never change a test file, so the truth is source.
File level: Hit@1, Hit@5 and MRR (reciprocal rank of the best-ranked changed file; 0 when
none is ranked) for attune and for two baselines over the same files: largest first
(physical lines) and most recently changed first (the latest commit touching the file,
up to the buggy commit). Ties rank by path. attune's risk model ranks source files before
support files and tests (activities/bug_predict/risk.py); the baselines as the issue
defines them rank every Python file, so each baseline is also reported with the same
source-first ordering (`largest+`, `recent+`): the ratio against those says how much the
score itself adds, beyond leaving tests and support files behind. Line level: the share
of bugs with an ATNB finding on a line the fix removes or changes (the buggy side of the
patch), and findings per KLOC (non-comment lines) over the analysed files of every bug's
checkout. It reports how many test files attune ranks above the best-ranked changed
file; `--without-tests` (a diagnostic) leaves test files out of all methods' candidates.
The headline is MRR(attune) / max(MRR of the baselines); the issue's target is >= 1.5.
Per project rows come first: both projects are the development set, so a model choice
that helps one and hurts the other shows here before it meets the held-out projects.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from activities.bug_predict.analysis import analyze_file
from activities.bug_predict.risk import rank_hotspots
from activities.code_facts.history import NoHistory, git_history
from activities.code_facts.kinds import file_kinds, is_test
from activities.discovery import discover_files
from workflows.bug_predict.models import BugPredictRequest

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "bugs"
TARGET_RATIO = 1.5
METHODS = ("attune", "largest", "recent", "largest+", "recent+")
BASELINES = ("largest", "recent")
TIERED = ("largest+", "recent+")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


# Pure scoring helpers (tested in tests/test_bench_bug_predict.py).


def parse_patch(text: str) -> dict[str, set[int]]:
    """Per file the patch changes (its path on the buggy side, or the new path of an added
    file), the buggy-side line numbers it removes or changes (lines starting with `-`)."""
    changed: dict[str, set[int]] = {}
    current: str | None = None
    old_line = 0
    in_hunk = False
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current, in_hunk = None, False
            parts = line.split(" ")
            if len(parts) >= 4 and parts[3].startswith("b/"):
                current = parts[3][2:]
                changed.setdefault(current, set())
            continue
        if not in_hunk and line.startswith("--- "):
            name = line[4:].split("\t")[0]
            if name.startswith("a/"):
                if current is not None and current != name[2:]:
                    changed.pop(current, None)
                current = name[2:]
                changed.setdefault(current, set())
            continue
        if not in_hunk and line.startswith("+++ "):
            continue
        match = HUNK.match(line)
        if match:
            old_line, in_hunk = int(match.group(1)), True
            continue
        if not in_hunk or current is None:
            continue
        if line.startswith("-"):
            changed[current].add(old_line)
            old_line += 1
        elif line.startswith("+") or line.startswith("\\"):
            continue
        else:
            old_line += 1
    return changed


def reciprocal_rank(ranking: list[str], targets: set[str]) -> float:
    """1 / (1-based rank of the best-ranked target), 0 when no target is ranked."""
    for index, name in enumerate(ranking):
        if name in targets:
            return 1.0 / (index + 1)
    return 0.0


def hit_at(ranking: list[str], targets: set[str], k: int) -> bool:
    return any(name in targets for name in ranking[:k])


def rank_by(values: dict[str, float]) -> list[str]:
    """Names by value, largest first; ties by name."""
    return sorted(values, key=lambda name: (-values[name], name))


def ratio(attune: float, baselines: list[float]) -> float | None:
    best = max(baselines, default=0.0)
    return attune / best if best else None


# Running one bug.


@dataclass
class BugResult:
    project: str
    bug: str
    targets: list[str]
    files: int
    ranks: dict[str, float] = field(default_factory=dict)  # method -> reciprocal rank
    hit1: dict[str, bool] = field(default_factory=dict)
    hit5: dict[str, bool] = field(default_factory=dict)
    tests_above: int = 0  # test files ranked above attune's best target
    finding_on_line: bool = False
    findings: int = 0
    nloc: int = 0
    history_commits: int = 0
    note: str = ""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def last_touched(repo: Path) -> dict[str, float]:
    """Per path, the commit time of the latest commit (up to HEAD) that touched it."""
    log = git(repo, "log", "--no-merges", "--no-renames", "--name-only", "--format=\x1e%ct")
    latest: dict[str, float] = {}
    for record in log.split("\x1e")[1:]:
        stamp, _, names = record.partition("\n")
        for name in names.split("\n"):
            if name:
                latest.setdefault(name, float(stamp.strip()))
    return latest


def run_bug(
    repo: Path, project: str, bug_dir: Path, months: int, without_tests: bool = False
) -> BugResult:
    info = dict(
        re.findall(r'^(\w+)="?([^"\n]*)"?', (bug_dir / "bug.info").read_text(), re.MULTILINE)
    )
    patch = parse_patch((bug_dir / "bug_patch.txt").read_text(errors="replace"))
    git(repo, "checkout", "--quiet", "--detach", "--force", info["buggy_commit_id"])
    git(repo, "clean", "-qfdx")
    until = datetime.fromisoformat(git(repo, "show", "-s", "--format=%cI", "HEAD").strip())
    found = discover_files(repo, BugPredictRequest.model_fields["max_file_bytes"].default)
    files = [f for f in found.files if f.endswith(".py")]
    if without_tests:
        files = [f for f in files if not is_test(f)]
    metrics, findings, lines = [], [], {}
    for rel in files:
        m, fs, reason = analyze_file(repo, rel)
        if reason is None and m is not None:
            metrics.append(m)
            findings.extend(fs)
            lines[rel] = (repo / rel).read_bytes().count(b"\n")
    analysed = set(lines)
    targets = {p for p in patch if p.endswith(".py") and p in analysed}
    result = BugResult(project, bug_dir.name, sorted(targets), len(analysed))
    if not targets:
        result.note = "no changed Python file exists at the buggy commit"
    try:
        history = git_history(repo, until, months)
        result.history_commits = history.commits
        past = history.files
    except NoHistory as reason:
        result.note = f"no history: {reason}"
        past = None
    hotspots = rank_hotspots(metrics, past, findings)
    touched = last_touched(repo)
    kinds = file_kinds(sorted(analysed))
    largest = {f: lines[f] for f in analysed}
    recent = {f: touched.get(f, 0.0) for f in analysed}
    rankings = {
        "attune": [h.file for h in hotspots],
        "largest": rank_by(largest),
        "recent": rank_by(recent),
        "largest+": sorted(rank_by(largest), key=lambda f: kinds[f]),
        "recent+": sorted(rank_by(recent), key=lambda f: kinds[f]),
    }
    for method, ranking in rankings.items():
        result.ranks[method] = reciprocal_rank(ranking, targets)
        result.hit1[method] = hit_at(ranking, targets, 1)
        result.hit5[method] = hit_at(ranking, targets, 5)
    best = next((i for i, f in enumerate(rankings["attune"]) if f in targets), None)
    above = rankings["attune"][:best] if best is not None else rankings["attune"]
    result.tests_above = sum(is_test(f) for f in above)
    result.finding_on_line = any(f.line in patch.get(f.file, set()) for f in findings)
    result.findings = len(findings)
    result.nloc = sum(m.nloc for m in metrics)
    return result


# Summaries.


def summarize(results: list[BugResult]) -> dict:
    n = len(results)
    row: dict = {"bugs": n}
    present = [m for m in METHODS if all(m in r.ranks for r in results)]
    for method in present:
        row[method] = {
            "hit1": sum(r.hit1[method] for r in results) / n,
            "hit5": sum(r.hit5[method] for r in results) / n,
            "mrr": sum(r.ranks[method] for r in results) / n,
        }
    row["ratio"] = ratio(row["attune"]["mrr"], [row[m]["mrr"] for m in BASELINES])
    if all(m in row for m in TIERED):
        row["ratio_source_first"] = ratio(row["attune"]["mrr"], [row[m]["mrr"] for m in TIERED])
    row["pattern_on_fixed_line"] = sum(r.finding_on_line for r in results) / n
    nloc = sum(r.nloc for r in results)
    row["findings_per_kloc"] = 1000 * sum(r.findings for r in results) / nloc if nloc else 0.0
    row["tests_above_best_target"] = sum(r.tests_above for r in results) / n
    return row


def render(rows: dict[str, dict]) -> str:
    out = [
        f"{'project':<10} {'bugs':>4}  {'method':<8} {'Hit@1':>6} {'Hit@5':>6} {'MRR':>6}",
    ]
    for name, row in rows.items():
        for i, method in enumerate(m for m in METHODS if m in row):
            m = row[method]
            head = f"{name:<10} {row['bugs']:>4}" if i == 0 else " " * 15
            out.append(f"{head}  {method:<8} {m['hit1']:>6.2f} {m['hit5']:>6.2f} {m['mrr']:>6.3f}")
        r = row["ratio"]
        out.append(
            " " * 17
            + f"MRR ratio attune/best baseline: {'n/a' if r is None else f'{r:.2f}'}"
            + f" (target >= {TARGET_RATIO})"
        )
        if "ratio_source_first" in row:
            r = row["ratio_source_first"]
            out.append(
                " " * 17
                + "MRR ratio attune/best source-first baseline (largest+, recent+): "
                + ("n/a" if r is None else f"{r:.2f}")
            )
        out.append(
            " " * 17
            + f"ATNB finding on a fixed line: {row['pattern_on_fixed_line']:.0%} of bugs; "
            + f"{row['findings_per_kloc']:.2f} findings/KLOC; "
            + f"{row['tests_above_best_target']:.1f} test files above attune's best target"
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--project", action="append", help="only these projects")
    parser.add_argument(
        "--without-tests",
        action="store_true",
        help="diagnostic: leave test files out of every method's candidates (the flow keeps them)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    args = parser.parse_args()
    if not (args.data / "bugsinpy").is_dir():
        parser.error(f"no benchmark data in {args.data}: pass --data DIR")
    # The analysed projects' own invalid escape sequences would each print a SyntaxWarning.
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    months = BugPredictRequest.model_fields["history_months"].default
    projects = sorted(p.name for p in (args.data / "bugsinpy").iterdir() if p.is_dir())
    projects = [p for p in projects if not args.project or p in args.project]
    started = time.perf_counter()
    results: list[BugResult] = []
    with tempfile.TemporaryDirectory(prefix="attune-bugs-") as tmp:
        for project in projects:
            repo = Path(tmp) / project
            bundle = args.data / "repos" / f"{project}.bundle"
            subprocess.run(
                ["git", "clone", "--quiet", str(bundle), str(repo)], check=True, capture_output=True
            )
            bugs = sorted(
                (d for d in (args.data / "bugsinpy" / project).iterdir() if d.name.isdigit()),
                key=lambda d: int(d.name),
            )
            for bug_dir in bugs:
                result = run_bug(repo, project, bug_dir, months, args.without_tests)
                results.append(result)
                print(
                    f"{project}/{bug_dir.name}: files={result.files} targets={result.targets} "
                    f"rr={ {k: round(v, 3) for k, v in result.ranks.items()} } {result.note}",
                    file=sys.stderr,
                )
    rows = {p: summarize([r for r in results if r.project == p]) for p in projects}
    rows["overall"] = summarize(results)
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "history_months": months,
                    "without_tests": args.without_tests,
                    "seconds": round(elapsed, 1),
                    "rows": rows,
                    "bugs": [r.__dict__ for r in results],
                },
                indent=2,
            )
        )
    else:
        print(render(rows))
        scope = ", test files left out (diagnostic)" if args.without_tests else ""
        print(f"\n{len(results)} bugs, history window {months} months{scope}, {elapsed:.1f} s")
        print("largest+ / recent+: the baselines with attune's source-first ordering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
