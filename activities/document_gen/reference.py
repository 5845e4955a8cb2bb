"""The API reference of a target: Markdown from griffe's static analysis (nothing of the
target is imported or run) and HTML from pdoc, which imports the modules it documents, so
it runs in a subprocess with a timeout and the target's import roots on its path.

A module that cannot be loaded or imported costs a warning, never the run.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import griffe
from pydantic import BaseModel, Field

from activities.document_gen.docstrings import Style
from workflows.schemas import ReportWarning

NOT_DOCUMENTED = frozenset(
    {"test", "tests", "testing", "docs", "doc", "benchmarks", "examples", "scripts", "setup",
     "conftest", "noxfile", "tasks", "fabfile"}
)  # fmt: skip
"""Top-level names that are a project's tooling, not its API."""
GRIFFE_PARSER = {"google": "google", "numpy": "numpy", "rest": "sphinx"}
_PDOC_PROBLEM = re.compile(r"^(Warn|Error)\b|^[A-Za-z_.]*(Error|Exception): ")
"""pdoc's own warnings, and the last line of each traceback it prints."""


class Package(BaseModel):
    """A top-level module or package and the directory it is imported from."""

    name: str
    root: str = Field(description="Absolute import root: the parent of the top-level package")


class ReferenceOutcome(BaseModel):
    markdown: list[str] = Field(default_factory=list, description="Files written, absolute")
    html: list[str] = Field(default_factory=list)
    modules: int = 0
    warnings: list[ReportWarning] = Field(default_factory=list)


def import_root(path: Path) -> tuple[Path, str]:
    """The first parent without an `__init__.py`, and the top-level name under it."""
    current = path
    while (current.parent / "__init__.py").is_file() and current.parent != current.parent.parent:
        current = current.parent
    name = current.stem if current.is_file() else current.name
    return current.parent, name


def packages(root: Path, files: list[str]) -> list[Package]:
    """The top-level modules and packages the discovered files belong to, API only."""
    found: dict[tuple[str, str], Package] = {}
    for rel in files:
        path = root / rel
        if path.suffix != ".py" or any(part.startswith(".") for part in Path(rel).parts):
            continue
        base, name = import_root(path)
        if not name.isidentifier() or name in NOT_DOCUMENTED or name.startswith("test_"):
            continue
        key = (str(base), name)
        found.setdefault(key, Package(name=name, root=str(base.resolve())))
    return sorted(found.values(), key=lambda p: (p.name, p.root))


# --- Markdown, from griffe ----------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _signature(obj: Any) -> str:
    params = []
    for p in obj.parameters:
        text = p.name
        if p.kind.value == "variadic positional":
            text = f"*{text}"
        elif p.kind.value == "variadic keyword":
            text = f"**{text}"
        if p.annotation is not None:
            text += f": {p.annotation}"
        if p.default is not None:
            text += f" = {p.default}"
        params.append(text)
    returns = f" -> {obj.returns}" if obj.returns is not None else ""
    return f"({', '.join(params)}){returns}"


def _docstring_md(obj: Any) -> list[str]:
    if obj.docstring is None:
        return ["*No docstring.*", ""]
    out: list[str] = []
    for section in obj.docstring.parsed:
        kind = section.kind.value
        if kind == "text":
            out += [section.value, ""]
        elif kind in ("parameters", "other parameters", "attributes"):
            out += [
                f"**{kind.capitalize()}**",
                "",
                "| Name | Type | Description |",
                "|---|---|---|",
            ]
            out += [
                f"| `{p.name}` | {_md_escape(str(p.annotation or ''))} | "
                f"{_md_escape(p.description or '')} |"
                for p in section.value
            ]
            out.append("")
        elif kind in ("returns", "yields", "raises", "warns", "receives"):
            out += [f"**{kind.capitalize()}**", ""]
            for item in section.value:
                lead = str(item.annotation or getattr(item, "name", "") or "")
                out.append(f"- {f'`{lead}`: ' if lead else ''}{_md_escape(item.description or '')}")
            out.append("")
        elif isinstance(section.value, str):
            out += [f"**{(section.title or kind).capitalize()}**", "", section.value, ""]
    return out


def _members_md(obj: Any, level: int) -> list[str]:
    out: list[str] = []
    for name, member in obj.members.items():
        if member.is_alias or not member.is_public:
            continue
        kind = member.kind.value
        heading = "#" * min(level, 6)
        if kind == "class":
            bases = f"({', '.join(str(b) for b in member.bases)})" if member.bases else ""
            out += [f"{heading} class `{name}{bases}`", "", *_docstring_md(member)]
            out += _members_md(member, level + 1)
        elif kind == "function":
            out += [f"{heading} `{name}{_signature(member)}`", "", *_docstring_md(member)]
    return out


def module_markdown(module: Any) -> str:
    out = [f"# `{module.path}`", "", *_docstring_md(module), *_members_md(module, 2)]
    return "\n".join(out).rstrip("\n") + "\n"


def _walk_modules(module: Any) -> list[Any]:
    found = [module]
    for member in module.modules.values():
        if not member.is_alias and not member.name.startswith("_"):
            found += _walk_modules(member)
    return found


class _Collected(logging.Handler):
    """griffe logs a module it cannot parse as an error (with its traceback) and goes on:
    the message belongs in the report, not on the worker's stderr. Its warnings about
    docstrings (a parameter without a type) are style notes on the user's code that
    pydoclint already reports, so they are not collected."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0][:300])


def markdown_reference(found: list[Package], style: Style, out_dir: Path) -> ReferenceOutcome:
    """One Markdown file per public module, from griffe's static view of the source;
    what griffe logs as an error while loading a package that loads becomes a warning (a package
    that does not load is one warning already)."""
    logger = logging.getLogger("griffe")
    collected = _Collected()
    logger.addHandler(collected)
    propagate, logger.propagate = logger.propagate, False
    try:
        return _markdown_reference(found, style, out_dir, collected)
    finally:
        logger.removeHandler(collected)
        logger.propagate = propagate


def _markdown_reference(
    found: list[Package], style: Style, out_dir: Path, collected: _Collected
) -> ReferenceOutcome:
    outcome = ReferenceOutcome()
    out_dir.mkdir(parents=True, exist_ok=True)
    index = ["# API reference", ""]
    for package in found:
        collected.messages.clear()
        try:
            loaded = griffe.load(
                package.name,
                search_paths=[package.root],
                allow_inspection=False,
                docstring_parser=GRIFFE_PARSER[style],
            )
            modules = _walk_modules(loaded)
            for module in modules:
                path = out_dir / f"{module.path}.md"
                path.write_text(module_markdown(module), encoding="utf-8")
                outcome.markdown.append(str(path))
                index.append(f"- [`{module.path}`]({module.path}.md)")
        except Exception as err:  # griffe's errors on odd code: one warning per package
            outcome.warnings.append(
                ReportWarning(
                    code="reference-markdown",
                    message=f"griffe could not load {package.name}: {err}",
                )
            )
            continue
        outcome.modules += len(modules)
        outcome.warnings += [
            ReportWarning(code="reference-markdown", message=f"griffe: {message}")
            for message in collected.messages
        ]
    (out_dir / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    outcome.markdown.insert(0, str(out_dir / "index.md"))
    return outcome


# --- HTML, from pdoc ---------------------------------------------------------------------


def html_reference(found: list[Package], out_dir: Path, timeout_s: int) -> ReferenceOutcome:
    """pdoc's HTML for the packages, in a subprocess: pdoc imports them, so their import
    roots go on its path and a hang stops at `timeout_s`."""
    outcome = ReferenceOutcome()
    if not found:
        return outcome
    roots = list(dict.fromkeys(p.root for p in found))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(roots), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pdoc", "--output-directory", str(out_dir)]
    command += [p.name for p in found]
    try:
        done = subprocess.run(
            command,
            cwd=roots[0],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        outcome.warnings.append(
            ReportWarning(code="reference-html", message=f"pdoc timed out after {timeout_s}s")
        )
        return outcome
    for line in dict.fromkeys(done.stderr.splitlines()):
        if _PDOC_PROBLEM.match(line):
            outcome.warnings.append(ReportWarning(code="reference-html", message=line.strip()))
    if done.returncode != 0 and not outcome.warnings:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        outcome.warnings.append(
            ReportWarning(code="reference-html", message=f"pdoc exited {done.returncode}: {tail}")
        )
    outcome.html = sorted(str(p) for p in out_dir.rglob("*.html")) if out_dir.is_dir() else []
    return outcome
