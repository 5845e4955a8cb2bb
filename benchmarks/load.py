"""Load benchmark: many concurrent security-audits against one Temporal dev server.

    python benchmarks/load.py [--runs 50] [--scenario 1:fixed --scenario 2:fixed ...] [--json]

Each scenario (`WORKERS:TUNER`, default 1:fixed, 1:resource, 2:fixed) gets a fresh
dev server (SQLite, like attune's embedded one), a fresh `ATTUNE_HOME` (cold scan
cache, local artifact store shared by the workers; set ATTUNE_ARTIFACTS to measure
another store) and WORKERS `attune worker` processes with ATTUNE_WORKER_TUNER=TUNER,
already polling. Then it starts --runs security-audits at once, each of its own copy
of the corpus (the Flask 3.1.3 source release: 83 Python files, 18k lines), every
copy's files made unique with one comment line so no run hits another's scan cache.

Reported per scenario: throughput (runs per minute, first start to last close),
run latency p50/p95 (server timestamps), activity schedule-to-start p50/p95 (from
the histories: ActivityTaskScheduled -> ActivityTaskStarted), and CPU seconds by
process group from /proc: the server, the workers (with their scan processes), the
rest of the machine, plus bytes the workers wrote (the local store and cache). The
bottleneck line says whether the machine's cores were saturated and how attune's CPU
split between server and workers.

Measured 2026-12-02 on the 2-core build machine shared with other jobs (README
"Outgrowing one machine" has the full table), each pair back to back:
1 vs 2 workers, fixed slots: 72.5 vs 68.5 runs/min (two workers on two cores contend);
fixed vs resource-based tuner: 23.8 vs 17.6 and 39.1 vs 32.0 (1 worker), 105.0 vs 93.7
(2 workers) runs/min, with lower schedule-to-start every time. So `fixed` is
ATTUNE_WORKER_TUNER's default (starter/fleet.py): the resource-based tuner sizes slots
from the whole machine's CPU and holds back slots when other work shares the host.
Bottleneck: CPU (saturated in every run); attune's own CPU ~70% workers, ~30% server;
4.3 MB written per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from starter.runner import dedicated_workers, start_workflow
from starter.telemetry import percentile
from workflows.registry import registry
from workflows.wire import KEYWORD_ATTRIBUTES

BIN = Path(sys.executable).parent
CORPUS = "flask==3.1.3"
CORPUS_DIR = "flask-3.1.3"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY_S = 0.5


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def corpus(cache: Path) -> Path:
    tree = cache / CORPUS_DIR
    if not tree.exists():
        cache.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, CORPUS, "-d", str(cache)], check=True)
        with tarfile.open(cache / f"{CORPUS_DIR}.tar.gz") as tar:
            tar.extractall(cache, filter="data")
    return tree


def copies(tree: Path, into: Path, count: int) -> list[Path]:
    """`count` copies whose Python files differ by one comment: cold cache for each."""
    made = []
    for number in range(count):
        copy = into / f"copy-{number:03d}"
        shutil.copytree(tree, copy)
        for source in copy.rglob("*.py"):
            with source.open("a", encoding="utf-8") as out:
                out.write(f"\n# load benchmark copy {number}\n")
        made.append(copy)
    return made


class CpuSampler:
    """CPU seconds by process group (a server or a worker with its pool), and the
    machine's busy seconds, from /proc while a scenario runs."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.owner: dict[int, str] = {}
        self.stop = threading.Event()
        self.machine = [0, 0]
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _machine_busy() -> int:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields) - fields[3] - fields[4]

    def _sample(self) -> None:
        by_group = {pgid: name for name, pgid in self.groups.items()}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            name = by_group.get(int(fields[2]))
            if name is None:
                continue
            pid, ticks = int(entry.name), int(fields[11]) + int(fields[12])
            self.first.setdefault(pid, ticks)
            self.last[pid] = ticks
            self.owner[pid] = name

    def _run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY_S):
            self._sample()

    def __enter__(self) -> CpuSampler:
        self._sample()
        self.machine[0] = self._machine_busy()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()
        self.machine[1] = self._machine_busy()

    def seconds(self) -> dict[str, float]:
        totals: dict[str, float] = {name: 0.0 for name in self.groups}
        for pid, name in self.owner.items():
            totals[name] += (self.last[pid] - self.first[pid]) / CLK_TCK
        ours = sum(totals.values())
        totals["machine"] = (self.machine[1] - self.machine[0]) / CLK_TCK
        totals["rest of machine"] = max(totals["machine"] - ours, 0.0)
        return {k: round(v, 1) for k, v in totals.items()}


@dataclass
class Outcome:
    workers: int
    tuner: str
    runs: int
    completed: int
    wall_s: float
    runs_per_min: float
    latency_p50_s: float
    latency_p95_s: float
    schedule_to_start_p50_s: float
    schedule_to_start_p95_s: float
    slowest_activity_to_start: str
    cpu_s: dict[str, float]
    worker_write_mb: float
    loadavg_before: str
    bottleneck: str = ""
    by_activity: dict[str, dict[str, float]] = field(default_factory=dict)


def schedule_to_start(events: list) -> list[tuple[str, float]]:
    """(activity type, seconds from ActivityTaskScheduled to ActivityTaskStarted)."""
    scheduled = {
        e.event_id: (e.activity_task_scheduled_event_attributes.activity_type.name, e.event_time)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    out = []
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            name, at = scheduled[e.activity_task_started_event_attributes.scheduled_event_id]
            out.append((name, (e.event_time.ToDatetime() - at.ToDatetime()).total_seconds()))
    return out


def written_bytes(pgid: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != pgid:
                continue
            for line in (entry / "io").read_text().splitlines():
                if line.startswith("write_bytes:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


async def scenario(workers: int, tuner: str, targets: list[Path], scratch: Path) -> Outcome:
    port = free_port()
    home = scratch / f"home-{workers}-{tuner}"
    server = subprocess.Popen(
        [str(BIN / "temporal"), "server", "start-dev", "--headless", "--log-level", "error"]
        + ["--port", str(port), "--db-filename", str(scratch / f"temporal-{port}.db")]
        + [f"--search-attribute={name}=Keyword" for name in KEYWORD_ATTRIBUTES.values()]
        + ["--search-attribute=AttuneCostUSD=Double"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.pop("ANTHROPIC_API_KEY", None)
    env.update(
        TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
        ATTUNE_HOME=str(home),
        ATTUNE_WORKER_TUNER=tuner,
        PYTHONUNBUFFERED="1",
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(60):
            try:
                client = await Client.connect(
                    f"127.0.0.1:{port}", data_converter=pydantic_data_converter
                )
                break
            except RuntimeError:
                await asyncio.sleep(0.5)
        else:
            raise SystemExit("the dev server never answered")
        procs = [
            subprocess.Popen(
                [str(BIN / "attune"), "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(workers)
        ]
        while await dedicated_workers(client) < workers:
            await asyncio.sleep(0.2)
        flow = registry().get("security-audit")
        assert flow is not None
        groups = {"server": server.pid} | {f"worker {i + 1}": p.pid for i, p in enumerate(procs)}
        loadavg = Path("/proc/loadavg").read_text().split()[:3]
        with CpuSampler(groups) as sampler:
            handles: list[WorkflowHandle] = await asyncio.gather(
                *(start_workflow(client, flow, flow.request(target=str(t))) for t in targets)
            )
            await asyncio.gather(*(h.result() for h in handles), return_exceptions=True)
        writes = sum(written_bytes(p.pid) for p in procs)
        descriptions = await asyncio.gather(*(h.describe() for h in handles))
        histories = await asyncio.gather(*(h.fetch_history() for h in handles))
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    done = [d for d in descriptions if d.close_time is not None]
    latencies = [(d.close_time - d.start_time).total_seconds() for d in done]  # type: ignore[operator]
    first = min(d.start_time for d in descriptions)
    last = max(d.close_time for d in done) if done else first  # type: ignore[type-var]
    wall = (last - first).total_seconds() or 1e-9
    waits = [w for h in histories for w in schedule_to_start(list(h.events))]
    kinds: dict[str, list[float]] = {}
    for name, seconds in waits:
        kinds.setdefault(name, []).append(seconds)
    by_activity = {
        name: {
            "count": len(values),
            "p50_s": round(percentile(values, 50) or 0, 2),
            "p95_s": round(percentile(values, 95) or 0, 2),
        }
        for name, values in sorted(kinds.items())
    }
    cpu = sampler.seconds()
    outcome = Outcome(
        workers=workers,
        tuner=tuner,
        runs=len(handles),
        completed=sum(d.status is not None and d.status.name == "COMPLETED" for d in done),
        wall_s=round(wall, 1),
        runs_per_min=round(len(done) / wall * 60, 1),
        latency_p50_s=round(percentile(latencies, 50) or 0, 1),
        latency_p95_s=round(percentile(latencies, 95) or 0, 1),
        schedule_to_start_p50_s=round(percentile([w for _, w in waits], 50) or 0, 2),
        schedule_to_start_p95_s=round(percentile([w for _, w in waits], 95) or 0, 2),
        slowest_activity_to_start=max(by_activity, key=lambda k: by_activity[k]["p95_s"]),
        cpu_s=cpu,
        worker_write_mb=round(writes / 1e6, 1),
        loadavg_before=" ".join(loadavg),
        by_activity=by_activity,
    )
    outcome.bottleneck = bottleneck(outcome, wall)
    return outcome


def bottleneck(outcome: Outcome, wall: float) -> str:
    """Where the time went: the machine's cores (and who used them), then attune's own
    CPU split between the server and the workers, then the store's writes."""
    cores = os.cpu_count() or 1
    cpu = outcome.cpu_s
    workers = sum(v for k, v in cpu.items() if k.startswith("worker"))
    ours = workers + cpu["server"] or 1e-9
    busy = cpu["machine"] / wall
    machine = (
        f"CPU: machine saturated ({busy:.2f}/{cores} cores busy, "
        f"{cpu['rest of machine'] / wall:.2f} by other processes)"
        if busy > 0.9 * cores
        else f"not CPU: {busy:.2f}/{cores} cores busy"
    )
    return (
        f"{machine}; attune's CPU {workers / ours:.0%} workers, {cpu['server'] / ours:.0%} "
        f"server; store {outcome.worker_write_mb / outcome.runs:.1f} MB written per run"
    )


def table(outcomes: list[Outcome]) -> str:
    rows = [
        "| workers | tuner | runs ok | wall s | runs/min | latency p50/p95 s "
        "| schedule-to-start p50/p95 s | CPU s per run: server / workers | bottleneck |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        workers = sum(v for k, v in o.cpu_s.items() if k.startswith("worker"))
        rows.append(
            f"| {o.workers} | {o.tuner} | {o.completed}/{o.runs} | {o.wall_s} | {o.runs_per_min} "
            f"| {o.latency_p50_s} / {o.latency_p95_s} "
            f"| {o.schedule_to_start_p50_s} / {o.schedule_to_start_p95_s} "
            f"| {o.cpu_s['server'] / o.runs:.2f} / {workers / o.runs:.2f} "
            f"| {o.bottleneck} |"
        )
    return "\n".join(rows)


async def main_async(args: argparse.Namespace) -> list[Outcome]:
    tree = corpus(args.cache)
    scratch = Path(tempfile.mkdtemp(prefix="attune-load-"))
    outcomes = []
    try:
        targets = copies(tree, scratch / "targets", args.runs)
        for spec in args.scenario or ["1:fixed", "1:resource", "2:fixed"]:
            workers, _, tuner = spec.partition(":")
            outcome = await scenario(int(workers), tuner or "fixed", targets, scratch)
            print(table([outcome]).splitlines()[-1], file=sys.stderr, flush=True)
            outcomes.append(outcome)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--scenario", action="append", help="WORKERS:TUNER, e.g. 2:fixed")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcomes = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        print(table(outcomes))
        for o in outcomes:
            print(f"\n{o.workers} worker(s), {o.tuner}: schedule-to-start by activity")
            for name, numbers in o.by_activity.items():
                print(f"  {name:>32}: {numbers}")
    return 0 if all(o.completed == o.runs for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
