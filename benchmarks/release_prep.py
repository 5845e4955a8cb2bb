"""release-prep on real release candidates: is every agent right on real projects?

For each project below, two consecutive releases come from PyPI as sdists
(`pip download --no-binary :all: --no-deps NAME==VERSION`) and become a git repository
whose previous release is committed and tagged and whose HEAD is the next release's
tree, committed and not tagged: the state of a repository on the day of a release.
What an sdist adds and a repository does not hold is removed (PKG-INFO, *.egg-info, the
version file setuptools-scm or hatch-vcs generates). The layouts differ on purpose:

- six: setup.py only, one flat module, `__version__` in six.py, CHANGES;
- more-itertools: flat package (flit), changelog in docs/versions.rst;
- termcolor: src layout, hatch-vcs (the version comes from tags), tox;
- pluggy: src layout, setuptools-scm, towncrier, tox with an extra;
- cachetools: src layout, setup.cfg `version = attr:`, tox.

Each repository goes through the release-prep workflow end to end (a local Temporal dev
server and an attune worker; the test environments are built from the package index),
up to the approval it waits for, then the run is rejected. Reported per project: the
recommendation, each blocker with its label from benchmarks/labels/release_prep.json
(true: a release manager would stop for it; false: a false alarm), the version found
against the version released, the tests run, the time. Target: no false blocker, and
the tests of every project run. Two controls commit a real problem on top of a
candidate (the version left at the last release; a bug that breaks tests): they must
block, with their evidence.

    .venv/bin/python benchmarks/release_prep.py [--json] [--only NAME ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LABELS = HERE / "labels" / "release_prep.json"
# (name on PyPI, previous release, released version, layout, generated files to drop)
PROJECTS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("six", "1.16.0", "1.17.0", "setup.py only, flat module", ()),
    ("more-itertools", "10.4.0", "10.5.0", "flat package (flit), docs/ changelog", ()),
    ("termcolor", "2.4.0", "2.5.0", "src layout, hatch-vcs", ()),
    (
        "pluggy",
        "1.5.0",
        "1.6.0",
        "src layout, setuptools-scm, towncrier",
        ("src/pluggy/_version.py",),
    ),
    ("cachetools", "5.5.0", "5.5.1", "src layout, setup.cfg attr version", ()),
]
# Controls: a candidate with a real problem committed on top, which must block.
# (name, project, what is wrong, file, text, replacement)
CONTROLS: list[tuple[str, str, str, str, str, str]] = [
    ("six+unbumped", "six", "control: version left at the last release", "six.py",
     '__version__ = "1.17.0"', '__version__ = "1.16.0"'),
    ("cachetools+bug", "cachetools", "control: hashkey drops its first argument",
     "src/cachetools/keys.py", "return _HashedTuple(args)\n", "return _HashedTuple(args[1:])\n"),
]  # fmt: skip
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
GIT += ["-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"]


def download(name: str, version: str, cache: Path) -> Path:
    """The sdist of NAME==VERSION, downloaded once into `cache`."""
    stem = name.replace("-", "_").lower()
    for found in cache.glob("*.tar.gz"):
        if found.name.lower().replace("-", "_").startswith(f"{stem}_{version}.tar"):
            return found
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
         "--no-deps", "-d", str(cache), f"{name}=={version}"],
        check=True,
    )  # fmt: skip
    return download(name, version, cache)


def unpack(sdist: Path, into: Path, generated: tuple[str, ...]) -> None:
    """The sdist's tree in `into` (emptied first, .git kept), minus what a repo lacks."""
    for child in into.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as archive:
        archive.extractall(tmp, filter="data")
        (root,) = Path(tmp).iterdir()
        for child in root.iterdir():
            shutil.move(str(child), into / child.name)
    for path in [into / "PKG-INFO", *into.glob("*.egg-info"), *into.glob("src/*.egg-info")]:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    for relative in generated:
        (into / relative).unlink(missing_ok=True)


def build_candidate(name: str, previous: str, released: str, generated: tuple[str, ...],
                    cache: Path, work: Path) -> Path:  # fmt: skip
    repo = work / name
    repo.mkdir(parents=True)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    for version, tag in ((previous, True), (released, False)):
        unpack(download(name, version, cache), repo, generated)
        subprocess.run([*GIT, "add", "-A", "-f"], cwd=repo, check=True)
        subprocess.run([*GIT, "commit", "-q", "-m", f"{name} {version}"], cwd=repo, check=True)
        if tag:
            subprocess.run([*GIT, "tag", f"v{version}"], cwd=repo, check=True)
    return repo


def add_control(repo: Path, what: str, file: str, text: str, replacement: str) -> None:
    path = repo / file
    source = path.read_text(encoding="utf-8")
    assert text in source, f"{file} no longer holds {text!r}"
    path.write_text(source.replace(text, replacement, 1), encoding="utf-8")
    subprocess.run([*GIT, "commit", "-q", "-am", what], cwd=repo, check=True)


async def awaiting_approval(client: Any, workflow_id: str) -> list[Any]:
    """The run's pending approval, once it asks; a query that a busy worker could not
    answer in time is asked again."""
    from temporalio.client import WorkflowQueryFailedError

    from starter import runner

    while True:
        try:
            pending = await runner.pending_approvals(client, workflow_id)
        except WorkflowQueryFailedError:
            pending = []
        if pending:
            return pending
        await asyncio.sleep(2)


async def run_all(repos: dict[str, Path]) -> dict[str, dict[str, Any]]:
    from _temporal import quiet_dev_server

    from starter import runner
    from worker import running_worker
    from workflows.registry import registry
    from workflows.release_prep.models import ReleasePrepResult
    from workflows.schemas import ApprovalDecision
    from workflows.wire import REJECT_SIGNAL

    flow = registry().flows["release-prep"]
    env = await quiet_dev_server()
    results: dict[str, dict[str, Any]] = {}
    try:
        async with running_worker(env.client):
            for name, repo in repos.items():
                started = time.perf_counter()
                handle = await runner.start_workflow(
                    env.client, flow, flow.request(target=str(repo), test_timeout_s=900)
                )
                pending = await awaiting_approval(env.client, handle.id)
                elapsed = time.perf_counter() - started
                await handle.signal(
                    REJECT_SIGNAL, ApprovalDecision(reviewer="bench", reason="benchmark")
                )
                result = await env.client.get_workflow_handle(
                    handle.id, result_type=ReleasePrepResult
                ).result()
                results[name] = {"pending": pending[0], "result": result, "seconds": elapsed}
    finally:
        await env.shutdown()
    return results


def summarise(name: str, layout: str, released: str, run: dict[str, Any],
              labels: dict[str, dict[str, bool]]) -> dict[str, Any]:  # fmt: skip
    pending, result = run["pending"], run["result"]
    testing = result.agents["testing"].data
    version = result.agents["version"].data
    known = labels.get(name, {})
    blockers = [
        {"blocker": b, "true": known.get(b), "evidence": d.model_dump(exclude_none=True)}
        for b, d in zip(pending.blockers, pending.blocker_details, strict=False)
    ]
    return {
        "project": name,
        "layout": layout,
        "recommendation": pending.recommendation,
        "blockers": blockers,
        "false_blockers": sum(1 for b in blockers if b["true"] is False),
        "unlabelled": sum(1 for b in blockers if b["true"] is None),
        "version_found": version.get("version"),
        "version_source": version.get("source"),
        "version_released": released,
        "tests_status": testing.get("status"),
        "tests_run": testing.get("tests_run"),
        "tests_failed": testing.get("failed"),
        "environment": testing.get("environment"),
        "warnings": pending.warnings,
        "seconds": round(run["seconds"], 1),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| project | layout | recommendation | blockers (true/false) | version found / released "
        "| tests run | time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        marks = [
            f"{b['blocker']} ({'true' if b['true'] else 'false' if b['true'] is False else '?'})"
            for b in row["blockers"]
        ]
        lines.append(
            f"| {row['project']} | {row['layout']} | {row['recommendation']} | "
            f"{'; '.join(marks) or 'none'} | {row['version_found']} / {row['version_released']} | "
            f"{row['tests_run']} ({row['tests_status']}) | {row['seconds']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="project names to run")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON to this file")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "attune-release-sdists"
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    labels = json.loads(LABELS.read_text()) if LABELS.is_file() else {}
    by_name = {p[0]: p for p in PROJECTS}
    chosen = [p for p in PROJECTS if args.only is None or p[0] in args.only]
    controls = [c for c in CONTROLS if args.only is None or c[0] in args.only]
    with tempfile.TemporaryDirectory(prefix="attune-bench-release-") as folder:
        work = Path(folder)
        os.environ["ATTUNE_HOME"] = str(work / "home")
        repos = {
            name: build_candidate(name, previous, released, generated, args.cache, work / "repos")
            for name, previous, released, _, generated in chosen
        }
        for name, project, what, file, text, replacement in controls:
            _, previous, released, _, generated = by_name[project]
            repos[name] = build_candidate(
                project, previous, released, generated, args.cache, work / name
            )
            add_control(repos[name], what, file, text, replacement)
        runs = asyncio.run(run_all(repos))
    rows = [
        summarise(name, layout, released, runs[name], labels)
        for name, _, released, layout, _ in chosen
    ] + [
        summarise(name, what, by_name[project][2], runs[name], labels)
        for name, project, what, *_ in controls
    ]
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2, default=str))
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        print(table(rows))
        print(
            f"\nfalse blockers: {sum(r['false_blockers'] for r in rows)}; unlabelled: "
            f"{sum(r['unlabelled'] for r in rows)}; projects whose tests ran: "
            f"{sum(1 for r in rows if r['tests_status'] in ('passed', 'failed'))}/{len(rows)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
