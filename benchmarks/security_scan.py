"""Benchmark: attune's security audit against bandit and ruff on Django, in one run.

    python benchmarks/security_scan.py [--corpus DIR] [--json]

Downloads the Django 6.1.3 source release into benchmarks/.corpus (never
committed) unless --corpus names a tree. attune runs against a private embedded
dev server with a dedicated worker already polling (the production shape) and an
empty scan cache, then once more warm. Prints wall-time ratios, files per second,
whether every ruff S finding is in attune's report, and what bandit would add.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

from activities.security_audit.scanners.ruff_rules import ruff_command
from starter.connection import connect
from starter.runner import worker_polling

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DJANGO = "django==6.1.3"


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


def attune_keys(report: dict) -> tuple[Counter[tuple[str, int, str]], set[tuple[str, int]]]:
    """Every ruff rule attune reports, as its own finding or merged into another one."""
    by_rule: Counter[tuple[str, int, str]] = Counter()
    lines: set[tuple[str, int]] = set()
    for finding in report["findings"]:
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
        return await worker_polling(await connect(start_embedded=False))

    os.environ.update(env)
    deadline = time.monotonic() + 60
    while not asyncio.run(polling()):
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark's worker never polled")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    root = (args.corpus or corpus_dir(HERE / ".corpus")).resolve()

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
        attune_cold, done = timed(run, env)
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
        bandit_s, _ = timed(
            [str(BIN / "bandit"), "-r", str(root), "-f", "json", "-o", f"{scratch}/b.json", "-q"]
        )
        bandit_results = json.loads(Path(f"{scratch}/b.json").read_text())["results"]
    ruff_s, ruff = timed(ruff_command([str(root)]))

    files = report["summary"]["files_scanned"]
    ruff_found = ruff_keys(ruff.stdout, root)
    attune_by_rule, attune_lines = attune_keys(report)
    missing = ruff_found - attune_by_rule
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
        "attune_vs_bandit": round(attune_cold / bandit_s, 3),
        "attune_vs_ruff": round(attune_cold / ruff_s, 1),
        "attune_files_per_s": round(files / attune_cold, 1),
        "bandit_files_per_s": round(files / bandit_s, 1),
        "ruff_files_per_s": round(files / ruff_s, 1),
        "attune_findings": len(report["findings"]),
        "ruff_findings": ruff_found.total(),
        "ruff_findings_missing_from_attune": missing.total(),
        "bandit_findings": len(bandit_results),
        "bandit_findings_on_lines_attune_does_not_flag": sum(bandit_only.values()),
        "bandit_only_by_test": dict(bandit_only.most_common()),
    }
    if args.json:
        print(json.dumps(numbers, indent=2))
    else:
        for key, value in numbers.items():
            print(f"{key:>48}: {value}")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
