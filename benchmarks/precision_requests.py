"""Benchmark: precision on well-kept code. Every built finding flow's default profile on the
`requests` source release, and how many critical/high findings each reports.

    python benchmarks/precision_requests.py [--cache DIR] [--json]

Downloads the requests 2.34.2 source release (`pip download --no-binary :all:`) into
`--cache` (default ~/.cache/attune-bench) unless it is there. The flows are the
registry's built, listed flows on Python targets whose result carries `findings` (today
bug-predict, code-review, performance-audit, refactor-plan and security-audit; a later
flow joins by itself; quality-checks and release-prep compose others and are left out).
Each runs end to end through Temporal, on a private dev server (the temporal CLI the
tests use) with one worker, with its request's defaults and no LLM key (LLM stages say
skipped), in a temporary ATTUNE_HOME. The issue's bar: at most a handful of high-severity
findings per flow on well-maintained code; which ones are real is judged by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

RELEASE = "requests-2.34.2"
HIGH = ("critical", "high")


def corpus(cache: Path) -> Path:
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


def finding_flows() -> list:
    from workflows.registry import registry

    return [
        flow
        for flow in registry()
        if flow.built
        and flow.listed
        and flow.target == "python"
        and flow.result is not None
        and "findings" in flow.result.model_fields
    ]


async def run_flows(target: Path) -> list[dict]:

    from _temporal import quiet_dev_server

    from activities.artifacts import ArtifactStore
    from activities.reports import FINDINGS
    from starter import runner
    from worker import running_worker

    env = await quiet_dev_server()
    rows = []
    try:
        async with running_worker(env.client):
            for flow in finding_flows():
                started = time.perf_counter()
                handle = await runner.start_workflow(
                    env.client, flow, flow.request(target=str(target))
                )
                result = await handle.result()
                elapsed = time.perf_counter() - started
                findings = ArtifactStore().get(result.findings, FINDINGS)
                high = [f for f in findings if f.severity in HIGH]
                rows.append(
                    {
                        "flow": flow.name,
                        "wall_s": round(elapsed, 1),
                        "findings": len(findings),
                        "by_severity": dict(Counter(f.severity for f in findings)),
                        "high": [
                            {
                                "severity": f.severity,
                                "rule": f.rule_id,
                                "where": f"{f.file}:{f.line}",
                                "message": f.message.split(" (impact:")[0][:140],
                            }
                            for f in high
                        ],
                    }
                )
    finally:
        await env.shutdown()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    target = corpus(args.cache)
    os.environ.pop("ANTHROPIC_API_KEY", None)
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as home:
        os.environ["ATTUNE_HOME"] = home
        rows = asyncio.run(run_flows(target))
    if args.json:
        print(json.dumps({"corpus": RELEASE, "flows": rows}, indent=2))
        return 0
    print(
        f"default profiles on the {RELEASE} source release, through Temporal (private dev server)\n"
    )
    print("| flow | wall s | findings | critical | high |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        severity = row["by_severity"]
        print(
            f"| {row['flow']} | {row['wall_s']} | {row['findings']} | "
            f"{severity.get('critical', 0)} | {severity.get('high', 0)} |"
        )
    for row in rows:
        print(f"\n{row['flow']}: {len(row['high'])} critical/high")
        for f in row["high"]:
            print(f"- {f['severity']} {f['rule']} {f['where']}: {f['message']}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
