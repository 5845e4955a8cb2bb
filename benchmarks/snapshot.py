"""Benchmark: what "targets anywhere" costs, on the Django source release.

    python benchmarks/snapshot.py [--cache DIR] [--json]

Against moto's S3 server in its own process on loopback (a stand-in for MinIO or S3:
it is slower than either per request, so these are upper bounds for a LAN store), it
times the starter's snapshot of the tree the first time (every blob uploaded), again
unchanged (nothing uploaded, one existence check per blob), and after one file
changed (one blob and one manifest uploaded); then a worker's first materialisation
(every blob fetched and checked) and its next use (the cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from _django import DEFAULT_CACHE, corpus

from activities.artifacts import ArtifactStore
from activities.snapshots import take_snapshot
from activities.target import local_target

BUCKET = "attune-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def moto(port: int) -> subprocess.Popen[bytes]:
    """moto's S3 server, answering once the bucket can be made."""
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = boto3.client("s3")
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            return server
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.2)


def timed[T](step: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = step()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    port = free_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        ATTUNE_ARTIFACTS=f"s3://{BUCKET}/attune",
    )
    server = moto(port)
    scratch = Path(tempfile.mkdtemp(prefix="attune-snapshot-bench-"))
    try:
        tree = scratch / "django"
        shutil.copytree(corpus(args.cache), tree)
        files = sum(1 for p in tree.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        starter = ArtifactStore(scratch / "starter")
        rows = {}
        rows["snapshot, first"], _ = timed(lambda: take_snapshot(starter, tree))
        rows["snapshot, unchanged"], _ = timed(lambda: take_snapshot(starter, tree))
        changed = tree / "django" / "__init__.py"
        changed.write_text(changed.read_text() + "\n# changed\n")
        rows["snapshot, one file changed"], target = timed(lambda: take_snapshot(starter, tree))
        os.environ["ATTUNE_HOME"] = str(scratch / "worker")
        rows["materialise, first"], _ = timed(lambda: local_target(target))
        rows["materialise, cached"], _ = timed(lambda: local_target(target))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps({"files": files, "bytes": size, "seconds": rows}, indent=2))
        return
    print(f"Django source release: {files} files, {size / 1e6:.1f} MB")
    print("| step | seconds |")
    print("|---|---:|")
    for step, seconds in rows.items():
        print(f"| {step} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
