"""Failures the real-world sweep (benchmarks/realworld.py) found in released projects,
each pinned by the smallest input that reproduced it."""

from __future__ import annotations

import ast
import asyncio
import shutil
import textwrap
import warnings
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError

from activities.document_gen.reference import Package, markdown_reference
from activities.test_generation.keep import ModuleState
from activities.test_generation.llm_loop import uncovered_segments
from starter import runner
from tests.record_histories import approve_when_asked, request_on
from tests.release.conftest import make_repo
from tests.test_realworld_cases import attempts, built_flows
from worker import running_worker, scan_pool
from workflows.test_generation.models import ModuleSpec

SINGLEDISPATCH = textwrap.dedent(
    """\
    from functools import singledispatch


    @singledispatch
    def to_text(obj):
        raise TypeError(obj)


    @to_text.register(int)
    def _(obj):
        return str(obj)


    @to_text.register(list)
    def _(obj):
        return ",".join(map(str, obj))
    """
)


def test_functions_sharing_a_name_are_separate_segments() -> None:
    """flutils.namedtupleutils registers several `_`: one prompt artifact and one child
    workflow id per name made the second prompt overwrite the first (a checksum error)."""
    state = ModuleState(spec=ModuleSpec(module="conv", file="conv.py"), body_lines=[6, 11, 16])
    names = [segment.name for segment in uncovered_segments(SINGLEDISPATCH, state)]
    assert sorted(names) == ["_ (line 10)", "_ (line 15)", "to_text"]


def causes(err: BaseException) -> list[str]:
    found = []
    current: BaseException | None = err
    while current is not None:
        found.append(str(current))
        current = current.__cause__
    return found


async def test_a_target_that_no_longer_exists_fails_every_flow_once(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted between the CLI's check and the worker: no flow retries what cannot
    succeed, and the cause reaches the person."""
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    gone = make_repo(tmp_path / "gone").path
    flows = built_flows()
    requests = [request_on(flow, gone) for flow in flows]
    shutil.rmtree(gone)
    async with running_worker(client):
        handles = [
            await runner.start_workflow(client, flow, request)
            for flow, request in zip(flows, requests, strict=True)
        ]
        outcomes = await asyncio.gather(
            *(approve_when_asked(client, h) for h in handles), return_exceptions=True
        )
    for flow, handle, outcome in zip(flows, handles, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, WorkflowFailureError), (flow.name, outcome)
            said = " / ".join(causes(outcome))
        else:  # a team records its agents' failures and finishes
            assert hasattr(outcome, "agents"), (flow.name, outcome)
            said = outcome.model_dump_json()
        assert "does not exist" in said, (flow.name, said)
        retried = {k: v for k, v in (await attempts(client, handle.id)).items() if v > 1}
        assert not retried, (flow.name, retried)


def test_griffe_on_a_module_of_broken_syntax_warns_in_the_report(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """black keeps test data of invalid syntax inside its package: griffe logged each such
    module with its traceback on the worker's stderr (19 in the sweep)."""
    (tmp_path / "async_as_identifier.py").write_text("def async(:\n")
    found = [Package(name="async_as_identifier", root=str(tmp_path))]
    outcome = markdown_reference(found, "google", tmp_path / "md")
    [warning] = outcome.warnings
    assert warning.code == "reference-markdown" and "Syntax error" in warning.message
    assert "Traceback" not in capfd.readouterr().err


def syntax_warnings_of(source: str) -> list[str]:
    """What compiling `source` warns, under the filters of the process that runs it."""
    with warnings.catch_warnings(record=True) as caught:
        ast.parse(source)
    return [str(w.message) for w in caught]


def test_the_worker_says_nothing_about_a_users_odd_strings() -> None:
    """CPython's own test data holds invalid escape sequences: each parse of such a file
    printed a SyntaxWarning on the worker's stderr (16 lines in one sweep)."""
    source = 'PATTERN = "\\{"\n'
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert syntax_warnings_of(source), "the case warns where nothing filters it"
    with scan_pool(1) as pool:
        assert pool.submit(syntax_warnings_of, source).result() == []
