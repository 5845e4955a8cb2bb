"""Benchmark: code-review on the Django source release, against plain ruff with the same
rules, plus precision on hand-labelled findings, in one run.

    python benchmarks/code_review_django.py [--cache DIR] [--label-sample] [--json]

The corpus and the labelled sample's method are shared with perf_django.py
(`benchmarks/_django.py`: Django 6.1.3's source release in `--cache`, default
~/.cache/attune-bench).

attune runs its analysis functions directly, not through Temporal, in the shape of the
worker's activities: discovery (`discover_files`), then the review of 50-file chunks
(`review_chunk`: lizard metrics and ruff with code-review's default rules, through the
content cache) over a process pool of os.cpu_count() workers while vulture's dead code
runs over the whole file set in a thread beside it, as the flow's `dead_code` activity
does. The type check is reported as the flow would: skipped when the target configures
no checker (Django does not). The first run uses a fresh scan cache in a temporary
directory (cold: every file is analysed); the second run reuses it (warm: only vulture
works again). No dev server, no artifact store, no LLM stage, no report writing. The
baseline is one `ruff check --isolated` over the same files with exactly the options
code-review's default profile passes (selection, ignores, thresholds); vulture alone is
timed for reference.

Precision: benchmarks/labels/code_review_django.jsonl holds 50 findings of the default
profile, each read in context and labelled `true_positive` or `false_positive` with a
reason. Criterion: a true positive is a finding a careful reviewer would want raised at
that place (a real bug, real dead code, a real maintainability problem); a false
positive is noise (code that is right as written, a name used where the tool cannot see,
an idiom that is clearer as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from _django import (
    CHUNK,
    DEFAULT_CACHE,
    MAX_FILE_BYTES,
    RELEASE,
    corpus,
    precision,
    print_precision,
    print_sample,
    ruff_alone,
)

from activities.code_facts.deadcode import dead_code
from activities.code_facts.typecheck import type_findings
from activities.code_review.analysis import (
    DEAD_CODE_CONFIDENCE,
    dead_code_findings,
    duplication_findings,
    review_chunk,
)
from activities.code_review.rules import RULES
from activities.discovery import discover_files
from workflows.schemas import Finding

LABELS = Path(__file__).resolve().parent / "labels" / "code_review_django.jsonl"


def review(root: Path, files: list[str], cache_file: Path) -> tuple[float, list[Finding], int]:
    """Wall time, findings and cache hits of the flow's default-profile analysis."""
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as thread, ProcessPoolExecutor(os.cpu_count()) as pool:
        dead = thread.submit(
            lambda: dead_code_findings(root, files) + duplication_findings(root, files)
        )
        results = list(
            pool.map(
                review_chunk,
                [str(root)] * len(chunks),
                chunks,
                ["default"] * len(chunks),
                [None] * len(chunks),
                [str(cache_file)] * len(chunks),
            )
        )
        findings = [f for r in results for f in r.findings] + dead.result()
    elapsed = time.perf_counter() - started
    findings.sort(key=lambda f: (f.file, f.line, f.rule_id))
    return elapsed, findings, sum(r.cache_hits for r in results)


def vulture_alone(root: Path, files: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    found = dead_code(root, files, DEAD_CODE_CONFIDENCE["default"])
    return time.perf_counter() - started, len(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--label-sample", action="store_true", help="print the sample")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = corpus(args.cache)
    files = discover_files(root, MAX_FILE_BYTES).files
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as scratch:
        cache_file = Path(scratch) / "scan.sqlite"
        cold_s, findings, _ = review(root, files, cache_file)
        if args.label_sample:
            print_sample(root, findings)
            return 0
        warm_s, warm, warm_hits = review(root, files, cache_file)
    if [f.model_dump() for f in warm] != [f.model_dump() for f in findings]:
        print("warm run reported other findings than the cold run", file=sys.stderr)
        return 1
    types, _ = type_findings(root, files, "correctness")
    options = RULES.command_options("default")
    ruff_s, ruff_rules = ruff_alone(root, files, options)
    vulture_s, vulture_n = vulture_alone(root, files)
    rules = Counter(f.rule_id for f in findings)
    ruff_found = Counter({r: n for r, n in rules.items() if not r.startswith("dead-")})
    result = {
        "corpus": RELEASE,
        "files": len(files),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "attune_cold_s": round(cold_s, 2),
        "attune_warm_s": round(warm_s, 2),
        "warm_cache_hits": warm_hits,
        "ruff_same_rules_s": round(ruff_s, 2),
        "ruff_same_rules_findings": ruff_rules.total(),
        "vulture_alone_s": round(vulture_s, 2),
        "vulture_alone_items": vulture_n,
        "attune_cold_vs_ruff": round(cold_s / ruff_s, 1),
        "attune_warm_vs_ruff": round(warm_s / ruff_s, 1),
        "type_check": f"{types.status}: {types.reason}" if types.reason else types.status,
        "findings": len(findings),
        "ruff_findings_in_attune": ruff_found.total(),
        "ruff_rules_differing": {
            rule: [ruff_found[rule], ruff_rules[rule]]
            for rule in sorted(set(ruff_found) | set(ruff_rules))
            if ruff_found[rule] != ruff_rules[rule]
        },
        "rules": dict(sorted(rules.items())),
        "categories": dict(sorted(Counter(f.category for f in findings).items())),
        "severities": dict(sorted(Counter(f.severity for f in findings).items())),
        "labels": precision(findings, LABELS),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print_table(result, rules, findings)
    return 0


def print_table(result: dict, rules: Counter[str], findings: list[Finding]) -> None:
    ruff_s = result["ruff_same_rules_s"]
    print(
        f"code-review (default profile) on {RELEASE}: {result['files']} files, "
        f"{result['cpus']} CPUs, load average {result['load_average_1m']} (other work on the "
        "machine slows attune's Python most)"
    )
    print("analysis functions called directly (discover_files + review_chunk in a process")
    print(f"pool, vulture beside it), not through Temporal; type check: {result['type_check']}\n")
    print("| run | wall s | findings | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| attune, cold cache (ruff + lizard + vulture) | {result['attune_cold_s']:.2f} | "
          f"{result['findings']} | {result['attune_cold_s'] / ruff_s:.1f}x |")  # fmt: skip
    print(f"| attune, warm cache ({result['warm_cache_hits']} files cached; vulture again) | "
          f"{result['attune_warm_s']:.2f} | {result['findings']} | "
          f"{result['attune_warm_s'] / ruff_s:.1f}x |")  # fmt: skip
    print(f"| ruff --isolated, code-review's default options | {ruff_s:.2f} | "
          f"{result['ruff_same_rules_findings']} | 1.0x |")  # fmt: skip
    print(f"| vulture alone (confidence >= {DEAD_CODE_CONFIDENCE['default']}) | "
          f"{result['vulture_alone_s']:.2f} | {result['vulture_alone_items']} | "
          f"{result['vulture_alone_s'] / ruff_s:.1f}x |")  # fmt: skip
    if result["ruff_rules_differing"]:
        print(f"\nrules where attune and plain ruff differ: {result['ruff_rules_differing']}")
    categories = {f.rule_id: f.category for f in findings}
    print("\n| category | findings |\n|---|---:|")
    for category, count in result["categories"].items():
        print(f"| {category} | {count} |")
    print("\n| rule | category | findings |\n|---|---|---:|")
    for rule, count in sorted(rules.items()):
        print(f"| {rule} | {categories[rule]} | {count} |")
    print_precision(result["labels"])


if __name__ == "__main__":
    sys.exit(main())
