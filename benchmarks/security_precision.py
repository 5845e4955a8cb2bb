"""Benchmark: security-audit's precision on real, well-kept code (issue 13, "measured").

    python benchmarks/security_precision.py [--cache DIR] [--labels FILE] [--json]

Runs the security-audit workflow the way a user does (a private dev server, one
dedicated `attune worker`, an empty ATTUNE_HOME, no LLM key) on the source releases of
requests, flask and django (PyPI sdists, downloaded with pip into `--cache`, default
~/.cache/attune-bench, unless there). `requests/src` is the `src/` part of the requests
run, reported on its own: the issue's bar is no false high finding there.

For each tree: the Python files the audit scanned, KLOC (their non-blank lines), the
open (neither suppressed nor an accepted risk) critical and high findings, and those
per KLOC. Each open critical/high finding is joined with a label judged by hand in
`benchmarks/labels/security_high.jsonl` (key: project, file, rule and the finding's
snippet with whitespace collapsed; the line is a hint for readers, not part of the
key, so labels survive edits above the code). Unlabelled findings are listed, to be
judged and added. The Markdown table goes to stdout and to
benchmarks/results/security_precision.md; `--json` prints the figures as JSON instead.
Exit 1 when requests/src has a false or unlabelled high finding.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from activities.reports import risk_level, risk_score
from workflows.schemas import Finding

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels" / "security_high.jsonl"
RESULTS = HERE / "results" / "security_precision.md"
RELEASES = {"requests": "requests-2.34.2", "flask": "flask-3.1.3", "django": "django-6.1.3"}
# A reported part of a project's run: (project, path prefix inside its tree).
PARTS = {"requests/src": ("requests", "src/")}
HIGH = ("critical", "high")
CONFIDENT = ("high", "medium")  # a low-confidence high bands as a medium in the risk score
TARGET_PART = "requests/src"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Label:
    label: bool
    reason: str


@dataclass
class Scored:
    """One tree's precision figures: what the table shows."""

    name: str
    files: int
    kloc: float
    critical: int
    high: int
    suppressed_high: int
    confident: int
    risk: int
    per_kloc: float
    true: int
    false: int
    unlabelled: int
    findings: list[dict] = field(default_factory=list)


def normalise(snippet: str) -> str:
    return _WHITESPACE.sub(" ", snippet).strip()


def label_key(project: str, file: str, rule: str, snippet: str) -> tuple[str, str, str, str]:
    return project, file, rule, normalise(snippet)


def parse_labels(lines: Iterable[str]) -> dict[tuple[str, str, str, str], Label]:
    """The label file's records by key. A record without a true/false label or a reason,
    or two records of one key that disagree, is an error: the score would be a guess."""
    labels: dict[tuple[str, str, str, str], Label] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        if not isinstance(record.get("label"), bool) or not str(record.get("reason", "")).strip():
            raise ValueError(f"label line {number}: needs a boolean label and a reason")
        key = label_key(record["project"], record["file"], record["rule"], record["snippet"])
        label = Label(record["label"], record["reason"])
        if labels.get(key, label) != label:
            raise ValueError(f"label line {number}: {key} is labelled twice, differently")
        labels[key] = label
    return labels


def is_open(finding: dict) -> bool:
    """As `Finding.is_open`: neither an accepted risk nor suppressed."""
    return finding.get("accepted_risk") is None and finding.get("suppressed") is None


def score(
    name: str,
    project: str,
    findings: list[dict],
    lines_by_file: dict[str, int],
    labels: dict[tuple[str, str, str, str], Label],
) -> Scored:
    """Open critical/high findings of one tree, joined with their labels, per KLOC of
    the files scanned (`lines_by_file`: non-blank lines of each)."""
    kloc = sum(lines_by_file.values()) / 1000
    high = [f for f in findings if f["severity"] in HIGH]
    open_high = [f for f in high if is_open(f)]
    rows = []
    for f in open_high:
        label = labels.get(label_key(project, f["file"], f["rule_id"], f["snippet"]))
        rows.append(
            {
                "severity": f["severity"],
                "confidence": f["confidence"],
                "rule": f["rule_id"],
                "file": f["file"],
                "line": f["line"],
                "snippet": normalise(f["snippet"]),
                "message": f["message"].split(" (impact:")[0][:160],
                "label": None if label is None else label.label,
                "reason": None if label is None else label.reason,
            }
        )
    return Scored(
        name=name,
        files=len(lines_by_file),
        kloc=round(kloc, 1),
        critical=sum(f["severity"] == "critical" for f in open_high),
        high=sum(f["severity"] == "high" for f in open_high),
        suppressed_high=len(high) - len(open_high),
        confident=sum(f["confidence"] in CONFIDENT for f in open_high),
        risk=risk_score(Finding.model_validate(f) for f in findings),
        per_kloc=round(len(open_high) / kloc, 3) if kloc else 0.0,
        true=sum(r["label"] is True for r in rows),
        false=sum(r["label"] is False for r in rows),
        unlabelled=sum(r["label"] is None for r in rows),
        findings=rows,
    )


def part(
    findings: list[dict], lines_by_file: dict[str, int], prefix: str
) -> tuple[list[dict], dict[str, int]]:
    """The findings and scanned files of a tree under `prefix`."""
    return (
        [f for f in findings if f["file"].startswith(prefix)],
        {file: n for file, n in lines_by_file.items() if file.startswith(prefix)},
    )


def non_blank_lines(path: Path) -> int:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if line.strip())


def scanned_lines(root: Path, report: dict) -> dict[str, int]:
    """Non-blank lines of every Python file the audit scanned: its discovery, less the
    files it skipped (binary, not UTF-8, too large). Files with a syntax error are
    scanned by ruff, so they count."""
    from activities.discovery import discover_files

    skipped = {s["path"] for s in report["skipped"] if not s["reason"].startswith("syntax error")}
    files = [f for f in discover_files(root, 1_000_000).files if f not in skipped]
    return {f: non_blank_lines(root / f) for f in files}


def corpus(cache: Path, release: str) -> Path:
    tree = cache / release
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    name, _, version = release.rpartition("-")
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, f"{name}=={version}", "-d", str(cache)], check=True)
    with tarfile.open(cache / f"{release}.tar.gz") as tar:
        tar.extractall(cache, filter="data")
    return tree


async def audit_all(trees: dict[str, Path]) -> dict[str, tuple[dict, float]]:
    """Each tree's report JSON and wall seconds, through `attune workflow run` against a
    private server whose dedicated worker already polls."""
    from _temporal import ATTUNE, server_and_worker

    reports = {}
    async with server_and_worker():
        for project, root in trees.items():
            started = time.perf_counter()
            done = await asyncio.to_thread(
                subprocess.run,
                [ATTUNE, "workflow", "run", "security-audit", str(root), "--json"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode not in (0, 3):
                raise SystemExit(f"security-audit failed on {project}: {done.stderr[-2000:]}")
            reports[project] = json.loads(done.stdout), time.perf_counter() - started
    return reports


def markdown(rows: list[Scored], walls: dict[str, float], load: str, commit: str) -> str:
    target = next(r for r in rows if r.name == TARGET_PART)
    out = [
        "# security-audit precision on real code (benchmarks/security_precision.py)",
        "",
        f"attune {commit}; source releases: {', '.join(RELEASES.values())}. Open findings "
        "only (not suppressed, not accepted risks); labels in "
        "`benchmarks/labels/security_high.jsonl`.",
        f"Load average at the end of the run: {load}.",
        "",
        "| tree | files | KLOC | critical | high | crit+high / KLOC | of them high/medium "
        "confidence | labelled true | labelled false | unlabelled | suppressed crit+high | "
        "risk score | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        wall = walls.get(r.name)
        out.append(
            f"| {r.name} | {r.files} | {r.kloc} | {r.critical} | {r.high} | {r.per_kloc} | "
            f"{r.confident} | {r.true} | {r.false} | {r.unlabelled} | {r.suppressed_high} | "
            f"{r.risk} ({risk_level(r.risk)}) | {'' if wall is None else round(wall, 1)} |"
        )
    out += [
        "",
        f"False high findings in {TARGET_PART}: **{target.false}** "
        f"(target 0; {target.unlabelled} unlabelled).",
    ]
    for r in rows:
        if r.name in PARTS:
            continue
        out += ["", f"## {r.name}: {r.critical + r.high} open critical/high", ""]
        for f in r.findings:
            verdict = {True: "TRUE", False: "false", None: "UNLABELLED"}[f["label"]]
            why = f" — {f['reason']}" if f["reason"] else ""
            out.append(
                f"- {verdict} {f['severity']} ({f['confidence']} confidence) {f['rule']} "
                f"`{f['file']}:{f['line']}` "
                f"{f['message']}{why}"
            )
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "attune-bench")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    labels = parse_labels(args.labels.read_text().splitlines())
    trees = {project: corpus(args.cache, release) for project, release in RELEASES.items()}
    reports = asyncio.run(audit_all(trees))
    rows, walls = [], {}
    for project, root in trees.items():
        report, wall = reports[project]
        lines = scanned_lines(root, report)
        rows.append(score(project, project, report["findings"], lines, labels))
        walls[project] = wall
        for name, (owner, prefix) in PARTS.items():
            if owner == project:
                rows.append(score(name, project, *part(report["findings"], lines, prefix), labels))
    from _provenance import attune_commit, load_average

    load = load_average()
    commit = attune_commit()
    text = markdown(rows, walls, load, commit)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    if args.json:
        figures = [
            {**asdict(r), "wall_s": None if r.name not in walls else round(walls[r.name], 1)}
            for r in rows
        ]
        print(json.dumps({"attune": commit, "load_average": load, "trees": figures}, indent=2))
    else:
        print(text, end="")
    target = next(r for r in rows if r.name == TARGET_PART)
    return 1 if target.false or target.unlabelled else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
