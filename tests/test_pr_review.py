"""pr-review end to end: a real git repository made here, real engines, real Temporal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.code_facts.diff import change_set
from activities.pr_review.change import BadRevision, check_revisions, checkout
from activities.pr_review.review import anchor, github_review, on_changed_lines, verdict
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.release.conftest import Repo
from tests.test_cli import attune
from tests.test_llm_audit import answer_everything
from worker import running_worker
from workflows.pr_review.models import PrReviewRequest, PrReviewResult
from workflows.registry import registry
from workflows.schemas import AgentResult, Finding, FlowStep

FLOW = registry().get("pr-review")
BASE_CODE = '''"""Money helpers."""


def total(prices):
    """Sum of the prices."""
    return sum(prices)
'''
EVAL_CODE = (
    BASE_CODE
    + '''

def ask():
    """Read an expression from the user and evaluate it."""
    return eval(input())
'''
)
CLEAN_CODE = (
    BASE_CODE
    + '''

def mean(prices):
    """Average price, 0 for none."""
    return sum(prices) / len(prices) if prices else 0
'''
)
UNCHANGED_BUG = '''"""Old code with an old bug, untouched by the change."""


def collect(item, bucket=[]):
    bucket.append(item)
    return bucket
'''


def make_repo(path: Path) -> Repo:
    """main: money.py and legacy.py (with a mutable default nobody changes); then two
    branches off main, `risky` (adds eval(input())) and `clean` (adds a mean)."""
    repo = Repo(path)
    path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("shop/money.py", BASE_CODE)
    repo.write("shop/legacy.py", UNCHANGED_BUG)
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "risky")
    repo.write("shop/money.py", EVAL_CODE)
    repo.commit("ask the user")
    repo.git("checkout", "-q", "-b", "clean", "main")
    repo.write("shop/money.py", CLEAN_CODE)
    repo.commit("mean price")
    return repo


def eval_line() -> int:
    return EVAL_CODE.splitlines().index("    return eval(input())") + 1


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "shop-repo")


async def review(client: Client, target: Path, **params: str) -> PrReviewResult:
    assert FLOW is not None
    request = PrReviewRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, FLOW, request)
        return await handle.result()


async def test_a_change_adding_eval_input_is_sent_back_and_a_clean_one_approved(
    client: Client, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo.git("checkout", "-q", "risky")
    risky = await review(client, repo.path)
    assert risky.base_ref == "merge-base of HEAD with main"
    assert risky.base == repo.git("rev-parse", "main").strip()
    assert set(risky.agents) == {"security-audit", "bug-predict", "code-review"}
    assert all(a.status == "ok" for a in risky.agents.values())
    assert risky.agents["bug-predict"].summary.startswith("0 bug patterns"), (
        "the agents read the changed files alone, not legacy.py"
    )
    assert risky.verdict == "request_changes"
    assert risky.files_changed == 1
    assert {f.file for f in risky.top} == {"shop/money.py"}, "legacy.py's bug is not the PR's"
    assert [(f.line, f.category) for f in risky.top] == [(eval_line(), "code-injection")]
    review_json = json.loads(Path(risky.artifacts["github_review"]).read_text())
    assert review_json["event"] == "REQUEST_CHANGES"
    assert {c["path"] for c in review_json["comments"]} == {"shop/money.py"}
    assert eval_line() in {c["line"] for c in review_json["comments"]}
    assert all(c["side"] == "RIGHT" for c in review_json["comments"])
    report = json.loads(Path(risky.artifacts["json"]).read_text())
    assert report["verdict"] == "request_changes"
    assert report["verdict_reasons"] == risky.verdict_reasons
    assert f"money.py:{eval_line()}" in report["verdict_reasons"][0]
    assert report["change"]["materialised"] is False
    assert json.loads(Path(risky.artifacts["sarif"]).read_text())["version"] == "2.1.0"
    assert "Verdict: **request_changes**" in Path(risky.artifacts["markdown"]).read_text()

    repo.git("checkout", "-q", "clean")
    clean = await review(client, repo.path)
    assert clean.verdict == "approve", clean.verdict_reasons
    assert clean.summary.findings_total == 0
    approved = json.loads(Path(clean.artifacts["github_review"]).read_text())
    assert approved["event"] == "APPROVE" and approved["comments"] == []


async def test_claude_triages_the_changed_lines_once_and_a_false_alarm_does_not_block(
    client: Client,
    repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_anthropic: FakeAnthropic,
) -> None:
    """The reviewers run without LLM stages; pr-review triages what is on changed lines.
    The fake judges the first finding of a prompt a false positive: here, eval(input())."""
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    answer_everything(fake_anthropic)
    repo.git("checkout", "-q", "risky")
    risky = await review(client, repo.path)
    systems = [m.body["system"][0]["text"] for m in fake_anthropic.messages]
    assert len(systems) == 1 and " of pr-review" in systems[0], "one triage, by pr-review"
    report = json.loads(Path(risky.artifacts["json"]).read_text())
    assert report["llm"]["status"] == "ok" and report["llm"]["calls_by_tier"] == {"haiku": 1}
    judged = report["findings"][0]
    assert (judged["line"], judged["llm"]["verdict"]) == (eval_line(), "false_positive")
    assert risky.verdict == "comment", risky.verdict_reasons
    assert risky.usage is not None and risky.usage.cost_usd > 0


async def test_head_other_than_the_working_tree_is_read_from_its_own_files(
    client: Client, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clean branch is checked out, with an uncommitted edit; the risky branch is
    reviewed from a copy of its tree, and the working tree is left as it was."""
    home = tmp_path / "home"
    monkeypatch.setenv("ATTUNE_HOME", str(home))
    repo.git("checkout", "-q", "clean")
    repo.write("shop/money.py", CLEAN_CODE + "\n# an edit in progress\n")
    before = repo.git("status", "--porcelain")
    result = await review(client, repo.path / "shop", base="main", head="risky")
    assert result.verdict == "request_changes"
    assert any(f.file == "money.py" and f.line == eval_line() for f in result.top)
    comments = json.loads(Path(result.artifacts["github_review"]).read_text())["comments"]
    assert "shop/money.py" in {c["path"] for c in comments}, "paths are repository-relative"
    report = json.loads(Path(result.artifacts["json"]).read_text())
    sha = repo.git("rev-parse", "risky").strip()
    assert report["change"]["materialised"] is True
    assert {
        "code": "head-materialised",
        "message": f"head {sha[:12]} is not the checked-out "
        f"commit {repo.git('rev-parse', 'HEAD').strip()[:12]}",
    } in report["warnings"]
    assert report["change"]["analysed"] == str(home / "trees" / sha / "shop")
    assert repo.git("status", "--porcelain") == before
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "clean"
    assert "eval" not in (repo.path / "shop/money.py").read_text()


def test_checkout_reuses_the_tree_of_a_sha_and_reads_a_dirty_tree_from_head(
    repo: Repo, tmp_path: Path
) -> None:
    repo.git("checkout", "-q", "risky")
    sha = repo.git("rev-parse", "HEAD").strip()
    assert checkout(repo.path, sha, tmp_path / "cache").materialised is False
    repo.write("shop/money.py", BASE_CODE)
    first = checkout(repo.path, sha, tmp_path / "cache")
    assert first.materialised and "uncommitted" in first.why
    assert "eval(input())" in (first.tree / "shop/money.py").read_text()
    marker = first.tree / "marker"
    marker.write_text("kept")
    assert checkout(repo.path, sha, tmp_path / "cache").tree == first.tree
    assert marker.exists(), "a sha's tree is extracted once and reused"


def test_default_base_and_bad_revisions_are_refused_in_one_line(repo: Repo) -> None:
    repo.git("checkout", "-q", "risky")
    check_revisions(repo.path, None, "HEAD")
    with pytest.raises(BadRevision, match="does not know the revision 'nope'"):
        check_revisions(repo.path, "nope", "HEAD")
    repo.git("checkout", "-q", "main")
    with pytest.raises(BadRevision, match="no default branch") as refused:
        check_revisions(repo.path, None, "HEAD")
    assert "\n" not in str(refused.value)


def finding(severity: str, confidence: str, line: int, end_line: int | None = None) -> Finding:
    return Finding(
        rule_id="X1",
        tool="t",
        category="bug",
        severity=severity,
        confidence=confidence,
        file="a.py",
        line=line,
        end_line=end_line,
        message="Something is wrong here.",
        fingerprint=f"{severity}-{line}",
    )


def test_verdict_policy_and_the_github_review_shape(repo: Repo) -> None:
    change = change_set(repo.path, "main", "risky").model_copy(deep=True)
    change.files[0].file = "a.py"
    changed = change.files[0].lines
    ok = {"bugs": AgentResult(role="bugs", status="ok", summary="fine")}
    outside = finding("critical", "high", 1)
    assert anchor(outside, {"a.py": set(changed)}) is None
    spanning = finding("low", "high", 1, end_line=changed[0])
    assert anchor(spanning, {"a.py": set(changed)}) == changed[0]

    assert verdict(on_changed_lines([("s", outside)], change), ok)[0] == "approve"
    low = on_changed_lines([("s", finding("low", "high", changed[0]))], change)
    assert verdict(low, ok)[0] == "comment"
    weak = on_changed_lines([("s", finding("high", "low", changed[0]))], change)
    assert verdict(weak, ok)[0] == "comment"
    traced = finding("high", "low", changed[0]).model_copy(
        update={"flow": [FlowStep(kind="sink", file="a.py", line=changed[0], note="eval")]}
    )
    assert verdict(on_changed_lines([("s", traced)], change), ok)[0] == "request_changes"
    strong = on_changed_lines([("s", finding("high", "medium", changed[-1]))], change)
    chosen, reasons = verdict(strong, ok)
    assert chosen == "request_changes" and "high X1" in reasons[0]
    twice = [("s", finding("low", "high", n)) for n in changed[:2]]
    (reason,) = verdict(on_changed_lines(twice, change), ok)[1]
    assert reason.startswith(f"low X1 (high confidence, s) at 2 changed lines: a.py:{changed[0]}")
    failed = {"bugs": AgentResult(role="bugs", status="failed", summary="boom")}
    chosen, reasons = verdict([], failed)
    assert chosen == "comment" and "bugs did not finish (failed): boom" in reasons

    review_json = github_review(chosen, reasons, strong, "pkg/")
    assert set(review_json) == {"event", "body", "comments"}
    assert review_json["event"] == "COMMENT"
    assert review_json["comments"] == [
        {
            "path": "pkg/a.py",
            "line": changed[-1],
            "side": "RIGHT",
            "body": review_json["comments"][0]["body"],
        }
    ]
    assert "X1" in review_json["comments"][0]["body"]


def test_suppressed_and_accepted_findings_move_no_verdict_and_get_no_comment(repo: Repo) -> None:
    change = change_set(repo.path, "main", "risky").model_copy(deep=True)
    change.files[0].file = "a.py"
    line = change.files[0].lines[-1]
    ok = {"bugs": AgentResult(role="bugs", status="ok", summary="fine")}
    quiet = [
        finding("critical", "high", line).model_copy(update={"suppressed": "inline: # nosec"}),
        finding("high", "high", line).model_copy(
            update={"accepted_risk": "legacy", "fingerprint": "accepted"}
        ),
    ]
    kept = on_changed_lines([("security", f) for f in quiet], change)
    assert len(kept) == 2  # still on the changed line, and so in the report
    chosen, reasons = verdict(kept, ok)
    assert chosen == "approve"
    assert github_review(chosen, reasons, kept, "")["comments"] == []
    # An open finding beside them still blocks.
    kept = on_changed_lines(
        [("security", f) for f in [*quiet, finding("high", "high", line)]], change
    )
    assert verdict(kept, ok)[0] == "request_changes"
    assert len(github_review("request_changes", [], kept, "")["comments"]) == 1


def test_mcp_workflow_run_refuses_an_unknown_revision_before_starting(repo: Repo) -> None:
    from mcp.server.mcpserver.exceptions import ToolError

    from starter.mcp_server import request_for

    assert FLOW is not None
    roots = [repo.path.parent]
    with pytest.raises(ToolError, match="does not know the revision 'nope'"):
        request_for(FLOW, str(repo.path), {"base": "nope"}, roots)
    request = request_for(FLOW, str(repo.path), {"base": "main", "head": "risky"}, roots)
    assert (request.base, request.head) == ("main", "risky")


def test_cli_fail_on_refusals_and_exit_3(cli_env: dict[str, str], tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "cli-repo")
    repo.git("checkout", "-q", "risky")
    target = str(repo.path)
    unknown = attune(cli_env, "workflow", "run", "pr-review", target, "--param", "base=nope")
    assert unknown.returncode == 2
    assert "does not know the revision 'nope'" in unknown.stderr
    assert "started" not in unknown.stderr
    bad_gate = attune(cli_env, "workflow", "run", "pr-review", target, "--fail-on", "high")
    assert bad_gate.returncode == 2 and "comment, request_changes" in bad_gate.stderr

    gated = attune(cli_env, "workflow", "run", "pr-review", target, "--fail-on", "request_changes")
    assert gated.returncode == 3, gated.stderr
    assert "verdict: request_changes" in gated.stdout
    repo.git("checkout", "-q", "clean")
    passed = attune(
        cli_env, "workflow", "run", "pr-review", target, "--param", "base=main", "--fail-on",
        "comment",
    )  # fmt: skip
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "verdict: approve" in passed.stdout

    repo.git("checkout", "-q", "main")
    no_base = attune(cli_env, "workflow", "run", "pr-review", target)
    assert no_base.returncode == 2 and "no default branch" in no_base.stderr
