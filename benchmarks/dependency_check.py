"""Benchmark: dependency-check's advisory matching against an independent reference, on
the real PyPA advisory database snapshot, and its run time on a 500-pin lock file.

    python benchmarks/dependency_check.py [--snapshot TAR] [--per-kind N] [--json]

The snapshot (`../shared/benchmarks/advisories/pypa-advisory-database.tar.gz`, OSV YAML)
is imported with `attune advisories import`'s code into a temporary ATTUNE_HOME. Pins are
sampled from it (seeded), three kinds per package: versions an advisory lists as
affected, versions an advisory names as fixed, and versions outside every range (the
versions the snapshot names that no advisory affects, and one above every bound). They
go into one requirements file, which the flow's own functions read and check
(`build_inventory` + `check_advisories`).

The expected advisories come from a separate, simple implementation written here: each
range's events become explicit intervals [introduced, fixed) or [introduced,
last_affected], a version is affected when it lies in one of them or in the `versions`
list, withdrawn advisories are left out. Precision and recall are over (pin, advisory
id) pairs, the target 1.0 each; the alias merge is checked too (one finding per set of
advisories sharing an id).

Run time: a lock file of 500 pins of distinct packages, checked by the plain functions
(database already imported) and by the dependency-check workflow end to end through
Temporal (a private dev server, a worker already polling).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT.parent / "shared" / "benchmarks" / "advisories" / "pypa-advisory-database.tar.gz"


# --------------------------------------------------------------------------- reference


def ref_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def ref_version(text: Any) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def ref_intervals(events: list[dict[str, str]]) -> list[tuple[Version, Version | None, bool]]:
    """(low, high, high included) intervals: each introduced opens one (if none is open),
    the next fixed or last_affected closes it."""
    bounds = []
    for event in events:
        for kind, text in event.items():
            version = Version("0") if text == "0" else ref_version(text)
            if version is not None and kind in ("introduced", "fixed", "last_affected"):
                bounds.append((version, kind))
    bounds.sort(key=lambda b: b[0])
    out: list[tuple[Version, Version | None, bool]] = []
    low: Version | None = None
    for version, kind in bounds:
        if kind == "introduced":
            low = version if low is None else low
        elif low is not None:
            out.append((low, version, kind == "last_affected"))
            low = None
    if low is not None:
        out.append((low, None, False))
    return out


def ref_affected(advisory: dict[str, Any], name: str, version: Version) -> bool:
    if advisory.get("withdrawn"):
        return False
    for entry in advisory.get("affected", []):
        package = entry.get("package", {})
        if package.get("ecosystem") != "PyPI" or ref_name(package.get("name", "")) != name:
            continue
        if version in {ref_version(v) for v in entry.get("versions", [])}:
            return True
        for range_ in entry.get("ranges", []):
            if range_.get("type") != "ECOSYSTEM":
                continue
            for low, high, inclusive in ref_intervals(range_.get("events", [])):
                if low <= version and (
                    high is None or version < high or (inclusive and version == high)
                ):
                    return True
    return False


def ref_groups(advisories: list[dict[str, Any]]) -> int:
    """How many findings the merged advisories make: connected components of shared ids."""
    groups: list[set[str]] = []
    for advisory in advisories:
        ids = {advisory["id"], *advisory.get("aliases", [])}
        touching = [g for g in groups if g & ids]
        for group in touching:
            groups.remove(group)
            ids |= group
        groups.append(ids)
    return len(groups)


# --------------------------------------------------------------------------- sampling


def named_versions(advisories: list[dict[str, Any]], name: str) -> dict[str, set[Version]]:
    listed, fixed, bounds = set(), set(), set()
    for advisory in advisories:
        for entry in advisory.get("affected", []):
            if ref_name(entry.get("package", {}).get("name", "")) != name:
                continue
            listed.update(filter(None, map(ref_version, entry.get("versions", []))))
            for range_ in entry.get("ranges", []):
                if range_.get("type") != "ECOSYSTEM":
                    continue
                for event in range_.get("events", []):
                    for kind, text in event.items():
                        version = ref_version(text) if text != "0" else None
                        if version is not None:
                            bounds.add(version)
                            if kind == "fixed":
                                fixed.add(version)
    return {"listed": listed, "fixed": fixed, "all": listed | bounds}


def sample_pins(
    by_package: dict[str, list[dict[str, Any]]], per_kind: int, seed: int = 11
) -> list[tuple[str, Version, str]]:
    rng = random.Random(seed)
    pools: dict[str, list[tuple[str, Version]]] = {"affected": [], "fixed": [], "outside": []}
    for name, advisories in sorted(by_package.items()):
        versions = named_versions(advisories, name)
        pools["affected"] += [(name, v) for v in sorted(versions["listed"])]
        pools["fixed"] += [(name, v) for v in sorted(versions["fixed"])]
        clear = [
            v
            for v in sorted(versions["all"])
            if not any(ref_affected(a, name, v) for a in advisories)
        ]
        top = max(versions["all"], default=Version("0"))
        above = Version(f"{top.release[0] + 100}.0")
        if not any(ref_affected(a, name, above) for a in advisories):
            clear.append(above)  # above every bound, unless a range is still open
        pools["outside"] += [(name, v) for v in clear]
    pins = []
    for kind, pool in pools.items():
        chosen = rng.sample(pool, min(per_kind, len(pool)))
        pins += [(name, version, kind) for name, version in chosen]
    return pins


# --------------------------------------------------------------------------- runs


def load_snapshot(db: Path) -> dict[str, list[dict[str, Any]]]:
    import sqlite3

    from activities.dependency_check.database import advisories_for

    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("SELECT DISTINCT package FROM affects")}
    conn.close()
    return advisories_for(db, names)


def precision_recall(
    db: Path, by_package: dict[str, list[dict[str, Any]]], per_kind: int, work: Path
) -> dict[str, Any]:
    from datetime import UTC, datetime

    from activities.dependency_check.inventory import build_inventory
    from activities.dependency_check.vulnerabilities import check_advisories

    pins = sample_pins(by_package, per_kind)
    lines = [f"{name}=={version}" for name, version, _ in pins]
    requirements = work / "requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    inventory = build_inventory(requirements)
    check = check_advisories(inventory.dependencies, db, datetime.now(UTC), 10_000)
    predicted: dict[int, set[str]] = {}
    findings_per_line: dict[int, int] = {}
    for vuln in check.vulnerabilities:
        own = {a["id"] for a in by_package.get(vuln["package"], [])}
        predicted.setdefault(vuln["line"], set()).update(set(vuln["ids"]) & own)
        findings_per_line[vuln["line"]] = findings_per_line.get(vuln["line"], 0) + 1
    tp = fp = fn = 0
    merge_ok = merge_total = 0
    per_kind_counts: dict[str, dict[str, int]] = {}
    for number, (name, version, kind) in enumerate(pins, 1):
        expected_advisories = [a for a in by_package[name] if ref_affected(a, name, version)]
        expected = {a["id"] for a in expected_advisories}
        got = predicted.get(number, set())
        counts = per_kind_counts.setdefault(kind, {"pins": 0, "tp": 0, "fp": 0, "fn": 0})
        counts["pins"] += 1
        for key, value in (("tp", got & expected), ("fp", got - expected), ("fn", expected - got)):
            counts[key] += len(value)
        tp, fp, fn = tp + len(got & expected), fp + len(got - expected), fn + len(expected - got)
        if expected_advisories:
            merge_total += 1
            merge_ok += findings_per_line.get(number, 0) == ref_groups(expected_advisories)
    return {
        "pins": len(pins),
        "pairs_expected": tp + fn,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "by_kind": per_kind_counts,
        "alias_merge_agreement": f"{merge_ok}/{merge_total}",
    }


def lock_file(by_package: dict[str, list[dict[str, Any]]], work: Path, size: int = 500) -> Path:
    rng = random.Random(5)
    names = rng.sample(sorted(by_package), min(size, len(by_package)))
    blocks = []
    for name in sorted(names):
        versions = sorted(named_versions(by_package[name], name)["all"]) or [Version("1.0")]
        blocks.append(f'[[package]]\nname = "{name}"\nversion = "{rng.choice(versions)}"\n')
    path = work / "lock" / "poetry.lock"
    path.parent.mkdir()
    path.write_text("\n".join(blocks))
    return path


def time_plain(db: Path, lock: Path) -> dict[str, Any]:
    from datetime import UTC, datetime

    from activities.dependency_check.inventory import build_inventory
    from activities.dependency_check.vulnerabilities import check_advisories

    started = time.perf_counter()
    inventory = build_inventory(lock)
    check = check_advisories(inventory.dependencies, db, datetime.now(UTC), 10_000)
    return {
        "pins": len(inventory.dependencies),
        "findings": len(check.findings),
        "seconds": round(time.perf_counter() - started, 3),
    }


async def time_workflow(lock: Path) -> dict[str, Any]:
    from _temporal import quiet_dev_server

    from starter import runner
    from worker import running_worker
    from workflows.registry import registry

    flow = registry().flows["dependency-check"]
    env = await quiet_dev_server()
    try:
        async with running_worker(env.client):
            started = time.perf_counter()
            handle = await runner.start_workflow(
                env.client, flow, flow.request(target=str(lock), confusion_check=False)
            )
            result = await handle.result()
            elapsed = time.perf_counter() - started
    finally:
        await env.shutdown()
    return {
        "seconds": round(elapsed, 2),
        "database": result.database.status,
        "dependencies": result.dependencies,
        "vulnerable": result.vulnerable,
        "findings": result.summary.findings_total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--per-kind", type=int, default=1000, help="pins sampled per kind")
    parser.add_argument("--no-temporal", action="store_true", help="skip the workflow timing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.snapshot.is_file():
        print(f"the PyPA snapshot is absent: {args.snapshot}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as folder:
        work = Path(folder)
        os.environ["ATTUNE_HOME"] = str(work / "home")
        from activities.dependency_check.database import database_path, import_advisories

        started = time.perf_counter()
        imported = import_advisories(args.snapshot, str(args.snapshot))
        import_s = round(time.perf_counter() - started, 2)
        db = database_path()
        by_package = load_snapshot(db)
        quality = precision_recall(db, by_package, args.per_kind, work)
        lock = lock_file(by_package, work)
        plain = time_plain(db, lock)
        flow = None if args.no_temporal else asyncio.run(time_workflow(lock))
    figures = {
        "snapshot": {
            "advisories": imported.advisories,
            "packages": imported.packages,
            "withdrawn": imported.withdrawn,
            "import_seconds": import_s,
        },
        "matching": quality,
        "lock_500": {"plain_functions": plain, "workflow": flow},
    }
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return 0
    snap = figures["snapshot"]
    print(
        f"PyPA snapshot: {snap['advisories']} advisories, {snap['packages']} packages, "
        f"{snap['withdrawn']} withdrawn; imported in {snap['import_seconds']} s\n"
    )
    print("| pins | expected pairs | TP | FP | FN | precision | recall | alias merge |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    q = quality
    print(
        f"| {q['pins']} | {q['pairs_expected']} | {q['true_positives']} | "
        f"{q['false_positives']} | {q['false_negatives']} | {q['precision']} | {q['recall']} "
        f"| {q['alias_merge_agreement']} |"
    )
    print("\n| kind | pins | TP | FP | FN |\n|---|---:|---:|---:|---:|")
    for kind, c in q["by_kind"].items():
        print(f"| {kind} | {c['pins']} | {c['tp']} | {c['fp']} | {c['fn']} |")
    print(
        f"\n500-pin poetry.lock: plain functions {plain['seconds']} s "
        f"({plain['pins']} pins, {plain['findings']} findings)"
    )
    if flow:
        print(
            f"500-pin poetry.lock through Temporal: {flow['seconds']} s "
            f"({flow['vulnerable']} vulnerable entries, {flow['findings']} findings)"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
