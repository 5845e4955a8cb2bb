"""The version agent: which version is about to ship, where it is declared, and whether
it is new and the right size.

Where the version is found, first match wins:

1. `[project].version` (or `[tool.poetry].version`) in pyproject.toml;
2. a dynamic version: `[tool.setuptools.dynamic] version = {attr | file}`,
   `[tool.hatch.version] path`, setup.cfg's `version = attr: | file:`; a version the
   VCS derives (setuptools-scm, hatch-vcs, pdm-scm) at an untagged HEAD is the one of
   the changelog's top entry (DESIGN section 10), with `vcs_version` = the version
   setuptools-scm would guess (next patch `.devN`). When that entry is not newer than
   the latest tag (termcolor's "2.0.0 and newer: see GitHub Releases"), nothing in the
   tree names the version: the tag to be created will, which is a warning;
3. a literal `version=` in setup.py or setup.cfg;
4. `__version__` in any shipped module (`__version__.py`, `__about__.py`,
   `_version.py`, `__init__.py` first), or a flat project's top-level module;
5. the changelog's top heading.

Versions are PEP 440 (`packaging.version`): that is what pip and PyPI order by, and
it accepts every SemVer release version. Tags are read the same way (`v1.2.3`,
`1.2.3`, `name-1.2.3`). Judgement:

- blocker: no version; a version that is not PEP 440; a version that some tag already
  names (it was released); a version not greater than the latest release tag; a
  project that follows SemVer (it says so, and its tags are MAJOR.MINOR.PATCH) with
  breaking changes since the tag (conventional `!`/`BREAKING CHANGE:` commits,
  towncrier `breaking` fragments) and no major bump (from 1.0 on; 0.x may break in
  a minor, SemVer item 4).
- warning: no release tag yet; uncommitted changes; a bump smaller than the commits
  since the tag suggest (outside the breaking-change rule); a version that skips
  releases (1.2 -> 1.4).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, Field

from activities.release_prep.changelog import find_changelog, read_towncrier, top_version
from activities.release_prep.commits import (
    Bump,
    Commit,
    bump_rank,
    parse_conventional,
    suggest_bump,
)
from activities.release_prep.evidence import Judged
from activities.release_prep.project import (
    GitError,
    find_packages,
    git,
    is_git_repo,
    read_ini,
    read_pyproject,
)
from workflows.schemas import AgentResult

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
"""The regular expression semver.org publishes for 2.0.0."""
_TAG = re.compile(r"^(?:[A-Za-z][\w.]*?[-_/])?[vV]?(\d.*)$")
_HATCH_PATTERN = re.compile(
    r"""^(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*(['"])v?(?P<version>[^'"]+)\1""", re.M
)
_SEMVER_MENTION = re.compile(r"semver\.org|semantic versioning", re.IGNORECASE)
_VERSION_FILES = ("__version__.py", "__about__.py", "_version.py", "version.py", "__init__.py")
_SCM_REQUIRES = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs")
MAX_COMMITS_IN_DATA = 200


class VersionOutcome(Judged):
    version: str | None
    source: str | None = None
    file: str | None = None
    line: int | None = None
    vcs_version: str | None = None
    backend: str | None = Field(default=None, description="setuptools-scm, hatch-vcs, pdm-scm")
    pep440: bool = False
    semver: bool = Field(default=False, description="The version is MAJOR.MINOR.PATCH[-pre]")
    follows_semver: bool = Field(default=False, description="The project says it uses SemVer")
    is_git_repo: bool = True
    latest_tag: str | None = None
    latest_version: str | None = None
    increases: bool | None = None
    bump: Bump | None = None
    suggested_bump: Bump = "none"
    breaking: list[str] = Field(default_factory=list, description="What shows a breaking change")
    commits: list[Commit] = Field(default_factory=list)
    dirty_files: list[str] = Field(default_factory=list)


class Found(BaseModel):
    version: str | None
    backend: str | None = Field(default=None, description="setuptools-scm, hatch-vcs...")
    source: str
    file: str | None = None
    line: int | None = None


def _key_line(text: str, section: str, key: str) -> int | None:
    """The line of `key = ...` inside `[section]` of a TOML or INI file."""
    current = ""
    assignment = re.compile(rf"^\s*{re.escape(key)}\s*[=:]")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped.strip("[] ")
        elif current == section and assignment.match(line):
            return number
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def dunder_version(path: Path) -> tuple[str, int] | None:
    """A string literal assigned to `__version__` in the module, and its line."""
    text = _read(path)
    if text is None or "__version__" not in text:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = getattr(node, "value", None)
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if (
            "__version__" in names
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            return value.value, node.lineno
    return None


def _source_roots(target: Path, pyproject: dict[str, Any]) -> list[Path]:
    package_dir = pyproject.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    roots = [target / package_dir[""]] if isinstance(package_dir.get(""), str) else []
    return [*roots, target / "src", target]


def _module_file(target: Path, dotted: str, pyproject: dict[str, Any]) -> Path | None:
    parts = dotted.split(".")
    for root in _source_roots(target, pyproject):
        for candidate in (
            root.joinpath(*parts).with_suffix(".py"),
            root.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return candidate
    return None


def _rel(target: Path, path: Path) -> str:
    return path.relative_to(target).as_posix()


def _from_attr(target: Path, attr: str, pyproject: dict[str, Any], how: str) -> Found | None:
    module, _, name = attr.strip().rpartition(".")
    path = _module_file(target, module, pyproject) if module else None
    if path is None:
        return None
    if name == "__version__":
        found = dunder_version(path)
    else:
        match = re.search(
            rf"""^{re.escape(name)}\s*=\s*['"]([^'"]+)['"]""", _read(path) or "", re.M
        )
        found = (match[1], (_read(path) or "")[: match.start()].count("\n") + 1) if match else None
    if found is None:
        return None
    rel = _rel(target, path)
    return Found(
        version=found[0], source=f"{rel}:{found[1]} {name} ({how})", file=rel, line=found[1]
    )


def _from_file(target: Path, name: str, how: str) -> Found | None:
    text = _read(target / name)
    if not text or not text.strip():
        return None
    return Found(
        version=text.strip().splitlines()[0].strip(), source=f"{name}:1 ({how})", file=name, line=1
    )


def _vcs_backend(target: Path, pyproject: dict[str, Any]) -> str | None:
    """setuptools-scm, hatch-vcs or pdm-scm when the version comes from git tags."""
    tool = pyproject.get("tool", {})
    if tool.get("hatch", {}).get("version", {}).get("source") == "vcs":
        return "hatch-vcs"
    if tool.get("pdm", {}).get("version", {}).get("source") == "scm":
        return "pdm-scm"
    if "setuptools_scm" in tool:
        return "setuptools-scm"
    requires = " ".join(pyproject.get("build-system", {}).get("requires", []))
    dynamic = "version" in pyproject.get("project", {}).get("dynamic", [])
    if dynamic and any(b in requires for b in _SCM_REQUIRES):
        return "setuptools-scm" if "setuptools" in requires else "hatch-vcs"
    setup_py = _read(target / "setup.py") or ""
    if "use_scm_version" in setup_py:
        return "setuptools-scm"
    return None


def _changelog_version(target: Path) -> Found | None:
    path = find_changelog(target)
    top = top_version(_read(path) or "") if path else None
    if path is None or top is None:
        return None
    rel = _rel(target, path)
    return Found(version=top[0], source=f"{rel}:{top[1]} top entry", file=rel, line=top[1])


def _dynamic(target: Path, pyproject: dict[str, Any]) -> Found | None:
    tool = pyproject.get("tool", {})
    declared = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if isinstance(declared, dict) and "attr" in declared:
        return _from_attr(target, declared["attr"], pyproject, "[tool.setuptools.dynamic] attr")
    if isinstance(declared, dict) and "file" in declared:
        files = declared["file"]
        return _from_file(
            target, files[0] if isinstance(files, list) else files, "[tool.setuptools.dynamic] file"
        )
    hatch_path = tool.get("hatch", {}).get("version", {}).get("path")
    if isinstance(hatch_path, str):
        text = _read(target / hatch_path) or ""
        match = _HATCH_PATTERN.search(text)
        if match:
            line = text[: match.start()].count("\n") + 1
            return Found(
                version=match["version"],
                source=f"{hatch_path}:{line} ([tool.hatch.version] path)",
                file=hatch_path,
                line=line,
            )
    return None


def _setup_cfg(target: Path, pyproject: dict[str, Any]) -> Found | None:
    value = read_ini(target / "setup.cfg").get("metadata", "version", fallback="").strip()
    if not value:
        return None
    if value.startswith("attr:"):
        return _from_attr(target, value.removeprefix("attr:"), pyproject, "setup.cfg attr:")
    if value.startswith("file:"):
        return _from_file(target, value.removeprefix("file:").strip(), "setup.cfg file:")
    line = _key_line(_read(target / "setup.cfg") or "", "metadata", "version")
    return Found(
        version=value, source=f"setup.cfg:{line} [metadata] version", file="setup.cfg", line=line
    )


def _setup_py(target: Path) -> Found | None:
    text = _read(target / "setup.py")
    if text is None:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if (
                keyword.arg == "version"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                return Found(
                    version=value.value,
                    source=f"setup.py:{value.lineno} setup(version=...)",
                    file="setup.py",
                    line=value.lineno,
                )
    return None


def _modules(target: Path) -> Found | None:
    """`__version__` in the shipped code: version files first, then any module."""
    candidates: list[Path] = []
    for package in find_packages(target):
        candidates += [package / name for name in _VERSION_FILES]
        candidates += sorted(package.rglob("*.py"))
    candidates += sorted(
        p for p in target.glob("*.py") if p.name not in ("setup.py", "conftest.py")
    )
    candidates += sorted((target / "src").glob("*.py")) if (target / "src").is_dir() else []
    seen: set[Path] = set()
    for path in candidates:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        found = dunder_version(path)
        if found is not None:
            rel = _rel(target, path)
            return Found(
                version=found[0], source=f"{rel}:{found[1]} __version__", file=rel, line=found[1]
            )
    return None


def read_version(target: Path) -> Found | None:
    """The version about to ship and where it is declared (module docstring for the order)."""
    pyproject = read_pyproject(target)
    text = _read(target / "pyproject.toml") or ""
    for name, section in (
        ("project", pyproject.get("project")),
        ("tool.poetry", pyproject.get("tool", {}).get("poetry")),
    ):
        label = f"[{name}]"
        if isinstance(section, dict) and isinstance(section.get("version"), str):
            line = _key_line(text, name, "version")
            return Found(
                version=section["version"],
                source=f"pyproject.toml:{line} {label}.version",
                file="pyproject.toml",
                line=line,
            )
    backend = _vcs_backend(target, pyproject)
    if backend is not None:
        found = _changelog_version(target) or Found(
            version=None, source=f"{backend}: the release tag sets it"
        )
        found.backend = backend
        if found.version is not None:
            found.source += f" (version from {backend} at an untagged HEAD)"
        return found
    for finder in (
        lambda: _dynamic(target, pyproject),
        lambda: _setup_cfg(target, pyproject),
        lambda: _setup_py(target),
        lambda: _modules(target),
        lambda: _changelog_version(target),
    ):
        found = finder()
        if found is not None:
            return found
    return None


def tag_version(tag: str) -> Version | None:
    """The version a tag names (`v1.2.3`, `1.2.3`, `name-1.2.3`), if it names one."""
    match = _TAG.match(tag.strip())
    if match is None:
        return None
    try:
        return Version(match[1])
    except InvalidVersion:
        return None


def _tags(target: Path, *args: str) -> list[tuple[str, Version]]:
    try:
        out = git(target, "tag", "--list", *args)
    except GitError:
        return []
    return [(tag, v) for tag in out.split() if (v := tag_version(tag)) is not None]


def latest_tag(target: Path) -> tuple[str, Version] | None:
    """The greatest release version among the tags reachable from HEAD."""
    reachable = _tags(target, "--merged", "HEAD")
    return max(reachable, key=lambda tv: tv[1], default=None)


def commits_since(target: Path, tag: str | None) -> list[Commit]:
    """Commits after `tag` (all of HEAD's history when there is no tag), newest first."""
    span = f"{tag}..HEAD" if tag else "HEAD"
    try:
        out = git(target, "log", span, "--format=%H%x1f%s%x1f%b%x1e")
    except GitError:
        return []  # a repository without commits yet
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append(Commit(sha=fields[0], subject=fields[1], body=fields[2].strip()))
    return commits


def dirty_files(target: Path) -> list[str]:
    out = git(target, "status", "--porcelain", "--untracked-files=normal")
    return [line[3:] for line in out.splitlines() if line.strip()]


def bump_between(older: Version, newer: Version) -> Bump:
    """How big a step `newer` is over `older` by MAJOR.MINOR.MICRO."""
    old = (*older.release, 0, 0)[:3]
    new = (*newer.release, 0, 0)[:3]
    for index, kind in enumerate(("major", "minor", "patch")):
        if new[index] != old[index]:
            return kind  # type: ignore[return-value]
    return "none"


def follows_semver(target: Path, tags: list[tuple[str, Version]]) -> bool:
    """The project says it follows SemVer and its tags are MAJOR.MINOR.PATCH."""
    if any(len(v.release) != 3 for _, v in tags):
        return False
    texts = [find_changelog(target)]
    texts += [
        p
        for p in target.iterdir()
        if p.is_file() and p.name.lower().startswith(("readme", "contributing"))
    ]
    return any(path is not None and _SEMVER_MENTION.search(_read(path) or "") for path in texts)


def check_version(target: Path) -> VersionOutcome:
    """Find the version, then judge it against the release tags and the changes since."""
    found = read_version(target)
    outcome = VersionOutcome(version=found.version if found else None)
    if found is not None:
        outcome.source, outcome.file, outcome.line = found.source, found.file, found.line
        outcome.backend = found.backend
    if not is_git_repo(target):
        outcome.is_git_repo = False
        outcome.warnings.append("not a git repository: no tags, commits or working-tree checks")
        _parse(outcome)
        return outcome
    if outcome.backend is not None:
        _from_the_tag(target, outcome)
    current = _parse(outcome)
    _compare_with_tags(target, outcome, current)
    outcome.dirty_files = dirty_files(target)
    if outcome.dirty_files:
        outcome.warnings.append(
            f"{len(outcome.dirty_files)} uncommitted change(s) "
            f"({', '.join(outcome.dirty_files[:5])}): the release would not match any commit"
        )
    return outcome


def _from_the_tag(target: Path, outcome: VersionOutcome) -> None:
    """A VCS-versioned project: the version setuptools-scm would build now, and whether
    the changelog names a newer one (else the tag to be created is the only source)."""
    latest = latest_tag(target)
    if latest is None:
        return
    micro = (*latest[1].release, 0, 0)[:3]
    commits = len(commits_since(target, latest[0]))
    outcome.vcs_version = f"{micro[0]}.{micro[1]}.{micro[2] + 1}.dev{commits}"
    named = _version_or_none(outcome.version)
    if named is not None and named > latest[1]:
        return
    what = f"its top entry {outcome.version}" if outcome.version else "no version"
    outcome.warnings.append(
        f"the version comes from the tag to be created ({outcome.backend}); the changelog "
        f"names {what}, not newer than {latest[0]}, so nothing in the tree says which "
        f"version this is: tag it above {latest[0]}"
    )
    outcome.version = None
    outcome.source = f"{outcome.backend}: the release tag sets it"
    outcome.file = outcome.line = None


def _version_or_none(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _parse(outcome: VersionOutcome) -> Version | None:
    if outcome.version is None and outcome.backend is not None:
        return None  # the tag will say; warned about where that was found
    if outcome.version is None:
        outcome.block(
            "no version found (pyproject, setup.py/setup.cfg, a module's __version__ or the "
            "changelog's top entry)"
        )
        return None
    outcome.semver = _SEMVER.match(outcome.version) is not None
    try:
        current = Version(outcome.version)
    except InvalidVersion:
        outcome.block(
            f"version {outcome.version!r} is not a valid PEP 440 version",
            file=outcome.file,
            line=outcome.line,
        )
        return None
    outcome.pep440 = True
    return current


def _compare_with_tags(target: Path, outcome: VersionOutcome, current: Version | None) -> None:
    latest = latest_tag(target)
    outcome.latest_tag = latest[0] if latest else None
    outcome.commits = commits_since(target, outcome.latest_tag)
    outcome.suggested_bump = suggest_bump(outcome.commits)
    if latest is None:
        outcome.warnings.append("no release tag yet: treating this as the first release")
        return
    tag, previous = latest
    outcome.latest_version = str(previous)
    if current is None:
        return
    where = {"file": outcome.file, "line": outcome.line}
    same = [name for name, v in _tags(target) if v == current]
    outcome.increases = current > previous
    if same:
        outcome.block(f"version {outcome.version} is already tagged ({same[0]})", **where)
        return
    if not outcome.increases:
        outcome.block(
            f"version {outcome.version} is not greater than the latest release tag {tag}", **where
        )
        return
    outcome.bump = bump_between(previous, current)
    _judge_bump(target, outcome, tag, previous, current)


def _judge_bump(
    target: Path, outcome: VersionOutcome, tag: str, previous: Version, current: Version
) -> None:
    outcome.follows_semver = follows_semver(target, _tags(target, "--merged", "HEAD"))
    for commit in outcome.commits:
        parsed = parse_conventional(commit)
        if parsed is not None and parsed.breaking:
            outcome.breaking.append(f"commit {commit.sha[:10]} {commit.subject}")
    towncrier = read_towncrier(target)
    if towncrier is not None:
        outcome.breaking += [f"towncrier fragment {f}" for f in towncrier.breaking]
    if outcome.breaking and outcome.suggested_bump != "major":
        outcome.suggested_bump = "major"
    assert outcome.bump is not None
    needs_major = outcome.breaking and previous.major >= 1 and outcome.bump != "major"
    if needs_major and outcome.follows_semver:
        outcome.block(
            f"breaking changes since {tag} need a major version under SemVer, but "
            f"{outcome.version} is a {outcome.bump} bump ({outcome.breaking[0]})",
            file=outcome.file,
            line=outcome.line,
        )
    elif bump_rank(outcome.bump) < bump_rank(outcome.suggested_bump):
        outcome.warnings.append(
            f"commits since {tag} suggest a {outcome.suggested_bump} bump, "
            f"but {outcome.version} is a {outcome.bump} bump"
        )
    if _skips(previous, current):
        outcome.warnings.append(f"{outcome.version} skips versions after {tag}")


def _skips(previous: Version, current: Version) -> bool:
    old = (*previous.release, 0, 0)[:3]
    new = (*current.release, 0, 0)[:3]
    if new[0] != old[0]:
        return new[0] > old[0] + 1
    if new[1] != old[1]:
        return new[1] > old[1] + 1
    return new[2] > old[2] + 1


def to_agent_result(outcome: VersionOutcome, role: str) -> AgentResult:
    """Carries the version, its source, the tag and commit subjects the docs agent needs."""
    if outcome.version is None:
        summary = "no version found"
    else:
        since = f"since {outcome.latest_tag}" if outcome.latest_tag else "(no tag yet)"
        summary = (
            f"version {outcome.version} from {outcome.source}: {len(outcome.commits)} commits "
            f"{since}, bump {outcome.bump or 'n/a'} (suggested {outcome.suggested_bump})"
        )
    return AgentResult(
        role=role,
        status="ok",
        summary=summary,
        blockers=outcome.blockers,
        warnings=outcome.warnings,
        data={
            "version": outcome.version,
            "source": outcome.source,
            "vcs_version": outcome.vcs_version,
            "pep440": outcome.pep440,
            "semver": outcome.semver,
            "follows_semver": outcome.follows_semver,
            "latest_tag": outcome.latest_tag,
            "increases": outcome.increases,
            "bump": outcome.bump,
            "suggested_bump": outcome.suggested_bump,
            "breaking": outcome.breaking[:20],
            "commit_count": len(outcome.commits),
            "commits": [c.subject for c in outcome.commits[:MAX_COMMITS_IN_DATA]],
            "dirty_files": len(outcome.dirty_files),
            "blocker_details": outcome.details_data(),
        },
    )
