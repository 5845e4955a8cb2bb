"""Real repositories are full of files no flow expects: each case here is one that broke, or
could break, a run on a real project. Every built flow runs on a repository holding all of
them at once, and on an empty repository and a shallow clone: one bad file is a recorded
skip or warning, never a failed run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from activities.discovery import discover_files
from activities.sources import LFS_POINTER, decode_source
from starter import runner
from tests.record_histories import approve_when_asked, family, request_on
from tests.release.conftest import Repo, make_repo
from worker import running_worker
from workflows.registry import registry

LFS_TEXT = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)
# Pynguin searches (then mutates) for as long as it is let, a minute each by default: here it
# only has to cope with the repository's files, which a short search proves as well.
SHORT_SEARCH = {"test-generation": {"pynguin_budget_s": 3}}
# A run that did its work: release-prep's result carries the person's decision instead.
FINISHED = {"completed", "approved"}
# The project's own configuration, each file unparsable: a warning or a skip at most.
BROKEN_CONFIG = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = 1.0.0\n',
    "setup.cfg": "[metadata\nname = demo\n",
    "tox.ini": "[tox\nenvlist = py3\n",
    "pytest.ini": "[pytest\naddopts = -q\n",
    "mypy.ini": "[mypy\nstrict = True\n",
    "pyrightconfig.json": '{"include": [\n',
    ".pre-commit-config.yaml": "repos: [\n",
    "requirements.txt": "requests>=\n--index-url\n",
    "package.json": '{"name": "demo",\n',
}
# The skips every file-reading flow must record, by path.
EXPECTED_SKIPS = {
    "demo/nul.py": "binary",
    "demo/model_weights.py": LFS_POINTER,
    "demo/missing_link.py": "broken symlink",
}


def pathological_repo(root: Path) -> Repo:
    """A small real project (tagged, with tests) plus, in its last commit, a file of each
    kind that real repositories hold, a submodule, and configuration no parser accepts."""
    library = Repo(root / "library")
    library.path.mkdir(parents=True)
    library.git("init", "-q", "-b", "main")
    library.write("lib.py", "def helper():\n    return 1\n")
    library.commit("library")
    repo = make_repo(root / "project")
    repo.write("tests/data/invalid_gitignore_tests/.gitignore", "!\n*.log\n")
    repo.write("tests/data/invalid_gitignore_tests/case.py", "value = 1\n")
    (repo.path / "demo" / "nul.py").write_bytes(b"x = 1\x00\n")
    repo.write("demo/model_weights.py", LFS_TEXT)
    repo.write("demo/py2_era.py", 'print "hello"\n')
    (repo.path / "demo" / "latin1.py").write_bytes(b'# -*- coding: latin-1 -*-\nNAME = "caf\xe9"\n')
    repo.write("demo/name with space.py", "SPACE = 1\n")
    repo.write("demo/new\nline.py", "NEWLINE = 1\n")
    repo.write("demo/Case.py", "UPPER = 1\n")
    os.symlink("missing.py", repo.path / "demo" / "missing_link.py")
    repo.write("demo/huge_generated.py", "DATA = [\n" + "    1,\n" * 300_000 + "]\n")
    allow_file = ("-c", "protocol.file.allow=always")
    repo.git(*allow_file, "submodule", "add", "-q", "../library", "vendor_lib")
    for name, text in BROKEN_CONFIG.items():
        repo.write(name, text)
    repo.commit("fix: add the awkward files")
    return repo


def built_flows() -> list[Any]:
    return [flow for flow in registry().built() if flow.listed]


async def run_flow(client: Client, flow: Any, target: Path) -> tuple[str, Any]:
    """The flow's result, or the one-line refusal a person would see before any start."""
    try:
        request = request_on(flow, target)
        if flow.name in SHORT_SEARCH:
            request = request.model_copy(update=SHORT_SEARCH[flow.name])
        flow.check(request)
    except ValueError as err:
        assert "\n" not in str(err).strip(), f"{flow.name}: a refusal is one line: {err}"
        return "refused", str(err)
    handle = await runner.start_workflow(client, flow, request)
    return "ran", await approve_when_asked(client, handle)


async def attempts(client: Client, workflow_id: str) -> dict[str, int]:
    """The highest attempt of each activity type in a run and its children."""
    highest: dict[str, int] = {}
    for member in await family(client, workflow_id):
        history = await client.get_workflow_handle(member).fetch_history()
        names = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                scheduled = event.activity_task_scheduled_event_attributes
                names[event.event_id] = scheduled.activity_type.name
            if event.HasField("activity_task_started_event_attributes"):
                started = event.activity_task_started_event_attributes
                name = names[started.scheduled_event_id]
                highest[name] = max(highest.get(name, 0), started.attempt)
    return highest


def reports_of(result: Any) -> list[dict[str, Any]]:
    artifacts = getattr(result, "artifacts", None) or {}
    path = artifacts.get("json") if isinstance(artifacts, dict) else None
    return [json.loads(Path(path).read_text())] if path else []


async def test_every_flow_completes_on_a_repository_of_awkward_files(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = pathological_repo(tmp_path)
    flows = built_flows()
    async with running_worker(client):
        outcomes = await asyncio.gather(*(run_flow(client, f, repo.path) for f in flows))
    for flow, (kind, result) in zip(flows, outcomes, strict=True):
        assert kind == "ran", f"{flow.name} refused a valid repository: {result}"
        assert getattr(result, "status", "completed") in FINISHED, (flow.name, result)
        highest = await attempts(client, result.workflow_id)
        assert not {k: v for k, v in highest.items() if v > 1}, (flow.name, highest)
        for report in reports_of(result):
            assert {"skipped", "warnings"} <= set(report), (flow.name, sorted(report))
            skipped = {s["path"]: s["reason"] for s in report["skipped"]}
            if not any(path.endswith(".py") for path in skipped):
                continue  # reads no source files of its own (pr-review's view, dependencies)
            for path, reason in EXPECTED_SKIPS.items():
                assert skipped.get(path) == reason, (flow.name, path, skipped)
            assert skipped.get("vendor_lib/") == "git submodule", (flow.name, skipped)
            latin1 = skipped.get("demo/latin1.py", "")
            assert "UTF-8" not in latin1, f"{flow.name}: a declared encoding is honoured"
            warnings = {(w.get("file"), w.get("line")) for w in report["warnings"]}
            assert ("tests/data/invalid_gitignore_tests/.gitignore", 1) in warnings, flow.name


async def test_an_empty_repository_and_a_shallow_clone_never_fail_a_run(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    origin = make_repo(tmp_path / "origin")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", origin.path.as_uri(), str(shallow)], check=True
    )
    assert (shallow / ".git" / "shallow").exists()
    flows = built_flows()
    targets = [empty, shallow]
    async with running_worker(client):
        outcomes = await asyncio.gather(
            *(run_flow(client, f, target) for target in targets for f in flows)
        )
    labels = [(target.name, f.name) for target in targets for f in flows]
    for label, (kind, result) in zip(labels, outcomes, strict=True):
        if kind == "refused":
            assert result, label
            continue
        assert getattr(result, "status", "completed") in FINISHED, (label, result)


def test_unreadable_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    """Root reads any file: the check runs as root without the capabilities that
    override file permissions, so mode 000 means what it says. Elsewhere it runs as is."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is None:
        pytest.skip("as root, setpriv is needed to drop the permission override")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.py").write_text("x = 1\n")
    (tree / "secret.py").write_text("y = 2\n")
    (tree / "secret.py").chmod(0)
    (tree / "closed").mkdir()
    (tree / "closed" / "inner.py").write_text("z = 3\n")
    (tree / "closed").chmod(0)
    code = (
        "import json, sys; from pathlib import Path;"
        "from activities.discovery import discover_files;"
        "from activities.sources import read_source;"
        "found = discover_files(Path(sys.argv[1]), 10_000);"
        "print(json.dumps({'files': found.files,"
        " 'skipped': {s.path: s.reason for s in found.skipped},"
        " 'secret': read_source(Path(sys.argv[1]) / 'secret.py')[1]}))"
    )
    repo_root = Path(__file__).resolve().parent.parent
    drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [*drop, sys.executable, "-c", code, str(tree)],
        capture_output=True, text=True, cwd=repo_root, check=False,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["files"] == ["ok.py", "secret.py"]
    assert seen["skipped"] == {"closed/": "Permission denied"}
    assert seen["secret"] == "unreadable: Permission denied"


def test_source_is_read_as_python_reads_it() -> None:
    latin = b'# coding: latin-1\nA = "\xe9"\n'
    assert decode_source(latin) == ('# coding: latin-1\nA = "é"\n', None)
    assert decode_source(b"\xef\xbb\xbfA = 1\n") == ("A = 1\n", None)
    assert decode_source(b'A = "\xe9"\n') == (None, "not UTF-8")
    assert decode_source(b"# coding: no-such-codec\n") == (
        None,
        "undecodable: unknown encoding: no-such-codec",
    )
    assert decode_source(LFS_TEXT.encode()) == (None, LFS_POINTER)
    assert decode_source(b"A = 1\x00") == (None, "binary")


def test_discovery_keeps_odd_names_and_leaves_out_submodules(tmp_path: Path) -> None:
    repo = pathological_repo(tmp_path)
    found = discover_files(repo.path, 1_000_000)
    assert "demo/new\nline.py" in found.files and "demo/name with space.py" in found.files
    assert not any(f.startswith("vendor_lib/") for f in found.files)
    assert {s.path: s.reason for s in found.skipped}["demo/huge_generated.py"] == "too large"
