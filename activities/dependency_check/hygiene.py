"""Dependency hygiene: unused, missing and transitive-only dependencies (deptry), licences
from the target's installed metadata, and the dependency-confusion check.

deptry compares the imports of the project's code with what it declares. Which module
a distribution provides comes from installed metadata: the target's own virtualenv when
there is one (`.venv`, `venv`, `env`, or the request's `environment`), whose
site-packages is appended to deptry's path and whose top-level names are passed as
`--package-module-name-map`. Without one, deptry judges against attune's own
environment, and the report says so.

Dependency confusion: a name that looks private (it shares the project's own name
prefix, carries a word like `internal`, or pins a local version label `+corp`) but also
resolves on the public index can be hijacked by whoever published it there. The check
asks the public Simple API (PEP 691 JSON; the URL is configurable) and is skipped, with
the reason, when the index does not answer.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from workflows.dependency_check.models import Dependency
from workflows.schemas import Finding, ReportWarning

DEPTRY_TIMEOUT_S = 600
INDEX_TIMEOUT_S = 10
DEV_FILE = re.compile(r"(dev|test|doc|lint)", re.IGNORECASE)
"""Requirements files of development tools, which deptry reads as dev dependencies."""
PRIVATE_WORDS = {"internal", "private", "corp", "intranet", "priv", "inhouse", "proprietary"}
# deptry code -> (category, severity, what it means)
DEPTRY_RULES: dict[str, tuple[str, str, str]] = {
    "DEP001": ("missing-dependency", "medium", "imported but not declared"),
    "DEP002": ("unused-dependency", "low", "declared but never imported"),
    "DEP003": ("transitive-dependency", "low", "imported but only installed through another"),
    "DEP004": ("misplaced-dev-dependency", "low", "a development dependency imported by code"),
    "DEP005": ("stdlib-dependency", "low", "declared but part of the standard library"),
}


# --------------------------------------------------------------------------- environment


def find_environment(root: Path, given: str | None = None) -> list[Path]:
    """The site-packages directories of the target's virtualenv, if it has one."""
    candidates = [Path(given)] if given else [root / n for n in (".venv", "venv", "env")]
    for candidate in candidates:
        if candidate.name == "site-packages" and candidate.is_dir():
            return [candidate]
        if (candidate / "pyvenv.cfg").is_file():
            found = sorted(candidate.glob("lib/python*/site-packages"))
            found += sorted(candidate.glob("Lib/site-packages"))
            if found:
                return found
    return []


def installed(site_packages: list[Path]) -> dict[str, metadata.Distribution]:
    """Distributions installed in `site_packages`, by normalised name (first wins)."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=[str(p) for p in site_packages]):
        name = dist.metadata.get("Name")
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def top_levels(dist: metadata.Distribution) -> list[str]:
    """The import names a distribution provides: top_level.txt, else its RECORD."""
    text = dist.read_text("top_level.txt")
    if text:
        return sorted({line.strip() for line in text.splitlines() if line.strip()})
    names = set()
    for file in dist.files or []:
        first = file.parts[0] if file.parts else ""
        if first.endswith((".dist-info", ".egg-info", ".data")) or first in ("..", "__pycache__"):
            continue
        if len(file.parts) > 1 or first.endswith(".py"):
            names.add(first.removesuffix(".py"))
    return sorted(n for n in names if n.isidentifier())


def license_of(dist: metadata.Distribution) -> str | None:
    """License-Expression, else a short License field, else the OSI classifiers."""
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    text = (meta.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN" and len(text) <= 80 and "\n" not in text:
        return text
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and c.count("::") >= 2
    ]
    return " OR ".join(classifiers) if classifiers else None


def licences(
    dependencies: list[Dependency], dists: dict[str, metadata.Distribution]
) -> dict[str, dict[str, Any]]:
    """For each dependency name: installed version and licence, or not installed."""
    out: dict[str, dict[str, Any]] = {}
    for name in sorted({d.name for d in dependencies}):
        dist = dists.get(name)
        if dist is None:
            out[name] = {"installed": False, "version": None, "license": None}
        else:
            out[name] = {
                "installed": True,
                "version": dist.version,
                "license": license_of(dist),
            }
    return out


# --------------------------------------------------------------------------- deptry


@dataclass
class DeptryOutcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None
    warnings: list[ReportWarning] = field(default_factory=list)


def module_map(dists: dict[str, metadata.Distribution]) -> str:
    """deptry's `--package-module-name-map` value for the installed distributions."""
    parts = []
    for name, dist in sorted(dists.items()):
        modules = top_levels(dist)
        if modules:
            parts.append(f"{name}={'|'.join(modules)}")
    return ",".join(parts)


def run_deptry(
    root: Path, dependencies: list[Dependency], site_packages: list[Path]
) -> DeptryOutcome:
    """deptry on the project directory `root`, as findings at file:line. Without
    declarations in pyproject.toml, deptry reads the requirements files the inventory
    found (constraints left out; dev, test, doc and lint files as dev dependencies)."""
    declared = any(d.file == "pyproject.toml" for d in dependencies)
    files = sorted(
        {d.file for d in dependencies if d.source == "requirements" and d.kind == "requirement"}
    )
    requirements = [] if declared else [f for f in files if not DEV_FILE.search(f)]
    dev = [] if declared else [f for f in files if DEV_FILE.search(f)]
    if not (root / "pyproject.toml").is_file() and not requirements:
        return DeptryOutcome(
            skipped="deptry reads pyproject.toml or requirements files; the target has neither"
        )
    outcome = DeptryOutcome()
    if not site_packages:
        outcome.warnings.append(
            ReportWarning(
                code="no-environment",
                message="no virtualenv of the target found (.venv, venv, env or "
                "--param environment=...): deptry judged missing and transitive "
                "imports against attune's own environment",
            )
        )
    with tempfile.TemporaryDirectory(prefix="attune-deptry-") as scratch:
        out = Path(scratch) / "deptry.json"
        argv = ["deptry", ".", "--json-output", str(out), "--no-ansi"]
        if requirements:
            argv += ["--requirements-files", ",".join(requirements)]
            argv += ["--requirements-files-dev", ",".join(dev)] if dev else []
        mapping = module_map(installed(site_packages)) if site_packages else ""
        if mapping:
            argv += ["--package-module-name-map", mapping]
        script = (
            "import sys; sys.path.extend(sys.argv[1].split('\\0') if sys.argv[1] else []); "
            "sys.argv = sys.argv[2:]; from deptry.cli import deptry; deptry()"
        )
        paths = "\0".join(str(p) for p in site_packages)
        try:
            done = subprocess.run(
                [sys.executable, "-c", script, paths, *argv],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=DEPTRY_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return DeptryOutcome(skipped=f"deptry ran longer than {DEPTRY_TIMEOUT_S} s")
        if not out.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return DeptryOutcome(skipped=f"deptry failed (exit {done.returncode}): {tail[0]}")
        issues = json.loads(out.read_text())
    outcome.findings = [_deptry_finding(i, dependencies) for i in issues]
    return outcome


def _deptry_finding(issue: dict[str, Any], dependencies: list[Dependency]) -> Finding:
    code = issue["error"]["code"]
    category, severity, meaning = DEPTRY_RULES.get(code, ("dependency-hygiene", "low", ""))
    location = issue.get("location") or {}
    file, line = location.get("file") or "", location.get("line")
    module = issue.get("module", "")
    if line is None:
        declared = [d for d in dependencies if d.name == canonicalize_name(module)]
        in_file = [d for d in declared if d.file == file] or declared
        if in_file:
            file, line = in_file[0].file, in_file[0].line
    return Finding(
        rule_id=code,
        tool="deptry",
        category=category,
        severity=severity,  # type: ignore[arg-type]
        confidence="medium",
        file=Path(file).as_posix() if file else "pyproject.toml",
        line=line or 1,
        column=location.get("column") or 1,
        message=f"{issue['error']['message']} ({meaning})"
        if meaning
        else issue["error"]["message"],
        snippet=module,
    )


# --------------------------------------------------------------------------- confusion


def private_looking(dep: Dependency, project_names: list[str]) -> str | None:
    """Why a dependency's name looks private, or None."""
    prefixes = {re.split(r"[-_.]", canonicalize_name(n))[0] for n in project_names if n}
    words = set(re.split(r"[-_.]", dep.name))
    if dep.version and "+" in dep.version:
        return f"it pins the local version {dep.version}"
    if words & PRIVATE_WORDS:
        return f"its name has the word {sorted(words & PRIVATE_WORDS)[0]!r}"
    own = {canonicalize_name(n) for n in project_names}
    for prefix in prefixes:
        if len(prefix) >= 3 and dep.name.startswith(prefix + "-") and dep.name not in own:
            return f"it shares the project's name prefix {prefix!r}"
    return None


@dataclass
class ConfusionOutcome:
    findings: list[Finding] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None


def on_index(index_url: str, name: str) -> bool:
    """Whether the Simple API at `index_url` knows `name`; OSError when it cannot say."""
    url = index_url.rstrip("/") + f"/{name}/"
    request = urllib.request.Request(
        url, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=INDEX_TIMEOUT_S) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise OSError(f"{url} answered HTTP {err.code}") from None


def confusion_check(
    dependencies: list[Dependency], project_names: list[str], index_url: str
) -> ConfusionOutcome:
    outcome = ConfusionOutcome()
    seen: set[str] = set()
    for dep in dependencies:
        reason = private_looking(dep, project_names)
        if reason is None or dep.url:
            continue
        if dep.name not in seen:
            seen.add(dep.name)
            try:
                public = on_index(index_url, dep.name)
            except (OSError, urllib.error.URLError) as err:
                why = getattr(err, "reason", None) or err
                outcome.skipped = f"the public index {index_url} is not reachable: {why}"
                outcome.findings, outcome.checked = [], []
                return outcome
            outcome.checked.append({"name": dep.name, "why": reason, "on_public_index": public})
        if any(c["name"] == dep.name and c["on_public_index"] for c in outcome.checked):
            outcome.findings.append(
                Finding(
                    rule_id="ATND001",
                    tool="attune",
                    category="dependency-confusion",
                    severity="high",
                    confidence="medium",
                    cwe=427,
                    file=dep.file,
                    line=dep.line,
                    message=f"{dep.declared_name} looks private ({reason}) but a package of "
                    f"that name exists on the public index {index_url}: an installer that "
                    "also reads the public index may take it (dependency confusion). Pin it "
                    "to your index or claim the name.",
                    snippet=dep.declared_name,
                )
            )
    return outcome
