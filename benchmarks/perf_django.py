"""Benchmark: performance-audit on the Django source release, against plain ruff with the
same rules, plus precision on hand-labelled findings, in one run.

    python benchmarks/perf_django.py [--cache DIR] [--label-sample] [--json]

Downloads the Django 6.1.3 source release (`pip download --no-binary :all:`) into
`--cache` (default ~/.cache/attune-bench, outside the repository) unless it is there.

attune runs its analysis functions directly, not through Temporal: the flow's discovery
(`discover_files`) and its chunk analysis (`analyze_chunk`: attune's AST rules and ruff's
performance families, 50 files a chunk) over a process pool of os.cpu_count() workers, the
shape of the worker's analysis activity. No dev server, no artifact store, no report
writing: the figure is the analysis itself. The baseline is one `ruff check --isolated`
over the same files, with the same rule selection as attune's default profile (and,
for reference, with the whole PERF/FURB/C4/ASYNC families).

Precision: benchmarks/labels/perf_django.jsonl holds 50 findings of the default profile,
each read in context and labelled `true_positive` or `false_positive` with a reason. The
sample is deterministic: findings sorted by (file, line, rule), taken round-robin by rule
(rules in sorted order) until 50. `--label-sample` prints that sample with context for
labelling. Labels match findings by `file:line:rule_id`; a labelled finding no longer
reported is counted apart. Criterion: a true positive is a finding whose described cost
really happens as stated at that place and whose fix removes it without changing
behaviour; a cost bounded by a handful of items (a few template tokens, a tuple of
field names) is labelled false_positive, since nothing measurable would change.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from activities.discovery import discover_files
from activities.performance_audit.analysis import analyze_chunk
from activities.performance_audit.ruff_perf import DEFAULT_RULES, FAMILIES
from workflows.schemas import Finding

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels" / "perf_django.jsonl"
RELEASE = "django-6.1.3"
SAMPLE = 50
CHUNK = 50
MAX_FILE_BYTES = 1_000_000


def corpus(cache: Path) -> Path:
    """The unpacked Django source release, downloaded with pip on first use."""
    tree = cache / RELEASE
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "--no-binary", ":all:", RELEASE.replace("-", "=="), "-d", str(cache)], check=True
    )
    with tarfile.open(cache / f"{RELEASE}.tar.gz") as tar:
        tar.extractall(cache, filter="data")
    return tree


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


def ruff_alone(root: Path, files: list[str], select: str) -> tuple[float, int]:
    """Wall time and finding count of one plain ruff run on the same files."""
    argv = ["ruff", "check", "--isolated", "--no-cache", "--exit-zero", "--select", select]
    argv += ["--output-format", "json", "--target-version", "py313", *files]
    argv[0] = str(Path(sys.executable).parent / "ruff")
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    found = [r for r in json.loads(done.stdout or "[]") if r.get("code") != "invalid-syntax"]
    return elapsed, len([r for r in found if r.get("code")])


def key(finding: Finding) -> str:
    return f"{finding.file}:{finding.line}:{finding.rule_id}"


def sample(findings: list[Finding], size: int = SAMPLE) -> list[Finding]:
    """Round-robin by rule (rules sorted), each rule's findings by (file, line)."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[finding.rule_id].append(finding)
    picked: list[Finding] = []
    depth = 0
    while len(picked) < size and any(len(v) > depth for v in by_rule.values()):
        for rule in sorted(by_rule):
            if depth < len(by_rule[rule]) and len(picked) < size:
                picked.append(by_rule[rule][depth])
        depth += 1
    return picked


def precision(findings: list[Finding]) -> dict:
    """Precision of the labelled findings still reported, overall and per rule."""
    labels = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    reported = {key(f) for f in findings}
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    gone = 0
    for label in labels:
        if label["key"] not in reported:
            gone += 1
            continue
        per_rule[label["key"].rsplit(":", 1)[1]][label["label"]] += 1
    true = sum(c["true_positive"] for c in per_rule.values())
    total = sum(c.total() for c in per_rule.values())
    # The sample is stratified by rule; weighting each rule's precision by its share of
    # all findings estimates the precision of the whole report.
    counts = Counter(f.rule_id for f in findings)
    weighted = sum(counts[r] * c["true_positive"] / c.total() for r, c in per_rule.items())
    covered = sum(counts[r] for r in per_rule)
    return {
        "labelled": len(labels),
        "still_reported": total,
        "no_longer_reported": gone,
        "true_positive": true,
        "precision": round(true / total, 3) if total else None,
        "precision_weighted_by_rule": round(weighted / covered, 3) if covered else None,
        "per_rule": {
            rule: {"tp": c["true_positive"], "fp": c["false_positive"]}
            for rule, c in sorted(per_rule.items())
        },
    }


def print_sample(root: Path, findings: list[Finding]) -> None:
    for finding in sample(findings):
        lines = (root / finding.file).read_text(errors="replace").splitlines()
        start, end = max(0, finding.line - 8), min(len(lines), finding.line + 4)
        print(f"=== {key(finding)}\n{finding.message}")
        for number in range(start, end):
            mark = ">" if number + 1 == finding.line else " "
            print(f"{mark}{number + 1:5d} {lines[number]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--label-sample", action="store_true", help="print the sample")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = corpus(args.cache)
    files = discover_files(root, MAX_FILE_BYTES).files
    attune_s, findings = attune_analysis(root, files)
    if args.label_sample:
        print_sample(root, findings)
        return 0
    ruff_default_s, ruff_default_n = ruff_alone(root, files, ",".join(DEFAULT_RULES))
    ruff_families_s, ruff_families_n = ruff_alone(root, files, ",".join(FAMILIES))
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
        "labels": precision(findings),
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
    labels = result["labels"]
    print(
        f"\nprecision on {labels['still_reported']} hand-labelled findings: "
        f"{labels['true_positive']}/{labels['still_reported']} = {labels['precision']} "
        f"({labels['no_longer_reported']} labelled findings no longer reported); weighted by "
        f"each rule's share of all findings: {labels['precision_weighted_by_rule']}"
    )
    print("| rule | true positive | false positive |\n|---|---:|---:|")
    for rule, counts in labels["per_rule"].items():
        print(f"| {rule} | {counts['tp']} | {counts['fp']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
