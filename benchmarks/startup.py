"""Benchmark: how long `attune` takes to start, against a bare `import typer`.

    python benchmarks/startup.py [--runs 15] [--json]

Each command runs `--runs` times in fresh interpreters, alternating so a busy
machine slows all of them alike; the median wall time of each is reported, and the
gap to `python -c "import typer"` (the floor any typer CLI pays). The target is a
gap under 0.5 s for `attune --help` and `attune route "..."`. No Temporal server is
needed: neither command connects.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_GAP_S = 0.5
COMMANDS = {
    "import typer": [sys.executable, "-c", "import typer"],
    "attune --help": [sys.executable, "-m", "starter.cli", "--help"],
    'attune route "..."': [sys.executable, "-m", "starter.cli", "route", "cut a release of ./pkg"],
    "attune workflow list": [sys.executable, "-m", "starter.cli", "workflow", "list"],
}


def timed(argv: list[str], home: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ATTUNE_HOME": home, "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as home:
        for argv in COMMANDS.values():
            timed(argv, home)  # warm the page cache and bytecode once
        for _ in range(args.runs):
            for name, argv in COMMANDS.items():
                samples[name].append(timed(argv, home))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["import typer"]
    rows = [
        {
            "command": name,
            "median_s": round(median, 3),
            "gap_to_typer_s": round(median - floor, 3),
            "within_target": name == "import typer" or median - floor <= TARGET_GAP_S,
        }
        for name, median in medians.items()
    ]
    if args.json:
        print(json.dumps({"runs": args.runs, "target_gap_s": TARGET_GAP_S, "rows": rows}))
        return
    print(f"median of {args.runs} runs each; target: within {TARGET_GAP_S} s of import typer")
    for row in rows:
        mark = "" if row["within_target"] else "  (over target)"
        print(
            f"{row['command']:<24} {row['median_s']:6.3f} s   +{row['gap_to_typer_s']:.3f} s{mark}"
        )


if __name__ == "__main__":
    main()
