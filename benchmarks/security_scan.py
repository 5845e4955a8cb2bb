"""Benchmark: attune's security audit against bandit and ruff on Django, in one run.

    python benchmarks/security_scan.py [--corpus DIR] [--cache DIR] [--json]

Downloads the Django 6.1.3 source release into --cache (~/.cache/attune-bench, where
the other benchmarks keep it) unless it is there or --corpus names a tree. attune runs
against a private embedded dev server with a dedicated worker already polling (the
production shape) and an empty scan cache, then once more warm. Prints wall-time
ratios (the cold run against bandit's, next to issue 13's bar of 0.25), files per
second, whether every ruff S finding is in attune's report, and what bandit would add.

A ruff finding counts as covered when attune's report has that rule at that file and
line, as an open finding or as one suppressed (an inline comment, test-code policy, a
baseline) or accepted with its reason: such findings stay in the report JSON. bandit
runs once, `bandit -r` with its default configuration, on the same tree; the figures
say whether it read the same Python files as attune's discovery. The load average is
printed with the times, and so are CPU seconds, which a shared machine distorts less
than wall time: bandit's, and the cold attune run's (the CLI, plus the worker with its
pool processes and their ruff runs; the Temporal server's share is left out). The
figures also go to benchmarks/results/security_scan.md, with the commit measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from activities.discovery import discover_files
from activities.security_audit.scanners.ruff_rules import ruff_command
from starter.connection import TemporalUnavailable, connect
from starter.runner import worker_polling

BIN = Path(sys.executable).parent
DJANGO = "django==6.1.3"
CACHE = Path.home() / ".cache" / "attune-bench"
RESULTS = Path(__file__).resolve().parent / "results" / "security_scan.md"
BANDIT_RATIO_TARGET = 0.25


def corpus_dir(cache: Path) -> Path:
    tree = cache / "django-6.1.3"
    if tree.exists():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            DJANGO,
            "-d",
            str(cache),
        ],
        check=True,
    )
    (archive,) = cache.glob("django-6.1.3.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return tree


def timed(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def children_cpu_s() -> float:
    """CPU seconds of this process's finished children (the CLI, bandit, ruff)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_s(pid: int) -> float:
    """CPU seconds a live process and its live descendants used, with the children they
    reaped (the worker's pool processes and their ruff runs), read from /proc: the
    worker is not this process's finished child until the end, so rusage misses it."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        ticks[child] = sum(int(fields[i]) for i in (11, 12, 13, 14))
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, of in parents.items():
            if of == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ruff_keys(stdout: str, root: Path) -> Counter[tuple[str, int, str]]:
    """ruff's S findings as (file, line, code), counted; syntax errors are no finding."""
    return Counter(
        (
            Path(item["filename"]).resolve().relative_to(root).as_posix(),
            item["location"]["row"],
            item["code"],
        )
        for item in json.loads(stdout)
        if item["code"] and item["code"] != "invalid-syntax"
    )


def covered(finding: dict) -> bool:
    """In the report as an open finding, or set aside with a stated reason (suppressed or
    an accepted risk); a suppression without a reason hides a result, so it does not count."""
    reasons = [finding.get("suppressed"), finding.get("accepted_risk")]
    return all(r is None for r in reasons) or any(r is not None and r.strip() for r in reasons)


def is_open(finding: dict) -> bool:
    """As `Finding.is_open`: neither suppressed nor an accepted risk."""
    return finding.get("suppressed") is None and finding.get("accepted_risk") is None


def attune_keys(
    report: dict, counts: Callable[[dict], bool] = covered
) -> tuple[Counter[tuple[str, int, str]], set[tuple[str, int]]]:
    """Every ruff rule attune reports, as its own finding or merged into another one,
    among the findings `counts` accepts (by default: open or set aside with a reason)."""
    by_rule: Counter[tuple[str, int, str]] = Counter()
    lines: set[tuple[str, int]] = set()
    for finding in report["findings"]:
        if not counts(finding):
            continue
        lines.add((finding["file"], finding["line"]))
        if finding["tool"] == "ruff":
            by_rule[(finding["file"], finding["line"], finding["rule_id"])] += 1
        for related in finding.get("related_rules", []):
            tool, _, rule = related.partition("/")
            if tool == "ruff":
                by_rule[(finding["file"], finding["line"], rule)] += 1
    return by_rule, lines


def wait_for_worker(env: dict[str, str]) -> None:
    """Until the dedicated worker polls: otherwise the timed CLI would start its own."""

    async def polling() -> bool:
        try:
            return await worker_polling(await connect(start_embedded=False))
        except TemporalUnavailable:  # the frontend is not healthy yet
            return False

    os.environ.update(env)
    deadline = time.monotonic() + 60
    while not asyncio.run(polling()):
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark's worker never polled")
        time.sleep(0.2)


def markdown(numbers: dict, verdict: str, commit: str) -> str:
    rows = [f"| {key} | {value} |" for key, value in numbers.items()]
    return (
        "\n".join(
            [
                "# security-audit speed on Django (benchmarks/security_scan.py)",
                "",
                f"attune {commit}. One cold run, one warm run, one bandit run, one ruff run.",
                "",
                verdict,
                "",
                "| figure | value |",
                "|---|---|",
                *rows,
            ]
        )
        + "\n"
    )


def main() -> int:
    from _provenance import attune_commit, load_average

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a source tree (default: Django 6.1.3)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where Django is downloaded")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    root = (args.corpus or corpus_dir(args.cache)).resolve()

    home = Path(tempfile.mkdtemp(prefix="attune-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        ATTUNE_HOME=str(home), ATTUNE_SERVER_PORT=str(free_port()), ATTUNE_UI_PORT=str(free_port())
    )
    attune = [str(BIN / "attune")]
    subprocess.run([*attune, "server", "start"], env=env, check=True, capture_output=True)
    worker = subprocess.Popen(
        [*attune, "worker"], env=env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_for_worker(env)
        run = [*attune, "workflow", "run", "security-audit", str(root), "--json"]
        load_before_attune = load_average()
        cpu_before = tree_cpu_s(worker.pid) + children_cpu_s()
        attune_cold, done = timed(run, env)
        attune_cold_cpu = tree_cpu_s(worker.pid) + children_cpu_s() - cpu_before
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        report = json.loads(done.stdout)
        attune_warm, _ = timed(run, env)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait()
        subprocess.run([*attune, "server", "stop"], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)

    with tempfile.TemporaryDirectory() as scratch:
        load_before_bandit = load_average()
        cpu_before = children_cpu_s()
        bandit_s, _ = timed(
            [str(BIN / "bandit"), "-r", str(root), "-f", "json", "-o", f"{scratch}/b.json", "-q"]
        )
        bandit_cpu = children_cpu_s() - cpu_before
        bandit_report = json.loads(Path(f"{scratch}/b.json").read_text())
    bandit_results = bandit_report["results"]
    ruff_s, ruff = timed(ruff_command([str(root)]))
    load = load_average()
    bandit_files = {
        Path(name).resolve().relative_to(root).as_posix()
        for name in bandit_report["metrics"]
        if name != "_totals"
    }
    attune_files = set(discover_files(root, 1_000_000).files)

    files = report["summary"]["files_scanned"]
    ruff_found = ruff_keys(ruff.stdout, root)
    attune_by_rule, attune_lines = attune_keys(report)
    missing = ruff_found - attune_by_rule
    missing_if_open_only = ruff_found - attune_keys(report, is_open)[0]
    ratio = attune_cold / bandit_s
    bandit_only = Counter(
        r["test_id"]
        for r in bandit_results
        if (Path(r["filename"]).resolve().relative_to(root).as_posix(), r["line_number"])
        not in attune_lines
    )
    numbers = {
        "corpus": str(root),
        "files_scanned": files,
        "attune_cold_s": round(attune_cold, 2),
        "attune_warm_s": round(attune_warm, 2),
        "bandit_s": round(bandit_s, 2),
        "ruff_s": round(ruff_s, 2),
        "load_before_attune_1_5_15": load_before_attune,
        "load_before_bandit_1_5_15": load_before_bandit,
        "load_after_1_5_15": load,
        "attune_cold_cpu_s": round(attune_cold_cpu, 2),
        "bandit_cpu_s": round(bandit_cpu, 2),
        "attune_vs_bandit_cpu": round(attune_cold_cpu / bandit_cpu, 3),
        "attune_vs_bandit": round(ratio, 3),
        "attune_vs_bandit_target": BANDIT_RATIO_TARGET,
        "attune_vs_bandit_within_target": ratio <= BANDIT_RATIO_TARGET,
        "attune_vs_ruff": round(attune_cold / ruff_s, 1),
        "attune_files_per_s": round(files / attune_cold, 1),
        "bandit_files_per_s": round(files / bandit_s, 1),
        "ruff_files_per_s": round(files / ruff_s, 1),
        "attune_findings": len(report["findings"]),
        "ruff_findings": ruff_found.total(),
        "ruff_findings_missing_from_attune": missing.total(),
        "ruff_findings_covered_only_as_suppressed": missing_if_open_only.total() - missing.total(),
        "bandit_files": len(bandit_files),
        "files_only_bandit_read": len(bandit_files - attune_files),
        "files_only_attune_read": len(attune_files - bandit_files),
        "bandit_findings": len(bandit_results),
        "bandit_findings_on_lines_attune_does_not_flag": sum(bandit_only.values()),
        "bandit_only_by_test": dict(bandit_only.most_common()),
    }
    verdict = (
        f"attune (cold) / bandit wall time: {ratio:.3f}, "
        f"{'within' if ratio <= BANDIT_RATIO_TARGET else 'OVER'} the "
        f"{BANDIT_RATIO_TARGET} target (load average {load_before_attune} before attune, "
        f"{load_before_bandit} before bandit); CPU seconds: "
        f"{attune_cold_cpu:.1f} against {bandit_cpu:.1f} ({attune_cold_cpu / bandit_cpu:.3f})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(markdown(numbers, verdict, attune_commit()))
    if args.json:
        print(json.dumps(numbers, indent=2))
    else:
        for key, value in numbers.items():
            print(f"{key:>48}: {value}")
        print(f"\n{verdict}")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
