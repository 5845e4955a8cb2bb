"""A fleet on one machine: two `attune worker` processes that share nothing with the
starter but an S3 bucket (moto's server on loopback) and the Temporal server.

Each worker has its own `ATTUNE_HOME` and runs without the capabilities that let root
read past file modes, so the starter's target (in a mode-000 directory) is closed to
it: the proof is a process run the same way failing to open a file there. One worker
is SIGKILLed in the middle of the audit; the other finishes from the snapshot in the
bucket, and the starter reads the report back through the store, equal to the report
of a single-machine run of the same target.

The store's backends (s3 and file://: whole rewrites, checksums on read), snapshots
(an unchanged file never uploaded twice, gitignored content never uploaded) and a
repository's history (the bundle, and pr-review reviewing a branch from it) are
tested on their own beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from activities.artifacts import RAW_JSON, ArtifactStore, read_location
from activities.discovery import discover_files
from activities.snapshots import take_snapshot
from activities.target import SNAPSHOT_SCHEME, local_target, shown_target, snapshot_key
from starter import runner
from starter.views import load_report
from tests.test_crash_resume import VULNERABLE, start_worker
from tests.test_pr_review import eval_line, make_repo, review
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.security_audit.models import AuditRequest, AuditResult

SETPRIV = shutil.which("setpriv")
BUCKET = "attune-fleet"
FILES = 96
PARAMS = {"batch_size": 16, "chunk_size": 2, "heartbeat_timeout_s": 2}
RUN_SPECIFIC = ("workflow_id", "run_id", "started_at", "finished_at", "duration_s", "artifacts")

needs_setpriv = pytest.mark.skipif(
    os.geteuid() != 0 or SETPRIV is None,
    reason="closing the target to the workers needs root and setpriv (as in CI)",
)


def unprivileged() -> list[str]:
    """Root without the capabilities that override file modes: a mode-000 directory is
    as closed to it as it would be on another machine."""
    assert SETPRIV is not None
    return [SETPRIV, "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    """A real S3 HTTP API on loopback with one bucket, and the variables that reach it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "fleet",
        "AWS_SECRET_ACCESS_KEY": "fleet-secret",
        "AWS_REGION": "us-east-1",
        "ATTUNE_ARTIFACTS": f"s3://{BUCKET}/attune",
    }
    boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="fleet",
        aws_secret_access_key="fleet-secret",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    try:
        yield env
    finally:
        server.stop()


async def busy_worker(handle: WorkflowHandle) -> str | None:
    """The identity of a worker heartbeating a scan batch, once another batch is done."""
    desc = await handle.describe()
    done = [
        e
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ]
    for pending in desc.raw_description.pending_activities:
        if (
            pending.activity_type.name == "scan_batch"
            and pending.heartbeat_details.payloads
            and len(done) >= 2
        ):
            return pending.last_worker_identity
    return None


@pytest.fixture
def shared(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process as a starter (or worker) of the fleet: artifacts in the bucket."""
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    return s3_env


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def make_corpus(root: Path) -> Path:
    for i in range(FILES):
        package = root / f"pkg{i // 16:02d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{i:03d}.py").write_text(VULNERABLE.format(i=i))
    return root


def comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in (*RUN_SPECIFIC, "target")}


@pytest.mark.parametrize("where", ["s3", "file"])
def test_store_backends_write_whole_objects_and_check_them_on_read(
    where: str, tmp_path: Path, shared: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{BUCKET}/{tmp_path.name}" if where == "s3" else (tmp_path / "shared").as_uri()
    store = ArtifactStore(tmp_path / "home", url=url)
    assert store.shared
    ref = store.put("runs/r/artifacts/x.json", [1, 2], RAW_JSON, 2)
    again = store.put("runs/r/artifacts/x.json", [1, 2], RAW_JSON, 2)
    assert ref == again, "a retried activity rewrites the same object"
    assert ArtifactStore(tmp_path / "other", url=url).get(ref, RAW_JSON) == [1, 2]
    assert store.find("runs/r/artifacts/x.json", RAW_JSON) == (
        [1, 2],
        ref.model_copy(update={"count": 0}),
    )
    assert store.find("runs/r/artifacts/none.json", RAW_JSON) is None

    store.backend.create("snapshots/blobs/cas", b"first")
    store.backend.create("snapshots/blobs/cas", b"second")
    assert store.backend.read("snapshots/blobs/cas") == b"first", "content-addressed: kept"

    store.backend.write(ref.key, b"[1, 3]")
    with pytest.raises(ValueError, match="checksum"):
        store.get(ref, RAW_JSON)

    report = store.run_dir("wf-1") / "report.json"
    report.parent.mkdir(parents=True)
    report.write_text('{"findings": []}')
    published = store.publish({"json": str(report), "elsewhere": str(tmp_path / "out.md")})
    assert published["json"].startswith(f"{url}/runs/wf-1/report.json#sha256=")
    assert published["elsewhere"] == str(tmp_path / "out.md")
    assert json.loads(read_location(published["json"])) == {"findings": []}
    store.backend.write("runs/wf-1/report.json", b"{}")
    with pytest.raises(ValueError, match="checksum"):
        read_location(published["json"])


def test_a_repository_target_arrives_with_its_history(
    tmp_path: Path, shared: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_files(tmp_path / "repo", {"src/app.py": "x = 1\n", ".gitignore": "build/\n"})
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    subprocess.run([*git, "tag", "v1.0.0"], check=True)
    subprocess.run([*git, "checkout", "-qb", "feature"], check=True)
    write_files(repo, {"src/app.py": "x = 2\n", "src/build/gen.py": "generated = True\n"})

    target = take_snapshot(ArtifactStore(tmp_path / "starter"), repo / "src")
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "worker"))
    src = local_target(target)
    clone = src.parent

    def git_out(where: Path, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(where), *args], capture_output=True, text=True, check=True
        ).stdout

    for question in (["tag"], ["branch"], ["log", "--format=%H %s"], ["status", "--short"]):
        assert git_out(clone, *question) == git_out(repo, *question), question
    assert (src / "app.py").read_text() == "x = 2\n", "the working tree, not HEAD"
    assert discover_files(src, 10**6) == discover_files(repo / "src", 10**6)
    assert discover_files(src, 10**6).skipped[0].reason == "gitignored", "by the enclosing ignore"


async def test_a_git_aware_flow_reviews_a_branch_from_its_bundle(
    client: Client, tmp_path: Path, shared: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pr-review reads the merge base and the branch's files from the clone a worker made
    of the bundle: the verdict and its finding are those of pr-review's own test."""
    repo = make_repo(tmp_path / "shop-repo")
    repo.git("checkout", "-q", "risky")
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "fleet"))
    risky = await review(client, repo.path)
    assert risky.artifacts["json"].startswith(f"s3://{BUCKET}/")
    assert any((tmp_path / "fleet" / "targets").iterdir())
    assert risky.base == repo.git("rev-parse", "main").strip()
    assert risky.verdict == "request_changes"
    assert [(f.file, f.line, f.category) for f in risky.top] == [
        ("shop/money.py", eval_line(), "code-injection")
    ]
    review_json = json.loads(read_location(risky.artifacts["github_review"]))
    assert review_json["event"] == "REQUEST_CHANGES"


def test_snapshot_keeps_unchanged_files_and_rebuilds_the_tree(
    tmp_path: Path, shared: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files(
        tmp_path / "project",
        {
            "pkg/a.py": "a = 1\n",
            "pkg/b.py": "b = 2\n",
            ".gitignore": "*.env\n",
            "pkg/local.env": "TOKEN=never-uploaded\n",
        },
    )
    starter = ArtifactStore(tmp_path / "starter")
    first = take_snapshot(starter, root)
    (root / "pkg" / "b.py").write_text("b = 3\n")
    asked: list[str] = []
    for verb in ("create", "exists"):
        real = getattr(starter.backend, verb)
        monkeypatch.setattr(
            starter.backend,
            verb,
            lambda key, *data, real=real: (asked.append(key), real(key, *data))[1],
        )
    second = take_snapshot(starter, root)
    assert first != second and first.startswith(SNAPSHOT_SCHEME)
    blobs = {k for k in asked if k.startswith("snapshots/blobs/")}
    assert len(blobs) == 1, "only the changed file is checked and uploaded again"
    asked.clear()
    assert take_snapshot(starter, root) == second
    assert asked == [snapshot_key(second.split(":")[1])], "an unchanged tree: one question"

    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "worker"))
    tree = local_target(second)
    assert tree.is_relative_to(tmp_path / "worker")
    assert (tree / "pkg" / "b.py").read_text() == "b = 3\n"
    assert (tree / "pkg" / "local.env").read_bytes() == b"", "a gitignored file: its name only"
    assert local_target(f"{second}/pkg/a.py") == tree / "pkg" / "a.py"


@needs_setpriv
async def test_two_workers_one_killed_report_equals_one_machine(
    client: Client,
    cli_env: dict[str, str],
    shared: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = tmp_path / "starter-only"
    corpus = make_corpus(closed / "corpus")
    closed.chmod(0)
    probe = corpus / "pkg00" / "mod000.py"
    denied = subprocess.run(
        [*unprivileged(), sys.executable, "-c", f"open({str(probe)!r})"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert denied.returncode != 0 and "PermissionError" in denied.stderr, denied.stderr

    homes = [tmp_path / f"worker-{n}" for n in (1, 2)]
    env = {**cli_env, **shared}
    workers = [start_worker(env, home, unprivileged()) for home in homes]
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "starter"))
    flow = registry().flows["security-audit"]
    request = AuditRequest(target=str(corpus), **PARAMS)
    try:
        handle = await runner.start_workflow(client, flow, request)
        busy = await until(lambda: busy_worker(handle), "a worker in the middle of a batch")
        doomed = next(w for w in workers if busy.startswith(f"attune-worker-{w.pid}@"))
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        result = await client.get_workflow_handle(handle.id, result_type=AuditResult).result()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
        closed.chmod(0o700)

    events = [event async for event in handle.fetch_history_events()]
    retried = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.attempt > 1
    ]
    assert retried, "the killed worker's batch ran again on the other worker"
    assert all(not a.identity.startswith(f"attune-worker-{doomed.pid}@") for a in retried)
    assert all(any((home / "targets").iterdir()) for home in homes), "both read the snapshot"
    assert result.artifacts["json"].startswith(f"s3://{BUCKET}/attune/runs/{handle.id}/")
    fleet = load_report(result)
    assert fleet["target"].startswith(SNAPSHOT_SCHEME)
    assert shown_target(fleet["target"]) == str(corpus)

    monkeypatch.delenv("ATTUNE_ARTIFACTS")
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "single"))
    async with running_worker(client):
        single = await (await runner.start_workflow(client, flow, request)).result()
    alone = load_report(single)
    assert alone["target"] == str(corpus)
    assert comparable(fleet) == comparable(alone)
    sarif = [json.loads(read_location(r.artifacts["sarif"]))["runs"][0] for r in (result, single)]
    for part in ("originalUriBaseIds", "results", "tool"):
        assert sarif[0][part] == sarif[1][part], part
    assert fleet["findings"], "the audit found what the corpus holds"
