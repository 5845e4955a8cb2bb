"""Measuring a chunk of files, in the worker's process pool: docstring coverage with
interrogate, consistency between signatures and docstrings with pydoclint, and the
facts of every docstring to draft.

Coverage follows interrogate's rules (its library, with the project's
`[tool.interrogate]` options when it has them): every module, class, function and
method counts, and a class and its `__init__` count as documented when either one is
(interrogate's Google mode, which is also where the drafts document `__init__`).
pydoclint runs as its command line in a subprocess with a timeout, outside the project
(so its own configuration does not change what attune reports), on the checks the
issue asks for: arguments missing, extra or out of order, Returns, Yields and Raises
sections missing or wrong, class and `__init__` docstrings. Its checks of type-hint
policy (DOC106-DOC111) and return types are left out: they judge the annotations, not
whether the documentation matches the code.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import lizard
from interrogate import config as interrogate_config
from interrogate import coverage as interrogate_coverage
from pydantic import BaseModel, Field

from activities.document_gen.docstrings import (
    DraftTarget,
    Style,
    StyleVotes,
    draft_targets,
    style_votes,
    yields_seen,
)
from activities.sources import read_source
from activities.tool_envs import PYDOCLINT, ToolEnvError, tool_env
from workflows.schemas import Finding, ReportWarning, SkippedFile

PYDOCLINT_TIMEOUT_S = 300
PYDOCLINT_STYLE = {"google": "google", "numpy": "numpy", "rest": "sphinx"}
LEFT_OUT = frozenset({"DOC106", "DOC107", "DOC108", "DOC109", "DOC110", "DOC111"})
INTERROGATE_OPTIONS = (
    "ignore_regex", "ignore_magic", "ignore_module", "ignore_private", "ignore_semiprivate",
    "ignore_init_method", "ignore_init_module", "ignore_nested_classes",
    "ignore_nested_functions", "ignore_property_setters", "ignore_property_decorators",
    "ignore_overloaded_functions", "include_regex",
)  # fmt: skip


class Undocumented(BaseModel):
    name: str
    kind: str = Field(description="module, class, function or method")
    line: int


class FileCoverage(BaseModel):
    file: str
    total: int
    covered: int
    missing: list[Undocumented] = Field(default_factory=list)


class ChunkMeasures(BaseModel):
    coverage: list[FileCoverage] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    drafts: list[DraftTarget] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    warnings: list[ReportWarning] = Field(default_factory=list)


class Violation(BaseModel):
    file: str
    line: int
    code: str
    message: str


def interrogate_settings(root: Path) -> dict[str, Any]:
    """The project's `[tool.interrogate]` options that change what counts, if any."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        options = interrogate_config.parse_pyproject_toml(str(pyproject))
    except Exception:  # A malformed pyproject: interrogate's defaults apply.
        return {}
    settings = {k.replace("-", "_"): v for k, v in options.items()}
    return {k: v for k, v in settings.items() if k in INTERROGATE_OPTIONS}


def _interrogate_config(settings: dict[str, Any]) -> interrogate_config.InterrogateConfig:
    values = dict(settings)
    for key in ("ignore_regex", "include_regex"):
        if values.get(key):
            values[key] = [re.compile(p) for p in values[key]]
    return interrogate_config.InterrogateConfig(docstring_style="google", **values)


def coverage_of(root: Path, files: list[str], settings: dict[str, Any]) -> list[FileCoverage]:
    """interrogate's count of documented and undocumented definitions in each file."""
    if not files:
        return []
    conf = _interrogate_config(settings)
    paths = [str(root / f) for f in files]
    results = interrogate_coverage.InterrogateCoverage(paths=paths, conf=conf).get_coverage()
    found: list[FileCoverage] = []
    for result in results.file_results:
        rel = Path(result.filename).resolve().relative_to(root.resolve()).as_posix()
        missing = [
            Undocumented(
                name=node.name if node.node_type != "Module" else rel,
                kind=_kind(node),
                line=node.lineno or 1,
            )
            for node in result.nodes
            if not node.covered and not (node.node_type == "Module" and conf.ignore_module)
        ]
        found.append(
            FileCoverage(file=rel, total=result.total, covered=result.covered, missing=missing)
        )
    return found


def _kind(node: Any) -> str:
    if node.node_type == "Module":
        return "module"
    if node.node_type == "ClassDef":
        return "class"
    return (
        "method"
        if node.parent is not None and node.parent.node_type == "ClassDef"
        else ("function")
    )


def run_pydoclint(
    root: Path, files: list[str], style: Style, typed: bool, timeout_s: int = PYDOCLINT_TIMEOUT_S
) -> list[Violation]:
    """pydoclint's violations in `files` (relative to `root`), the left-out codes dropped.
    Raises subprocess.TimeoutExpired past `timeout_s`, RuntimeError if pydoclint crashes."""
    if not files:
        return []
    flag = str(typed)
    command = [
        sys.executable, "-m", "pydoclint.main", f"--style={PYDOCLINT_STYLE[style]}",
        "--quiet", "--exclude=", "--arg-type-hints-in-signature=False",
        f"--arg-type-hints-in-docstring={flag}", "--check-return-types=False",
        "--check-yield-types=False", "--check-class-attributes=False",
        "--skip-checking-short-docstrings=True", "--show-filenames-in-every-violation-message=True",
        *(str(root / f) for f in files),
    ]  # fmt: skip
    try:
        command[0] = str(tool_env(PYDOCLINT).python)
    except ToolEnvError as err:
        raise RuntimeError(f"pydoclint's tool venv could not be built: {err}") from None
    with tempfile.TemporaryDirectory(prefix="attune-pydoclint-") as cwd:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    if done.returncode not in (0, 1):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"pydoclint exited {done.returncode}: {tail}")
    found = parse_pydoclint(done.stdout + "\n" + done.stderr, root)  # violations go to stderr
    return [v for v in found if not _annotation_policy(root, v)]


def _annotation_policy(root: Path, violation: Violation) -> bool:
    """DOC403 or DOC405 on a function that does yield: pydoclint wants a Generator or
    Iterator return annotation before it accepts its Yields (or Returns) section, a typing
    policy like DOC106-DOC111; the docstring itself is right."""
    if violation.code not in ("DOC403", "DOC405"):
        return False
    source, _ = read_source(root / violation.file)
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.lineno == violation.line
        and yields_seen(node)
        for node in ast.walk(tree)
    )


_WITH_FILE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<code>DOC\d+): (?P<message>.*)$")


def parse_pydoclint(output: str, root: Path) -> list[Violation]:
    found = []
    resolved = root.resolve()
    for line in output.splitlines():
        match = _WITH_FILE.match(line.strip())
        if match is None or match["code"] in LEFT_OUT:
            continue
        path = Path(match["file"]).resolve()
        rel = path.relative_to(resolved).as_posix() if path.is_relative_to(resolved) else str(path)
        found.append(
            Violation(
                file=rel, line=int(match["line"]), code=match["code"], message=match["message"]
            )
        )
    return found


SEVERITY = {"DOC1": "medium", "DOC3": "medium"}
"""Arguments that the docstring gets wrong mislead every caller; a missing Returns or
Raises section leaves something out."""


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _symbol(message: str) -> str:
    match = re.search(r"`([^`]+)`", message)
    return match.group(1) if match else ""


def violation_finding(violation: Violation, lines: list[str]) -> Finding:
    snippet = lines[violation.line - 1].strip() if 0 < violation.line <= len(lines) else ""
    return Finding(
        rule_id=violation.code,
        tool="pydoclint",
        tools=["pydoclint"],
        category="docstring-consistency",
        severity=SEVERITY.get(violation.code[:4], "low"),
        confidence="high",
        file=violation.file,
        line=violation.line,
        message=violation.message,
        snippet=snippet,
        fingerprint=_fingerprint(violation.code, violation.file, _symbol(violation.message)),
    )


def missing_finding(file: str, item: Undocumented, lines: list[str]) -> Finding:
    snippet = lines[item.line - 1].strip() if 0 < item.line <= len(lines) else ""
    what = "module" if item.kind == "module" else f"{item.kind} `{item.name}`"
    return Finding(
        rule_id="missing-docstring",
        tool="interrogate",
        tools=["interrogate"],
        category="docstring-coverage",
        severity="info",
        confidence="high",
        file=file,
        line=item.line,
        message=f"The {what} has no docstring.",
        snippet=snippet,
        fingerprint=_fingerprint("missing-docstring", file, item.kind, item.name),
    )


def _complexities(source: str, file: str) -> dict[int, tuple[int, int]]:
    """lizard's cyclomatic complexity and NLOC of each function, by its `def` line."""
    analysis = lizard.analyze_file.analyze_source_code(file, source)
    return {f.start_line: (f.cyclomatic_complexity, f.nloc) for f in analysis.function_list}


def scratch_name(index: int, rel: str) -> str:
    """A plain path for a copy of `rel`: the engines read files by name and print names in
    their output, so a name with a newline, or a file in a declared non-UTF-8 encoding,
    goes to them as a UTF-8 copy under a plain name (`__init__` and the suffix kept,
    which interrogate and pydoclint read)."""
    path = Path(rel)
    stem = "__init__" if path.stem == "__init__" else "module"
    return f"{index:05d}/{stem}{path.suffix}"


def engines_on(
    texts: dict[str, str], style: Style, typed: bool, interrogate: dict[str, Any]
) -> tuple[list[FileCoverage], list[Violation], ReportWarning | None]:
    """interrogate's coverage and pydoclint's violations of the sources in `texts` (by
    relative path), run on UTF-8 copies under plain names and mapped back."""
    names = {scratch_name(i, rel): rel for i, rel in enumerate(texts)}
    warning = None
    with tempfile.TemporaryDirectory(prefix="attune-docs-") as folder:
        scratch = Path(folder)
        for name, rel in names.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(texts[rel], encoding="utf-8")
        coverage = coverage_of(scratch, list(names), interrogate)
        try:
            violations = run_pydoclint(scratch, list(names), style, typed)
        except (subprocess.TimeoutExpired, RuntimeError) as err:
            warning = ReportWarning(code="pydoclint-failed", message=str(err))
            violations = []
    for cov in coverage:
        cov.file = names[cov.file]
        for item in cov.missing:
            if item.kind == "module":
                item.name = cov.file
    for violation in violations:
        violation.file = names.get(violation.file, violation.file)
    return coverage, violations, warning


def measure_chunk(
    root: str,
    files: list[str],
    *,
    style: Style,
    typed: bool,
    drafts: str,
    interrogate: dict[str, Any],
) -> ChunkMeasures:
    """Coverage, consistency findings and draft facts of `files`, relative to `root`."""
    base = Path(root)
    result = ChunkMeasures()
    parsed: dict[str, tuple[str, ast.Module]] = {}
    for rel in files:
        source, reason = read_source(base / rel)
        if source is None:
            result.skipped.append(SkippedFile(path=rel, reason=reason or "unreadable"))
            continue
        try:
            parsed[rel] = (source, ast.parse(source, filename=rel))
        except (SyntaxError, ValueError) as err:
            line = getattr(err, "lineno", None)
            result.skipped.append(SkippedFile(path=rel, reason=f"syntax error: {err}"))
            result.warnings.append(
                ReportWarning(code="syntax-error", message=str(err), file=rel, line=line)
            )
    texts = {rel: source for rel, (source, _) in parsed.items()}
    coverage, violations, warning = engines_on(texts, style, typed, interrogate)
    result.coverage = coverage
    if warning is not None:
        result.warnings.append(warning)
    lines = {rel: source.splitlines() for rel, source in texts.items()}
    for cov in result.coverage:
        result.findings += [missing_finding(cov.file, m, lines[cov.file]) for m in cov.missing]
    result.findings += [violation_finding(v, lines.get(v.file, [])) for v in violations]
    for rel, (source, tree) in parsed.items():
        if rel.endswith(".pyi"):
            continue  # a stub's documentation lives with its implementation
        targets = draft_targets(tree, source, rel, drafts)
        if targets:
            complexity = _complexities(source, rel)
            for target in targets:
                target.complexity, nloc = complexity.get(target.line, (1, target.nloc))
                target.nloc = nloc or target.nloc
        result.drafts += targets
    return result


def chunk_votes(root: str, files: list[str]) -> StyleVotes:
    """How the files' existing docstrings are written."""
    votes = StyleVotes()
    for rel in files:
        source, _ = read_source(Path(root) / rel)
        if source is None:
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        votes = votes.add(style_votes(tree))
    return votes
