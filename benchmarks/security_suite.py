"""Benchmark: attune, bandit and ruff on attune's labelled security suite, in one run.

    python benchmarks/security_suite.py [--json] [--out FILE]

The suite (benchmarks/security_suite/) is pairs of small programs per CWE: a vulnerable
case and its safe twin, the same flow with the data sanitised or the call fixed. Its
manifest names each case (a directory under cases/), its CWE, label and twin. A third of
the pairs or more carry the data through a helper function, many of them across modules
of a package.

attune runs as a user would: one security-audit workflow over the cases directory,
through Temporal (a private dev server and one worker, a temporary ATTUNE_HOME, no LLM
key), its findings read from the run's report.json; a suppressed finding or an accepted
risk does not count. bandit and ruff's S rules (`--isolated`) run on the same files. A
case counts as detected by a tool when the tool reports a finding in one of the case's
files whose CWE is in the case CWE's family (CWE_FAMILIES: 327/328, 614/1004, 79/80 and
a parent with its children are one family). ruff codes get their CWE from attune's table
of ruff's S rules; a bandit result counts under its own CWE and under its ruff twin's.

Per family: TPR (vulnerable cases detected / vulnerable cases) - FPR (safe cases detected
/ safe cases); the headline is the mean over families. The Markdown table goes to stdout
and to benchmarks/results/security_suite.md; `--json` prints the figures instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

HERE = Path(__file__).resolve().parent
SUITE = HERE / "security_suite"
CASES = SUITE / "cases"
MANIFEST = SUITE / "manifest.json"
RESULTS = HERE / "results" / "security_suite.md"
TOOLS = ("attune", "bandit", "ruff")

# A case's CWE and the CWEs that count as finding it: the pairs the issue names together,
# and a parent with the children tools report for it (95 eval injection under 94 code
# injection, 338 weak PRNG under 330, 23/36 relative/absolute traversal under 22, 77
# command injection beside 78, 776 entity expansion beside 611).
CWE_FAMILIES: tuple[frozenset[int], ...] = (
    frozenset({22, 23, 36}),
    frozenset({77, 78}),
    frozenset({79, 80}),
    frozenset({89}),
    frozenset({90}),
    frozenset({94, 95}),
    frozenset({327, 328}),
    frozenset({330, 338}),
    frozenset({501}),
    frozenset({502}),
    frozenset({601}),
    frozenset({611, 776}),
    frozenset({614, 1004}),
    frozenset({643}),
    frozenset({918}),
)
# The CWEs the suite covers, each with the family row it is scored in.
SUITE_CWES = (22, 78, 79, 89, 90, 94, 327, 328, 330, 501, 502, 601, 611, 614, 1004, 643, 918)


class SuiteCase(BaseModel):
    """One labelled case: a directory under cases/ whose files are scanned together."""

    model_config = ConfigDict(extra="forbid")

    id: str
    cwe: int
    label: Literal["vulnerable", "safe"]
    twin: str
    flow: Literal["local", "interprocedural", "cross-module"]
    description: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[SuiteCase]


class ToolFinding(BaseModel):
    """A finding reduced to what scoring needs: where (relative to cases/) and which CWE."""

    file: str
    cwe: int


class Rate(BaseModel):
    pairs: int
    tpr: float
    fpr: float

    @property
    def score(self) -> float:
        return self.tpr - self.fpr


def load_manifest(path: Path = MANIFEST) -> list[SuiteCase]:
    return Manifest.model_validate_json(path.read_text(encoding="utf-8")).cases


def family(cwe: int) -> frozenset[int]:
    for members in CWE_FAMILIES:
        if cwe in members:
            return members
    return frozenset({cwe})


def family_name(cwe: int) -> str:
    """The row a case's CWE is scored in: its family's suite CWEs, e.g. '327/328'."""
    members = sorted(c for c in family(cwe) if c in SUITE_CWES) or [cwe]
    return "/".join(str(c) for c in members)


def detected(case: SuiteCase, findings: Iterable[ToolFinding]) -> bool:
    prefix = case.id.rstrip("/") + "/"
    members = family(case.cwe)
    return any(f.file.startswith(prefix) and f.cwe in members for f in findings)


def rate(cases: list[SuiteCase], findings: list[ToolFinding]) -> Rate:
    vulnerable = [c for c in cases if c.label == "vulnerable"]
    safe = [c for c in cases if c.label == "safe"]
    hits = sum(detected(c, findings) for c in vulnerable)
    false_alarms = sum(detected(c, findings) for c in safe)
    return Rate(
        pairs=len(vulnerable),
        tpr=hits / len(vulnerable) if vulnerable else 0.0,
        fpr=false_alarms / len(safe) if safe else 0.0,
    )


def score_by_family(
    cases: list[SuiteCase], findings: list[ToolFinding]
) -> tuple[dict[str, Rate], float]:
    """TPR, FPR and pairs per CWE family, and the mean of TPR - FPR over families."""
    rows: dict[str, list[SuiteCase]] = {}
    for case in sorted(cases, key=lambda c: min(family(c.cwe))):
        rows.setdefault(family_name(case.cwe), []).append(case)
    rates = {name: rate(members, findings) for name, members in rows.items()}
    average = sum(r.score for r in rates.values()) / len(rates) if rates else 0.0
    return rates, average


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = Path.cwd() / path
    return path.resolve().relative_to(root.resolve()).as_posix()


def attune_findings(report: dict) -> list[ToolFinding]:
    """report.json's open findings with a CWE: suppressed ones and accepted risks are not
    detections (the report keeps them only to say why they are quiet)."""
    return [
        ToolFinding(file=f["file"], cwe=f["cwe"])
        for f in report["findings"]
        if f.get("cwe") is not None and not f.get("suppressed") and not f.get("accepted_risk")
    ]


def bandit_findings(output: dict, root: Path) -> list[ToolFinding]:
    """Each bandit result under its own CWE and under the CWE of its ruff twin (B307 is
    S307): bandit labels eval CWE-78 and its XML tests CWE-20, so by its own CWE alone it
    could never find code injection or XXE; the twin's CWE scores the same check alike
    for both tools."""
    from activities.security_audit.scanners.ruff_rules import RUFF_S_RULES

    found = []
    for result in output["results"]:
        twin = RUFF_S_RULES.get(f"S{result['test_id'][1:]}")
        cwes = {(result.get("issue_cwe") or {}).get("id"), twin.cwe if twin else None}
        file = _relative(result["filename"], root)
        found += [ToolFinding(file=file, cwe=cwe) for cwe in sorted(cwes - {None})]
    return found


def ruff_findings(output: list[dict], root: Path) -> list[ToolFinding]:
    from activities.security_audit.scanners.ruff_rules import RUFF_S_RULES

    found = []
    for item in output:
        meta = RUFF_S_RULES.get(item.get("code") or "")
        if meta is not None and meta.cwe is not None:
            found.append(ToolFinding(file=_relative(item["filename"], root), cwe=meta.cwe))
    return found


def case_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.py"))


def run_bandit(root: Path) -> list[ToolFinding]:
    from activities.security_audit.scanners.ruff_rules import bandit_command

    done = subprocess.run(
        bandit_command(case_files(root)), capture_output=True, text=True, check=True
    )
    return bandit_findings(json.loads(done.stdout), root)


def run_ruff(root: Path) -> list[ToolFinding]:
    from activities.security_audit.scanners.ruff_rules import ruff_command

    done = subprocess.run(ruff_command([str(root)]), capture_output=True, text=True, check=True)
    return ruff_findings(json.loads(done.stdout), root)


async def _audit(root: Path) -> dict:
    from _temporal import quiet_dev_server

    from starter import runner
    from worker import running_worker
    from workflows.registry import registry

    flow = registry().get("security-audit")
    if flow is None:
        raise SystemExit("security-audit is not installed")
    env = await quiet_dev_server()
    try:
        async with running_worker(env.client):
            handle = await runner.start_workflow(env.client, flow, flow.request(target=str(root)))
            result = await handle.result()
    finally:
        await env.shutdown()
    return json.loads(Path(result.artifacts["json"]).read_text(encoding="utf-8"))


def run_attune(root: Path) -> list[ToolFinding]:
    """One security-audit run over the whole cases directory, as `attune workflow run
    security-audit DIR` does, in a temporary ATTUNE_HOME with no LLM key."""
    os.environ.pop("ANTHROPIC_API_KEY", None)
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as home:
        os.environ["ATTUNE_HOME"] = home
        return attune_findings(asyncio.run(_audit(root)))


def figures(cases: list[SuiteCase], by_tool: dict[str, list[ToolFinding]]) -> dict:
    out: dict = {
        "cases": len(cases),
        "pairs": len(cases) // 2,
        "tools": {},
        "detected_by": {
            c.id: [tool for tool, found in by_tool.items() if detected(c, found)] for c in cases
        },
    }
    for tool, findings in by_tool.items():
        rates, average = score_by_family(cases, findings)
        by_flow = {
            flow: rate([c for c in cases if c.flow == flow], findings).model_dump()
            for flow in ("local", "interprocedural", "cross-module")
        }
        out["tools"][tool] = {
            "average": round(average, 3),
            "by_cwe": {
                name: {**r.model_dump(), "score": round(r.score, 3)} for name, r in rates.items()
            },
            "by_flow": by_flow,
        }
    return out


def markdown(numbers: dict) -> str:
    tools = list(numbers["tools"])
    head = "| CWE | pairs | " + " | ".join(f"{t} TPR | {t} FPR | {t} score" for t in tools) + " |"
    rule = "|---|---:|" + "---:|---:|---:|" * len(tools)
    lines = [
        f"attune's labelled security suite: {numbers['cases']} cases, "
        f"{numbers['pairs']} vulnerable/safe pairs; score = TPR - FPR per CWE, averaged"
        f" (attune at commit {numbers.get('commit') or 'unknown'}).",
        "",
        head,
        rule,
    ]
    first = numbers["tools"][tools[0]]["by_cwe"]
    for name in first:
        cells = []
        for tool in tools:
            r = numbers["tools"][tool]["by_cwe"][name]
            cells.append(f"{r['tpr']:.2f} | {r['fpr']:.2f} | {r['score']:+.2f}")
        lines.append(f"| {name} | {first[name]['pairs']} | " + " | ".join(cells) + " |")
    averages = " | ".join(f" | | **{numbers['tools'][t]['average']:+.2f}**" for t in tools)
    lines.append(f"| **average** | {numbers['pairs']} |{averages} |")
    lines += [
        "",
        "A case is detected when a tool reports a finding in its files under a CWE of the"
        " case's family; attune's suppressed findings and accepted risks do not count. A"
        " bandit result counts under its own CWE and its ruff twin's (B307 as S307, CWE-94).",
        "",
        "By flow (TPR / FPR): local, through a helper, across modules of a package.",
        "",
        "| flow | pairs | " + " | ".join(tools) + " |",
        "|---|---:|" + "---:|" * len(tools),
    ]
    for flow in ("local", "interprocedural", "cross-module"):
        pairs = numbers["tools"][tools[0]]["by_flow"][flow]["pairs"]
        cells = " | ".join(
            "{tpr:.2f} / {fpr:.2f}".format(**numbers["tools"][t]["by_flow"][flow]) for t in tools
        )
        lines.append(f"| {flow} | {pairs} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the table is written")
    args = parser.parse_args()
    cases = load_manifest()
    by_tool = {
        "attune": run_attune(CASES),
        "bandit": run_bandit(CASES),
        "ruff": run_ruff(CASES),
    }
    numbers = figures(cases, by_tool)
    numbers["commit"] = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    table = markdown(numbers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(json.dumps(numbers, indent=2) if args.json else table)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
