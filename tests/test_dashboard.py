"""The dashboard against the session dev server: a release-prep that waits for its
approval, and signals sent to it, must show up with their ids, times and payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from temporalio.client import Client

from starter import dashboard, runner
from tests.release.conftest import make_repo
from tests.waiting import until
from worker import running_worker
from workflows.registry import registry
from workflows.release_prep.models import ReleasePrepRequest
from workflows.schemas import ApprovalDecision, EscalateSignal
from workflows.wire import ESCALATE_SIGNAL, REJECT_SIGNAL


async def pending(client: Client, workflow_id: str) -> None:
    await until(lambda: runner.pending_approvals(client, workflow_id), "an approval request")


async def settled(
    client: Client, check: Callable[[dashboard.Dashboard], bool]
) -> dashboard.Dashboard:
    """Visibility is eventually consistent: poll until the snapshot shows it."""

    async def shown() -> dashboard.Dashboard | None:
        shot = await dashboard.snapshot(client)
        return shot if check(shot) else None

    return await until(shown, "the dashboard showing it")


async def test_pending_approval_and_recent_signals(client: Client, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "demo")
    before = datetime.now(UTC) - timedelta(seconds=1)
    async with running_worker(client):
        handle = await runner.start_workflow(
            client, registry().flows["release-prep"], ReleasePrepRequest(target=str(repo.path))
        )
        await pending(client, handle.id)
        await handle.signal(ESCALATE_SIGNAL, EscalateSignal(reason="dashboard test"))

        def waits_and_signalled(shot: dashboard.Dashboard) -> bool:
            waiting = any(w.workflow_id == handle.id for w in shot.approvals)
            return waiting and any(s.workflow_id == handle.id for s in shot.signals)

        shot = await settled(client, waits_and_signalled)
        (wait,) = [w for w in shot.approvals if w.workflow_id == handle.id]
        (approval,) = wait.approvals
        assert (wait.type, approval.workflow_id) == ("release-prep", handle.id)
        assert approval.what == f"release of {repo.path}"
        assert any(
            a.workflow_id == handle.id and a.stage == "awaiting-approval" for a in shot.active
        )
        (signal,) = [s for s in shot.signals if s.workflow_id == handle.id]
        assert signal.signal == ESCALATE_SIGNAL
        assert signal.input == {"to": None, "reason": "dashboard test"}
        assert before <= signal.at <= datetime.now(UTC)

        console = Console(record=True, width=200)
        dashboard.render(shot, console)
        text = console.export_text()
        assert handle.id in text and "approval" in text and "escalate" in text

        await handle.signal(REJECT_SIGNAL, ApprovalDecision(reviewer="ann", reason="not yet"))
        await handle.result()

    def decided(shot: dashboard.Dashboard) -> bool:
        return not any(w.workflow_id == handle.id for w in shot.approvals) and any(
            s.workflow_id == handle.id and s.signal == REJECT_SIGNAL for s in shot.signals
        )

    shot = await settled(client, decided)
    latest = [s for s in shot.signals if s.workflow_id == handle.id]
    assert [s.signal for s in latest] == [REJECT_SIGNAL, ESCALATE_SIGNAL]
    assert latest[0].input["reviewer"] == "ann"
    assert not any(a.workflow_id == handle.id for a in shot.active)
