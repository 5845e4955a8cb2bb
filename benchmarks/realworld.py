"""Benchmark: every flow of the catalog on real projects, offline; no run may fail.

    python benchmarks/realworld.py [--cache DIR] [--jobs 2] [--timeout 600]
        [--max-py-files 200] [--bundles DIR] [--only a,b] [--flows a,b] [--out FILE]
        [--json]

Targets (at least 30), fetched into the cache (default ~/.cache/attune-bench/realworld):

- the source releases of popular PyPI packages (`pip download --no-binary :all:
  --no-deps`, pinned below), unpacked as released;
- a copy of the standard library of this interpreter (its `Lib`, without site-packages);
- Django's source release (benchmarks/_django.py's copy);
- git repositories with history: thefuck and tqdm cloned from the bundles of
  `--bundles` (default ../shared/benchmarks/bugs/repos next to the repo) when there,
  and sdists given a synthetic history (an initial import, then commits that edit,
  rename and delete files).

Every built flow of the registry runs with its default parameters and no
ANTHROPIC_API_KEY, on a private Temporal dev server with one dedicated `attune worker`
(benchmarks/_temporal.py), at most `--jobs` runs at a time, each ended after
`--timeout` seconds (terminated, reported as timed out). A flow gets what it needs
besides its target as the replay recorder gives it (tests/record_histories.py
`request_on`): pr-review the last commit (`HEAD~1`), research-synthesis the example
question of its field, composed the audit-and-approve spec; approvals are granted.
Repository flows (pr-review, release-prep) run on the git repositories only.

Budget (about 11 minutes on 2 quiet cores): a project with more Python files than
`--max-py-files` runs on a copy holding an evenly spaced selection of them (every
`__init__.py`, `bad*.py` and non-Python file kept), and test-generation, whose engines search for
a minute per module, runs on the small modules of TESTGEN_MODULES only. The table says
which projects were capped.

Per flow and project: the outcome (completed, failed, timed out, refused before the
start), the run time, the files the report skipped (by reason) and its warnings, and the
tracebacks of the worker's log that belong to the run (an activity that failed, even
once before a retry succeeded). The target: 0 failed, 0 timed out, 0 tracebacks. The
Markdown table goes to `--out` (default benchmarks/results/realworld.md) and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _django import DEFAULT_CACHE, corpus
from _temporal import server_and_worker

from starter import runner
from tests.record_histories import request_on
from workflows.registry import Flow, registry
from workflows.schemas import ApprovalDecision
from workflows.wire import APPROVE_SIGNAL, ATTUNE_AWAITING

HERE = Path(__file__).resolve().parent
BUNDLES = HERE.parent.parent / "shared" / "benchmarks" / "bugs" / "repos"
SDISTS = (
    "black==26.10.1",  # keeps invalid .gitignore files as test data (issue 15)
    "bottle==0.13.4",
    "certifi==2026.10.18",
    "colorama==0.4.6",
    "decorator==5.3.1",
    "idna==3.20",
    "iniconfig==2.3.1",
    "itsdangerous==2.2.0",
    "jinja2==3.1.6",
    "jmespath==1.1.0",
    "markdown==3.11.3",
    "markupsafe==3.0.4",
    "more-itertools==11.2.1",
    "packaging==26.4",
    "pathspec==1.1.1",
    "pluggy==1.7.0",
    "pycodestyle==2.15.0",
    "pyflakes==4.1.0",
    "pyparsing==3.3.3",
    "python-dateutil==4.0.0",
    "six==1.17.0",
    "tabulate==0.10.0",
    "tomli==2.5.0",
    "urllib3==2.8.0",
)
SYNTHETIC_HISTORY = (
    "attrs==26.1.0",
    "click==8.5.1",
    "flask==3.1.3",
    "requests==2.34.2",
    "werkzeug==3.1.9",
)
TESTGEN_MODULES = (("tomli", "src/tomli/_re.py"),)
FINISHED = {"completed", "approved"}
RUN_OWNER = "run "
POLL_S = 1.0
DATE = "2024-01-01T12:00:00+00:00"


@dataclass
class Project:
    name: str
    path: Path
    kind: str
    """sdist, stdlib, django or git"""
    capped: str = ""


@dataclass
class Run:
    project: str
    flow: str
    outcome: str
    seconds: float
    detail: str = ""
    workflow_id: str = ""
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)


def unpack(archive: Path, into: Path) -> Path:
    """The archive's single top directory, unpacked under `into`."""
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            top = zipped.namelist()[0].split("/")[0]
            if not (into / top).is_dir():
                zipped.extractall(into)
        return into / top
    with tarfile.open(archive) as tar:
        top = tar.getnames()[0].split("/")[0]
        if not (into / top).is_dir():
            tar.extractall(into, filter="data")
    return into / top


def fetch_sdist(requirement: str, cache: Path) -> Path:
    name, version = requirement.split("==")
    archives = cache / "sdists"
    pattern = re.compile(
        rf"^{re.sub(r'[-_.]', '[-_.]', name)}-{re.escape(version)}\.(tar\.gz|zip)$", re.I
    )
    found = [a for a in archives.glob("*") if pattern.match(a.name)] if archives.is_dir() else []
    if not found:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run([*pip, "--no-binary", ":all:", "-d", str(archives), requirement], check=True)
        found = [a for a in archives.glob("*") if pattern.match(a.name)]
    return unpack(found[0], cache / "trees")


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "sweep",
        "GIT_AUTHOR_EMAIL": "sweep@example.invalid",
        "GIT_COMMITTER_NAME": "sweep",
        "GIT_COMMITTER_EMAIL": "sweep@example.invalid",
        "GIT_AUTHOR_DATE": DATE,
        "GIT_COMMITTER_DATE": DATE,
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def synthetic_history(tree: Path, into: Path) -> Path:
    """The release as an initial import, then a feature, a fix, a rename and a removal:
    a history pr-review, bug-predict and release-prep can read."""
    repo = into / f"{tree.name}-git"
    if (repo / ".git").is_dir():
        return repo
    shutil.copytree(tree, repo, symlinks=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "chore: import the release")
    git(repo, "tag", "v0.0.1")
    sources = sorted(p for p in repo.rglob("*.py") if p.name != "__init__.py" and p.stat().st_size)
    first, second, third = sources[0], sources[len(sources) // 2], sources[-1]
    with first.open("a") as fh:
        fh.write("\n\ndef sweep_feature(values):\n    return sorted(set(values))\n")
    git(repo, "commit", "-qam", "feat: a helper for unique sorted values")
    with second.open("a") as fh:
        fh.write("\n\ndef sweep_ratio(a, b):\n    return a / b if b else 0.0\n")
    git(repo, "commit", "-qam", "fix: a ratio that tolerates zero")
    git(
        repo,
        "mv",
        str(third.relative_to(repo)),
        str(third.with_name("renamed_" + third.name).relative_to(repo)),
    )
    git(repo, "commit", "-qm", "refactor: rename a module")
    readme = next(iter(sorted(repo.glob("README*"))), None)
    if readme is not None:
        git(repo, "rm", "-q", str(readme.relative_to(repo)))
        git(repo, "commit", "-qm", "docs: drop the readme")
    return repo


def from_bundle(bundle: Path, into: Path) -> Path:
    repo = into / bundle.stem
    if not (repo / ".git").is_dir():
        subprocess.run(["git", "clone", "-q", str(bundle), str(repo)], check=True)
    return repo


def stdlib_copy(into: Path) -> Path:
    source = Path(sysconfig.get_paths()["stdlib"])
    copy = into / f"cpython-{sys.version_info.major}.{sys.version_info.minor}-Lib"
    if not copy.is_dir():
        shutil.copytree(
            source,
            copy,
            symlinks=True,
            ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"),
        )
    return copy


def capped(project: Project, limit: int, into: Path) -> Project:
    """A copy with `limit` Python files evenly spaced over the sorted list, when the
    project has more; every `__init__.py`, every `bad*.py` (the standard library's test
    data of broken syntax and encodings) and every other file kept."""
    files = sorted(p for p in project.path.rglob("*.py") if "/.git/" not in p.as_posix())
    if len(files) <= limit:
        return project
    stride = len(files) / limit
    chosen = {files[int(i * stride)] for i in range(limit)}
    chosen |= {f for f in files if f.name.startswith("bad")}  # CPython's broken on purpose
    copy = into / f"{project.path.name}-cap{limit}"
    if not copy.is_dir():

        def ignore(folder: str, names: list[str]) -> set[str]:
            return {
                n
                for n in names
                if n.endswith(".py") and n != "__init__.py" and Path(folder, n) not in chosen
            }

        shutil.copytree(project.path, copy, symlinks=True, ignore=ignore)
    note = f"{len(chosen)} of {len(files)} .py files (and every __init__.py)"
    return Project(project.name, copy, project.kind, note)


def projects(cache: Path, limit: int, only: list[str], bundles: Path) -> list[Project]:
    """Every target whose name has one of `only` (every target when it is empty), fetched
    or built on first use."""

    def wanted(name: str) -> bool:
        return not only or any(part in name for part in only)

    found = []
    for requirement in SDISTS:
        if wanted(requirement.split("==")[0]):
            tree = fetch_sdist(requirement, cache)
            found.append(Project(tree.name, tree, "sdist"))
    if wanted("stdlib"):
        found.append(Project("stdlib", stdlib_copy(cache / "trees"), "stdlib"))
    if wanted("django"):
        django = corpus(DEFAULT_CACHE)
        found.append(Project(django.name, django, "django"))
    git_dir = cache / "git"
    git_dir.mkdir(parents=True, exist_ok=True)
    for requirement in SYNTHETIC_HISTORY:
        if wanted(f"{requirement.split('==')[0]}-git"):
            repo = synthetic_history(fetch_sdist(requirement, cache), git_dir)
            found.append(Project(repo.name, repo, "git"))
    for bundle in sorted(bundles.glob("*.bundle")) if bundles.is_dir() else []:
        if wanted(f"{bundle.stem}-git"):
            repo = from_bundle(bundle, git_dir)
            found.append(Project(f"{repo.name}-git", repo, "git"))
    return [capped(p, limit, cache / "capped") for p in found]


def targets(flow: Flow, project: Project) -> list[Path]:
    """Where `flow` runs in `project`: none when it needs what the project lacks."""
    if flow.target == "repository" and project.kind != "git":
        return []
    if flow.name == "test-generation":
        return [
            project.path / module
            for name, module in TESTGEN_MODULES
            if project.kind == "sdist" and project.name.startswith(f"{name}-")
        ]
    return [project.path]


def tracebacks(log: str) -> dict[str, list[str]]:
    """The worker log's tracebacks by the owner named on the record they belong to, each
    as its last line (the exception): a workflow id (an activity's failure), or
    `RUN_OWNER` and a run id (a failed workflow activation, such as Temporal's deadlock
    detector, names the run only)."""
    found: dict[str, list[str]] = defaultdict(list)
    owner = ""
    lines = log.splitlines()
    for index, line in enumerate(lines):
        match = re.search(r"'workflow_id': '([^']+)'", line)
        if match:
            owner = match.group(1)
        match = re.search(r"on workflow with run ID (\S+)", line)
        if match:
            owner = RUN_OWNER + match.group(1)
        if line.startswith("Traceback (most recent call last):"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
                end += 1
            found[owner].append(lines[end][:200] if end < len(lines) else line)
    return found


def report_of(result: Any) -> dict[str, Any]:
    artifacts = getattr(result, "artifacts", None) or {}
    path = artifacts.get("json") if isinstance(artifacts, dict) else None
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else {}


async def by_workflow_id(client: Any, logged: dict[str, list[str]]) -> dict[str, list[str]]:
    """`logged` with each run id replaced by its workflow's id (a child's id begins with
    its parent's), so a failed activation counts against the run it belongs to; a run the
    server no longer knows stays unattributed."""
    found: dict[str, list[str]] = defaultdict(list)
    for owner, lasts in logged.items():
        if owner.startswith(RUN_OWNER):
            run_id = owner.removeprefix(RUN_OWNER)
            owner = ""
            async for execution in client.list_workflows(f'RunId = "{run_id}"'):
                owner = execution.id
        found[owner] += lasts
    return found


async def approved_when_asked(client: Any, handle: Any) -> Any:
    """The run's result, approving whenever it waits for a person. It watches the run as
    `attune` does, through the server (describe: the AttuneAwaiting search attribute),
    and queries the run only when it waits: a query is a workflow task on the worker, and
    polling one every 0.2 s on every run (failing on the runs that take no approvals)
    multiplied the tasks Temporal's 2 s deadlock detector times."""
    result = asyncio.ensure_future(handle.result())
    try:
        while not result.done():
            described = await handle.describe()
            awaiting = described.typed_search_attributes.get(ATTUNE_AWAITING) == "approval"
            if awaiting and await runner.pending_approvals(client, handle.id):
                decision = ApprovalDecision(reviewer="sweep", override_blockers=True)
                await handle.signal(APPROVE_SIGNAL, decision)
            await asyncio.wait([result], timeout=POLL_S)
        return await result
    finally:
        result.cancel()  # the per-run timeout: the run is terminated, its result unwanted


async def run_one(client: Any, flow: Flow, project: Project, target: Path, timeout: float) -> Run:
    label = project.name if target == project.path else f"{project.name}:{target.name}"
    started = time.monotonic()
    try:
        request = request_on(flow, target)
        flow.check(request)
    except ValueError as err:
        return Run(label, flow.name, "refused", 0.0, str(err).strip()[:200])
    handle = await runner.start_workflow(client, flow, request)
    run = Run(label, flow.name, "completed", 0.0, workflow_id=handle.id)
    try:
        result = await asyncio.wait_for(approved_when_asked(client, handle), timeout)
    except TimeoutError:
        await handle.terminate("the sweep's per-run timeout")
        run.outcome = "timed out"
    except Exception as err:  # the run failed: what a user would see
        run.outcome, run.detail = "failed", f"{type(err).__name__}: {err}"[:300]
    else:
        status = str(getattr(result, "status", "completed"))
        if status not in FINISHED:
            run.outcome, run.detail = "failed", f"status {status}"
        report = report_of(result)
        run.skipped = dict(Counter(s.get("reason", "?") for s in report.get("skipped", [])))
        run.warnings = dict(Counter(w.get("code", "?") for w in report.get("warnings", [])))
    run.seconds = round(time.monotonic() - started, 1)
    return run


async def sweep(args: argparse.Namespace, chosen: list[Project]) -> list[Run]:
    flows = [f for f in registry().built() if not args.flows or f.name in args.flows.split(",")]
    work = [
        (flow, project, target)
        for project in chosen
        for flow in flows
        for target in targets(flow, project)
    ]
    gate = asyncio.Semaphore(args.jobs)
    async with server_and_worker() as bench:

        async def bounded(flow: Flow, project: Project, target: Path) -> Run:
            async with gate:
                run = await run_one(bench.client, flow, project, target, args.timeout)
                print(json.dumps(asdict(run)), file=sys.stderr, flush=True)
                return run

        runs = await asyncio.gather(*(bounded(*item) for item in work))
        logged = await by_workflow_id(
            bench.client, tracebacks(bench.worker_log.read_text(errors="replace"))
        )
    for run in runs:
        if run.workflow_id:
            run.tracebacks = [
                f"{owner}: {last}"
                for owner, found in logged.items()
                if owner.startswith(run.workflow_id)
                for last in found
            ]
    orphans = [last for owner, found in logged.items() if not owner for last in found]
    if orphans:
        runs.append(Run("(worker)", "(no run)", "log", 0.0, tracebacks=orphans))
    return runs


def counted(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "-"


def markdown(runs: list[Run], chosen: list[Project], args: argparse.Namespace, wall: float) -> str:
    outcomes = Counter(r.outcome for r in runs if r.outcome != "log")
    traced = sum(len(r.tracebacks) for r in runs)
    out = [
        "# Real-world sweep (benchmarks/realworld.py)",
        "",
        f"{len(chosen)} projects, {len(runs)} runs, {args.jobs} at a time, timeout "
        f"{args.timeout:g} s, offline (no ANTHROPIC_API_KEY); wall time {wall / 60:.1f} min.",
        "",
        f"**{outcomes['completed']} completed, {outcomes['failed']} failed, "
        f"{outcomes['timed out']} timed out, {outcomes['refused']} refused before the "
        f"start; {traced} tracebacks in the worker log.**",
        "",
    ]
    if any(r.flow == "test-generation" for r in runs):
        out += [
            "test-generation ran on "
            + ", ".join(f"{n}'s `{m}`" for n, m in TESTGEN_MODULES)
            + " only (its engines search for minutes per module).",
            "",
        ]
    out += [
        "## Per flow",
        "",
        "| flow | runs | completed | failed | timed out | refused | median s | max s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_flow: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_flow[run.flow].append(run)
    for name, group in sorted(by_flow.items()):
        times = sorted(r.seconds for r in group)
        tally = Counter(r.outcome for r in group)
        out.append(
            f"| {name} | {len(group)} | {tally['completed']} | {tally['failed']} | "
            f"{tally['timed out']} | {tally['refused']} | {times[len(times) // 2]:.1f} | "
            f"{times[-1]:.1f} |"
        )
    out += ["", "## Projects", "", "| project | kind | path | capped |", "|---|---|---|---|"]
    out += [f"| {p.name} | {p.kind} | `{p.path.name}` | {p.capped or '-'} |" for p in chosen]
    out += [
        "",
        "## Runs",
        "",
        "| project | flow | outcome | s | skipped (reason: files) | warnings (code: n) | "
        "tracebacks |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        outcome = run.outcome + (f": {run.detail}" if run.detail else "")
        out.append(
            f"| {run.project} | {run.flow} | {outcome.replace('|', '/')} | {run.seconds:.1f} | "
            f"{counted(run.skipped)} | {counted(run.warnings)} | "
            f"{'<br>'.join(run.tracebacks).replace('|', '/') or '0'} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE / "realworld")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--max-py-files", type=int, default=200)
    parser.add_argument("--bundles", type=Path, default=BUNDLES, help="git bundles to clone")
    parser.add_argument(
        "--only", default="", help="comma-separated: projects whose name has one of these"
    )
    parser.add_argument("--flows", default="", help="comma-separated flow names")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "realworld.md")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    only = [part for part in args.only.split(",") if part]
    chosen = projects(args.cache, args.max_py_files, only, args.bundles)
    started = time.monotonic()
    runs = asyncio.run(sweep(args, chosen))
    table = markdown(runs, chosen, args, time.monotonic() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    print(json.dumps([asdict(r) for r in runs], indent=2) if args.json else table)
    bad = [r for r in runs if r.outcome in ("failed", "timed out") or r.tracebacks]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
