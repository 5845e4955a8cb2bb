"""What the Django benchmarks share: the source release they read, one plain ruff run as
the baseline, and the hand-labelled sample's selection and precision.

The corpus is the Django 6.1.3 source release (`pip download --no-binary :all:`),
unpacked into a cache outside the repository (default ~/.cache/attune-bench).

The labelled sample is deterministic: findings sorted by (file, line, rule), taken
round-robin by rule (rules in sorted order) until 50, so every rule gets labels before
any rule gets many. Labels (one JSON object a line: key, label, reason) match findings
by `file:line:rule_id`; a labelled finding no longer reported is counted apart. A label
with an `extra` field (why it was added) is not part of the sample: it only adds to its
rule's count, to judge a rule on more than its one or two sampled findings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from workflows.schemas import Finding

RELEASE = "django-6.1.3"
SAMPLE = 50
CHUNK = 50
MAX_FILE_BYTES = 1_000_000
DEFAULT_CACHE = Path.home() / ".cache" / "attune-bench"


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


def ruff_alone(root: Path, files: list[str], options: list[str]) -> tuple[float, Counter[str]]:
    """Wall time and findings per rule of one plain `ruff check --isolated` with `options`
    (the rule selection) on the same files."""
    ruff = str(Path(sys.executable).parent / "ruff")
    argv = [ruff, "check", "--isolated", "--no-cache", "--exit-zero", *options]
    argv += ["--output-format", "json", *files]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    found = json.loads(done.stdout or "[]")
    return elapsed, Counter(
        r["code"] for r in found if r.get("code") not in (None, "invalid-syntax")
    )


def key(finding: Finding) -> str:
    return f"{finding.file}:{finding.line}:{finding.rule_id}"


def sample(findings: list[Finding], size: int = SAMPLE) -> list[Finding]:
    """Round-robin by rule (rules sorted), each rule's findings by (file, line)."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=lambda f: (f.file, f.line, f.rule_id)):
        by_rule[finding.rule_id].append(finding)
    picked: list[Finding] = []
    depth = 0
    while len(picked) < size and any(len(v) > depth for v in by_rule.values()):
        for rule in sorted(by_rule):
            if depth < len(by_rule[rule]) and len(picked) < size:
                picked.append(by_rule[rule][depth])
        depth += 1
    return picked


def precision(findings: list[Finding], labels_file: Path) -> dict:
    """Precision of the labelled sample, as labelled and over the findings still reported,
    and per rule (extra labels included)."""
    labels = [json.loads(line) for line in labels_file.read_text().splitlines() if line.strip()]
    reported = {key(f) for f in findings}
    sampled = [label for label in labels if "extra" not in label]
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for label in labels:
        if label["key"] in reported:
            per_rule[label["key"].rsplit(":", 1)[1]][label["label"]] += 1
    still = [label for label in sampled if label["key"] in reported]
    true = sum(label["label"] == "true_positive" for label in still)
    as_labelled = sum(label["label"] == "true_positive" for label in sampled)
    # The sample is stratified by rule; weighting each rule's precision by its share of
    # all findings estimates the precision of the whole report.
    counts = Counter(f.rule_id for f in findings)
    weighted = sum(counts[r] * c["true_positive"] / c.total() for r, c in per_rule.items())
    covered = sum(counts[r] for r in per_rule)
    return {
        "labelled": len(sampled),
        "extra_labels": len(labels) - len(sampled),
        "true_positive_as_labelled": as_labelled,
        "precision_as_labelled": round(as_labelled / len(sampled), 3) if sampled else None,
        "still_reported": len(still),
        "no_longer_reported": len(sampled) - len(still),
        "true_positive": true,
        "precision": round(true / len(still), 3) if still else None,
        "precision_weighted_by_rule": round(weighted / covered, 3) if covered else None,
        "per_rule": {
            rule: {"tp": c["true_positive"], "fp": c["false_positive"]}
            for rule, c in sorted(per_rule.items())
        },
    }


def print_sample(root: Path, findings: list[Finding]) -> None:
    """The labelling sample, each finding with the code around it."""
    for finding in sample(findings):
        lines = (root / finding.file).read_text(errors="replace").splitlines()
        start, end = max(0, finding.line - 8), min(len(lines), finding.line + 4)
        print(f"=== {key(finding)}\n{finding.message}")
        for number in range(start, end):
            mark = ">" if number + 1 == finding.line else " "
            print(f"{mark}{number + 1:5d} {lines[number]}")


def print_precision(labels: dict) -> None:
    if labels["extra_labels"] or labels["no_longer_reported"]:
        print(
            f"\nall {labels['labelled']} sampled labels, reported or not: "
            f"{labels['true_positive_as_labelled']}/{labels['labelled']} = "
            f"{labels['precision_as_labelled']}; {labels['extra_labels']} extra labels count "
            "only in their rule's row"
        )
    print(
        f"\nprecision on {labels['still_reported']} hand-labelled findings: "
        f"{labels['true_positive']}/{labels['still_reported']} = {labels['precision']} "
        f"({labels['no_longer_reported']} labelled findings no longer reported); weighted by "
        f"each rule's share of all findings: {labels['precision_weighted_by_rule']}"
    )
    print("| rule | true positive | false positive |\n|---|---:|---:|")
    for rule, counts in labels["per_rule"].items():
        print(f"| {rule} | {counts['tp']} | {counts['fp']} |")
