"""Benchmark: performance-audit on the Django source release, against plain ruff with the
same rules, plus precision on hand-labelled findings, in one run.

    python benchmarks/perf_django.py [--cache DIR] [--label-sample] [--json]

Downloads the Django 6.1.3 source release into `--cache` (default ~/.cache/attune-bench,
outside the repository) unless it is there (`benchmarks/_django.py`, shared with
code_review_django.py).

attune runs its analysis functions directly, not through Temporal: the flow's discovery
(`discover_files`) and its chunk analysis (`analyze_chunk`: attune's AST rules and ruff's
performance families, 50 files a chunk) over a process pool of os.cpu_count() workers, the
shape of the worker's analysis activity. No dev server, no artifact store, no report
writing: the figure is the analysis itself. The baseline is one `ruff check --isolated`
over the same files, with the same rule selection as attune's default profile (and,
for reference, with the whole PERF/FURB/C4/ASYNC families).

Precision: benchmarks/labels/perf_django.jsonl holds 50 findings of the default profile,
each read in context and labelled `true_positive` or `false_positive` with a reason; the
sample is the deterministic round-robin by rule of `_django.sample`. `--label-sample`
prints that sample with context for labelling. Criterion: a true positive is a finding
whose described cost really happens as stated at that place and whose fix removes it
without changing behaviour; a cost bounded by a handful of items (a few template tokens, a tuple of
field names) is labelled false_positive, since nothing measurable would change.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
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

from activities.discovery import discover_files
from activities.performance_audit.analysis import analyze_chunk
from activities.performance_audit.ruff_perf import DEFAULT_RULES, FAMILIES
from workflows.schemas import Finding

LABELS = Path(__file__).resolve().parent / "labels" / "perf_django.jsonl"


def attune_analysis(root: Path, files: list[str]) -> tuple[float, list[Finding]]:
    """Wall time and findings of the flow's analysis over a process pool."""
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    started = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        results = list(pool.map(analyze_chunk, [str(root)] * len(chunks), chunks))
    elapsed = time.perf_counter() - started
    findings = [f for r in results for f in r.findings]
    findings.sort(key=lambda f: (f.file, f.line, f.rule_id))
    return elapsed, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--label-sample", action="store_true", help="print the sample")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = corpus(args.cache)
    files = discover_files(root, MAX_FILE_BYTES).files
    attune_s, findings = attune_analysis(root, files)
    if args.label_sample:
        print_sample(root, findings)
        return 0
    version = ["--target-version", "py313"]
    ruff_default_s, ruff_default = ruff_alone(
        root, files, ["--select", ",".join(DEFAULT_RULES), *version]
    )
    ruff_families_s, ruff_families = ruff_alone(
        root, files, ["--select", ",".join(FAMILIES), *version]
    )
    ruff_default_n, ruff_families_n = ruff_default.total(), ruff_families.total()
    rules = Counter(f.rule_id for f in findings)
    result = {
        "corpus": RELEASE,
        "files": len(files),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "attune_s": round(attune_s, 2),
        "ruff_same_rules_s": round(ruff_default_s, 2),
        "ruff_same_rules_findings": ruff_default_n,
        "ruff_families_s": round(ruff_families_s, 2),
        "ruff_families_findings": ruff_families_n,
        "attune_vs_ruff": round(attune_s / ruff_default_s, 1),
        "findings": len(findings),
        "attune_own_findings": sum(n for r, n in rules.items() if r.startswith("ATNP")),
        "rules": dict(sorted(rules.items())),
        "labels": precision(findings, LABELS),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"performance-audit on {RELEASE}: {len(files)} files, {os.cpu_count()} CPUs, "
        f"load average {result['load_average_1m']} (other work on the machine slows attune's "
        "Python most)"
    )
    print("analysis functions called directly (discover_files + analyze_chunk in a process")
    print("pool), not through Temporal\n")
    print("| run | wall s | findings | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| attune (AST rules + ruff, default profile) | {attune_s:.2f} | {len(findings)} "
          f"| {attune_s / ruff_default_s:.1f}x |")  # fmt: skip
    print(f"| ruff --isolated, same {len(DEFAULT_RULES)} rules | {ruff_default_s:.2f} | "
          f"{ruff_default_n} | 1.0x |")  # fmt: skip
    print(f"| ruff --isolated, all of {','.join(FAMILIES)} | {ruff_families_s:.2f} | "
          f"{ruff_families_n} | {ruff_families_s / ruff_default_s:.1f}x |\n")  # fmt: skip
    print("| rule | findings |\n|---|---:|")
    for rule, count in sorted(rules.items()):
        print(f"| {rule} | {count} |")
    print_precision(result["labels"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
