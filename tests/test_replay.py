"""Saved histories must replay against today's workflow code: determinism guard.

Record a new history with `python -m tests.record_histories` when a workflow
gains behaviour (behind `workflow.patched`), and keep the old ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import plugins
from workflows.registry import registry
from workflows.wire import AGENT, PROJECT_MEMORY, ROUTER, TEAM, TIER_ESCALATION

BUILDING_BLOCKS = (TIER_ESCALATION, TEAM, AGENT, PROJECT_MEMORY, ROUTER)

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))


def started(path: Path) -> dict:
    events = json.loads(path.read_text())["events"]
    return events[0]["workflowExecutionStartedEventAttributes"]


def workflow_type(path: Path) -> str:
    return started(path)["workflowType"]["name"]


def test_every_workflow_type_has_a_saved_history() -> None:
    """Every built flow, its team agent, and every building block."""
    saved = {workflow_type(path) for path in SAVED}
    flows = registry().built()
    registered = {
        *(flow.workflow_type for flow in flows),
        *(flow.team.agent for flow in flows if flow.team),
        *BUILDING_BLOCKS,
    }
    assert registered <= saved, registered - saved


@pytest.mark.parametrize("path", SAVED, ids=[p.stem for p in SAVED])
async def test_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(started(path)["workflowId"], path.read_text())
    replayer = Replayer(workflows=[], plugins=plugins(None), data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
