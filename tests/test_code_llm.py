"""The shared LLM stage of the code-intelligence flows: its prompt planning on its own, then
bug-predict, performance-audit and refactor-plan end to end against the loopback fake Messages API
(without a key, with answers, with an API error). Costs as in tests/test_llm_audit.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore
from activities.llm.findings import (
    EXPLAIN_BATCH,
    FINDINGS,
    FindingsLLMActivities,
    explanation_groups,
    triage_system,
)
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.sarif_validator import validate
from tests.test_bug_predict import GitRepo
from tests.test_llm_audit import HAIKU_COST, SONNET_COST, answer_everything
from tests.test_performance_audit import slow_tree
from worker import running_worker
from workflows.llm_findings_models import FindingsLLMRequest
from workflows.registry import registry
from workflows.schemas import EscalationState, Finding
from workflows.tiers import start_tier
from workflows.wire import ATTUNE_TIER

BUGGY = {
    "app/cart.py": textwrap.dedent(
        """
        def add(item, items=[]):
            items.append(item)
            return items


        def kind(x):
            return x is "text"
        """
    ),
    "app/tags.py": "def tag(name, seen={}):\n    seen[name] = True\n    return seen\n",
}


def buggy_repo(path: Path) -> Path:
    repo = GitRepo(path)
    repo.commit("initial import", BUGGY)
    return repo.path


def reviewed_repo(path: Path) -> Path:
    """BUGGY and a module with two review findings of its own (B011, F841)."""
    repo = GitRepo(path)
    checks = "def check(total):\n    unused = total * 2\n    assert False, total\n"
    repo.commit("initial import", {**BUGGY, "app/checks.py": checks})
    return repo.path


TARGETS = {
    "bug-predict": buggy_repo,
    "code-review": reviewed_repo,
    "performance-audit": lambda path: slow_tree(path),
    "refactor-plan": buggy_repo,
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


async def run_flow(client: Client, flow: str, target: Path, **params: Any):
    entry = registry().flows[flow]
    assert entry.request is not None
    async with running_worker(client):
        handle = await runner.start_workflow(
            client, entry, entry.request(target=str(target), **params)
        )
        return handle, await handle.result()


def report_of(result: Any) -> dict[str, Any]:
    return json.loads(Path(result.artifacts["json"]).read_text())


# --------------------------------------------------------------------------- planning


def finding(rule: str, file: str, line: int, severity: str = "medium") -> Finding:
    return Finding(
        rule_id=rule,
        tool="attune",
        category="bug",
        severity=severity,  # type: ignore[arg-type]
        confidence="high",
        file=file,
        line=line,
        message=f"{rule} here",
        fingerprint=f"{rule}-{file}-{line}",
    )


def test_system_prompts_say_what_real_means_per_flow() -> None:
    assert "mutable default" in triage_system("bug-predict")
    assert "event loop" in triage_system("performance-audit")
    assert "review comments" in triage_system("code-review")
    generic = triage_system("some-new-flow")
    assert generic.startswith("You triage findings of a static analysis")
    assert '"verdicts"' in generic, "the output schema is part of the cached prefix"


def test_explanation_groups_one_rule_at_most_a_batch() -> None:
    many = [finding("R1", f"m{n}.py", 1) for n in range(EXPLAIN_BATCH + 1)]
    groups = explanation_groups([finding("R2", "a.py", 3), *many])
    assert [len(g) for g in groups] == [EXPLAIN_BATCH, 1, 1]
    assert [g[0].rule_id for g in groups] == ["R1", "R1", "R2"]


async def test_only_a_rule_across_modules_goes_to_opus(tmp_path: Path) -> None:
    """Triage on Haiku; one rule in two modules on Sonnet, one in three on Opus; nothing
    triage rejected is explained."""
    (tmp_path / "src").mkdir()
    store = ArtifactStore(tmp_path / "home")
    findings = [
        finding("LOCAL", "a.py", 2),
        finding("LOCAL", "b.py", 4),
        *(finding("SPREAD", name, 1) for name in ("a.py", "b.py", "c.py")),
        finding("REJECTED", "a.py", 9),
    ]
    request = FindingsLLMRequest(
        run_key="wf/run",
        target=str(tmp_path / "src"),
        flow="bug-predict",
        findings=[store.put("runs/wf/run/findings.json", findings, FINDINGS, len(findings))],
        max_findings=50,
    )
    activities = FindingsLLMActivities(store)
    triage = await ActivityEnvironment().run(activities.plan_findings_triage, request)
    assert [(p.kind, p.findings, start_tier(p.kind, p.files_spanned)) for p in triage] == [
        ("triage", 6, "haiku")
    ]
    prompt = store.read_json(triage[0].prompt)
    assert "bug-predict" in prompt["system"] and '"REJECTED"' in prompt["user"]

    # The triage answer as a finished TierEscalation leaves it: REJECTED is a false alarm.
    verdicts = [
        {
            "fingerprint": f.fingerprint,
            "verdict": "false_positive" if f.rule_id == "REJECTED" else "true_positive",
            "rationale": "seen",
        }
        for f in findings
    ]
    answer = {"text": json.dumps({"verdicts": verdicts, "confidence": 0.9})}
    raw = store.put("runs/wf/run/llm/triage-1-1-haiku.json", answer, TypeAdapter(dict))
    request.triage = [
        EscalationState(
            task_id="triage-1",
            status="passed",
            tier="haiku",
            ceiling="opus",
            budget_usd=None,
            answer=raw,
            answer_tier="haiku",
        )
    ]
    plans = await ActivityEnvironment().run(activities.plan_findings_explanation, request)
    routed = [(p.kind, p.findings, start_tier(p.kind, p.files_spanned)) for p in plans]
    assert routed == [("explain", 2, "sonnet"), ("design", 3, "opus")]
    assert all(p.output_schema == "remediation" for p in plans)
    assert "across 3 modules" in store.read_json(plans[1].prompt)["user"]


# --------------------------------------------------------------------------- the flows


@pytest.mark.parametrize("flow", sorted(TARGETS))
async def test_without_a_key_the_stage_says_skipped(
    client: Client, tmp_path: Path, home: Path, flow: str
) -> None:
    _, result = await run_flow(client, flow, TARGETS[flow](tmp_path / "target"))
    assert {Path(p).name for p in result.artifacts.values()} == {
        "report.md",
        "report.json",
        "report.sarif",
    }
    report = report_of(result)
    assert report["status"] == "completed" and report["findings"]
    assert report["llm"] == {**report["llm"], "status": "skipped"}
    assert report["llm"]["reason"] == "ANTHROPIC_API_KEY is not set"
    assert not any(f["llm"] for f in report["findings"])
    assert result.usage is not None and result.usage.by_tier == {}
    assert "ANTHROPIC_API_KEY is not set" in Path(result.artifacts["markdown"]).read_text()


@pytest.mark.parametrize("flow", sorted(TARGETS))
async def test_haiku_triages_sonnet_explains(
    client: Client,
    tmp_path: Path,
    home: Path,
    fake_anthropic: FakeAnthropic,
    sarif_validator: Path,
    flow: str,
) -> None:
    answer_everything(fake_anthropic)
    handle, result = await run_flow(client, flow, TARGETS[flow](tmp_path / "target"))
    report = report_of(result)
    llm = report["llm"]
    assert llm["status"] == "ok", llm

    models = [m.body["model"] for m in fake_anthropic.messages]
    assert models[0] == "claude-haiku-5-5", "one triage call first"
    assert len(models) >= 2 and set(models[1:]) == {"claude-sonnet-5-5"}
    triage_system_prompt = fake_anthropic.messages[0].body["system"][0]["text"]
    assert triage_system_prompt.startswith("You triage ")
    assert f" of {flow}" in triage_system_prompt.split("\n")[0][:80]
    explained = len(models) - 1
    assert llm["calls_by_tier"] == {"haiku": 1, "sonnet": explained}
    assert llm["cost_usd"] == pytest.approx(HAIKU_COST + explained * SONNET_COST, abs=1e-12)

    findings = report["findings"]
    assert all(f["llm"] for f in findings), "every finding was triaged"
    rejected = [f for f in findings if f["llm"]["verdict"] == "false_positive"]
    assert len(rejected) == 1, "a false alarm is shown with its verdict, never dropped"
    assert rejected[0]["llm"]["remediation"] is None, "a false alarm is not explained"
    kept = [f for f in findings if f["llm"]["verdict"] == "true_positive"]
    assert kept and all(f["llm"]["remediation"] and f["llm"]["tier"] == "sonnet" for f in kept)
    assert explained == len({f["rule_id"] for f in kept}), "one explanation task per rule"
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "**false positive**" in markdown and "Remediation: Use the safe API." in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert all("llm" in r["properties"] for r in sarif["runs"][0]["results"])
    validation = validate(Path(result.artifacts["sarif"]), sarif_validator)
    assert validation.errors == [], validation.output

    desc = await handle.describe()
    assert desc.typed_search_attributes.get(ATTUNE_TIER) == "sonnet"
    usage = await desc.memo_value("usage")
    assert usage["by_tier"]["haiku"]["calls"] == 1
    assert usage["llm_tasks"] == 1 + explained
    assert usage["cost_usd"] == pytest.approx(llm["cost_usd"], abs=1e-12)
    assert result.usage.cost_usd == pytest.approx(llm["cost_usd"], abs=1e-12)


@pytest.mark.parametrize("flow", sorted(TARGETS))
async def test_an_api_error_fails_the_stage_not_the_report(
    client: Client, tmp_path: Path, home: Path, fake_anthropic: FakeAnthropic, flow: str
) -> None:
    fake_anthropic.error(401, "authentication_error", "invalid x-api-key")
    _, result = await run_flow(client, flow, TARGETS[flow](tmp_path / "target"))
    assert result.status == "completed"
    report = report_of(result)
    assert report["llm"]["status"] == "failed"
    assert "invalid x-api-key" in report["llm"]["reason"]
    assert report["findings"] and not any(f["llm"] for f in report["findings"])
    assert len(report["findings"]) == result.summary.findings_total
    assert len(fake_anthropic.messages) == 1, "401 is not retried"


async def test_llm_max_findings_zero_skips_without_calls(
    client: Client, tmp_path: Path, home: Path, fake_anthropic: FakeAnthropic
) -> None:
    _, result = await run_flow(
        client, "bug-predict", buggy_repo(tmp_path / "target"), llm_max_findings=0
    )
    llm = report_of(result)["llm"]
    assert (llm["status"], llm["reason"]) == ("skipped", "llm_max_findings is 0")
    assert fake_anthropic.messages == []


async def test_ceiling_and_budget_bound_the_stage(
    client: Client, tmp_path: Path, home: Path, fake_anthropic: FakeAnthropic
) -> None:
    answer_everything(fake_anthropic)
    _, capped = await run_flow(
        client, "performance-audit", slow_tree(tmp_path / "capped"), llm_ceiling="haiku"
    )
    assert report_of(capped)["llm"]["status"] == "ok"
    models = {m.body["model"] for m in fake_anthropic.messages}
    assert len(fake_anthropic.messages) >= 2 and models == {"claude-haiku-5-5"}

    calls = len(fake_anthropic.messages)
    _, broke = await run_flow(client, "bug-predict", buggy_repo(tmp_path / "broke"), max_cost_usd=0)
    llm = report_of(broke)["llm"]
    assert llm["status"] == "ok" and llm["reason"].startswith("budget $0.000000"), llm
    assert len(fake_anthropic.messages) == calls, "no call could fit a zero budget"
