"""How a project tests itself, read from what it declares, so its tests run with its own
dependencies and plugins rather than attune's.

The first declaration found, in this order, says what the test environment holds:

1. an existing `.venv` that can import pytest (the developer's own environment);
2. tox (`tox.ini`, `[tool.tox]`, setup.cfg `[tox:tox]`): `[testenv]` `deps` and `extras`;
3. nox (`noxfile.py`): the `session.install(...)` literals of a test session;
4. hatch: `[tool.hatch.envs.test|tests|default]` `dependencies` and `features`;
5. uv / PEP 735: `[dependency-groups]` test/tests/testing/dev, `[tool.uv] dev-dependencies`;
6. `[project.optional-dependencies]` test/tests/testing/dev extras;
7. requirements files: requirements-dev/test, test-/dev-requirements, requirements/*.

The project's own dependencies (`[project].dependencies`, setup.cfg/setup.py
`install_requires`) always join, and its build requirements (`[build-system].requires`,
setuptools without one: each run installs the project without build isolation, in
a second, not the half a minute an isolated build takes), and pytest (and coverage
when the project configures it) when the declaration lacks them. Conditional tox
lines (`py39: x`) and VCS URLs are left out: the environment must be buildable from
an index.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from activities.release_prep.project import read_ini, read_pyproject
from activities.tool_envs import TEST_RUNNER

TEST_GROUPS = ("test", "tests", "testing", "dev")
HATCH_ENVS = ("test", "tests", "testing", "default")
REQUIREMENT_FILES = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements_test.txt",
    "requirements-dev.txt",
    "requirements_dev.txt",
    "test-requirements.txt",
    "test_requirements.txt",
    "dev-requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "requirements/dev.txt",
    "requirements/development.txt",
    "tests/requirements.txt",
)
_TOX_FACTOR = re.compile(r"^[\w{},.!-]+:\s")


@dataclass
class TestEnvPlan:
    __test__ = False  # a plan, not a pytest test class

    description: str
    requirements: list[str] = field(default_factory=list)
    existing_python: str | None = None
    coverage: bool = False


def _valid(lines: list[str], project: str | None) -> list[str]:
    """Requirement strings pip can install from an index, the project itself left out."""
    kept = []
    for line in lines:
        try:
            requirement = Requirement(line.strip())
        except InvalidRequirement:
            continue
        if requirement.url:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if project and canonicalize_name(requirement.name) == project:
            continue
        kept.append(str(requirement))
    return kept


def _self_extras(lines: list[str], project: str | None) -> list[str]:
    """Extras of the project named in its own lists (`pkg[test]`, `.[test]`, `-e .[dev]`)."""
    extras: list[str] = []
    for line in lines:
        text = line.strip().removeprefix("-e").strip()
        match = re.match(r"^(\.|[\w.-]+)\[([^\]]+)\]", text)
        if match and (match[1] == "." or canonicalize_name(match[1]) == project):
            extras += [e.strip() for e in match[2].split(",")]
    return extras


def requirement_file(target: Path, relative: str, seen: set[Path] | None = None) -> list[str]:
    """The requirement lines of a pip requirements file, following `-r` includes."""
    seen = seen if seen is not None else set()
    path = (target / relative).resolve()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #")[0].strip()
        if line.startswith(("-r", "--requirement")):
            include = line.split(maxsplit=1)[-1].removeprefix("-r").strip()
            lines += requirement_file(path.parent, include, seen)
        elif (line and not line.startswith(("#", "-"))) or line.startswith("-e"):
            lines.append(line)
    return lines


def _project_name(pyproject: dict[str, Any], target: Path) -> str | None:
    name = pyproject.get("project", {}).get("name")
    if isinstance(name, str):
        return canonicalize_name(name)
    name = read_ini(target / "setup.cfg").get("metadata", "name", fallback="")
    return canonicalize_name(name) if name else None


def _setup_py_list(target: Path, keyword: str) -> list[str] | dict[str, list[str]]:
    """`install_requires=` or `extras_require=` of setup.py: a literal, or the name of a
    module-level literal (requests' `install_requires=requires`)."""
    try:
        tree = ast.parse((target / "setup.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    assigned = {
        target_node.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target_node in node.targets
        if isinstance(target_node, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg != keyword:
                continue
            value = (
                assigned.get(kw.value.id, kw.value) if isinstance(kw.value, ast.Name) else kw.value
            )
            try:
                return ast.literal_eval(value)
            except ValueError:
                return []
    return []


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def project_dependencies(target: Path, pyproject: dict[str, Any]) -> list[str]:
    dependencies = pyproject.get("project", {}).get("dependencies")
    if isinstance(dependencies, list):
        return dependencies
    cfg = read_ini(target / "setup.cfg")
    if cfg.has_option("options", "install_requires"):
        return _lines(cfg.get("options", "install_requires"))
    found = _setup_py_list(target, "install_requires")
    return found if isinstance(found, list) else []


def extras(target: Path, pyproject: dict[str, Any]) -> dict[str, list[str]]:
    declared = pyproject.get("project", {}).get("optional-dependencies")
    if isinstance(declared, dict):
        return {k: list(v) for k, v in declared.items()}
    cfg = read_ini(target / "setup.cfg")
    if cfg.has_section("options.extras_require"):
        return {k: _lines(v) for k, v in cfg.items("options.extras_require")}
    found = _setup_py_list(target, "extras_require")
    return found if isinstance(found, dict) else {}


def coverage_configured(target: Path, pyproject: dict[str, Any]) -> bool:
    if "coverage" in pyproject.get("tool", {}) or (target / ".coveragerc").is_file():
        return True
    for name in ("setup.cfg", "tox.ini"):
        try:
            if "[coverage:" in (target / name).read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


def coverage_fail_under(target: Path, pyproject: dict[str, Any]) -> float | None:
    """The project's own coverage bar (`fail_under`), if it sets one."""
    value = pyproject.get("tool", {}).get("coverage", {}).get("report", {}).get("fail_under")
    if isinstance(value, int | float):
        return float(value)
    for name, section in ((".coveragerc", "report"), ("setup.cfg", "coverage:report")):
        try:
            return float(read_ini(target / name).get(section, "fail_under"))
        except (configparser.Error, ValueError):
            continue
    return None


def _tox(target: Path, pyproject: dict[str, Any]) -> tuple[str, list[str], list[str]] | None:
    """(where, deps, extras) of tox's base `[testenv]`."""
    sources: list[tuple[str, str]] = []
    legacy = pyproject.get("tool", {}).get("tox", {}).get("legacy_tox_ini")
    if isinstance(legacy, str):
        sources.append(("pyproject.toml [tool.tox]", legacy))
    for name in ("tox.ini", "setup.cfg"):
        try:
            sources.append((name, (target / name).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    for where, text in sources:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        section = "testenv"
        if not parser.has_section(section) or (where == "setup.cfg" and "tox:tox" not in parser):
            continue
        deps = [
            line
            for line in _lines(parser.get(section, "deps", fallback=""))
            if not _TOX_FACTOR.match(line)
        ]
        resolved: list[str] = []
        for line in deps:
            if line.startswith("-r"):
                include = line.removeprefix("-r").strip().replace("{toxinidir}/", "")
                resolved += requirement_file(target, include)
            else:
                resolved.append(line)
        wanted = [
            e.strip() for e in re.split(r"[,\s]+", parser.get(section, "extras", fallback=""))
        ]
        return f"tox ({where} [testenv])", resolved, [e for e in wanted if e]
    return None


def _nox(target: Path) -> tuple[str, list[str], list[str]] | None:
    try:
        tree = ast.parse((target / "noxfile.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    sessions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("test", "tests"))
    ]
    lines: list[str] = []
    for session in sessions:
        for call in ast.walk(session):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "install"
            ):
                args = [a.value for a in call.args if isinstance(a, ast.Constant)]
                strings = [a for a in args if isinstance(a, str)]
                for index, arg in enumerate(strings):
                    if arg == "-r" and index + 1 < len(strings):
                        lines += requirement_file(target, strings[index + 1])
                    elif not arg.startswith("-") and (index == 0 or strings[index - 1] != "-r"):
                        lines.append(arg)
    if not sessions:
        return None
    return "nox (noxfile.py test session)", lines, []


def _hatch(pyproject: dict[str, Any]) -> tuple[str, list[str], list[str]] | None:
    envs = pyproject.get("tool", {}).get("hatch", {}).get("envs", {})
    for name in HATCH_ENVS:
        env = envs.get(name)
        if isinstance(env, dict) and (env.get("dependencies") or env.get("features")):
            deps = [*env.get("dependencies", []), *env.get("extra-dependencies", [])]
            return f"hatch ([tool.hatch.envs.{name}])", deps, list(env.get("features", []))
    return None


def _groups(pyproject: dict[str, Any]) -> tuple[str, list[str], list[str]] | None:
    groups = pyproject.get("dependency-groups", {})

    def expand(name: str, depth: int = 0) -> list[str]:
        items: list[str] = []
        for item in groups.get(name, []):
            if isinstance(item, str):
                items.append(item)
            elif isinstance(item, dict) and "include-group" in item and depth < 5:
                items += expand(item["include-group"], depth + 1)
        return items

    for name in TEST_GROUPS:
        if name in groups:
            return f"dependency group ([dependency-groups] {name})", expand(name), []
    dev = pyproject.get("tool", {}).get("uv", {}).get("dev-dependencies")
    if isinstance(dev, list) and dev:
        return "uv ([tool.uv] dev-dependencies)", list(dev), []
    return None


def _extras_decl(
    target: Path, pyproject: dict[str, Any]
) -> tuple[str, list[str], list[str]] | None:
    declared = extras(target, pyproject)
    for name in TEST_GROUPS:
        if name in declared:
            return "[project.optional-dependencies]", [], [name]
    return None


def _requirement_files(target: Path) -> tuple[str, list[str], list[str]] | None:
    for name in REQUIREMENT_FILES:
        if (target / name).is_file():
            return f"requirements file {name}", requirement_file(target, name), []
    return None


def _existing_venv(target: Path) -> str | None:
    python = target / ".venv" / "bin" / "python"
    return str(python) if python.exists() else None


def plan_test_env(target: Path) -> TestEnvPlan:
    """What the test environment must hold, from the first declaration found."""
    existing = _existing_venv(target)
    pyproject = read_pyproject(target)
    coverage = coverage_configured(target, pyproject)
    if existing is not None:
        return TestEnvPlan("the project's own .venv", existing_python=existing, coverage=coverage)
    project = _project_name(pyproject, target)
    declaration = (
        _tox(target, pyproject)
        or _nox(target)
        or _hatch(pyproject)
        or _groups(pyproject)
        or _extras_decl(target, pyproject)
        or _requirement_files(target)
    )
    where, deps, wanted = declaration or ("no test declaration (pytest only)", [], [])
    wanted = [*wanted, *_self_extras(deps, project)]
    declared_extras = extras(target, pyproject)
    lines = list(project_dependencies(target, pyproject)) + deps
    for extra in dict.fromkeys(wanted):
        lines += declared_extras.get(extra, [])
    if wanted:
        where += f" with extras {', '.join(dict.fromkeys(wanted))}"
    build = pyproject.get("build-system", {}).get("requires") or ["setuptools>=40.8.0"]
    requirements = list(dict.fromkeys(_valid([*lines, *build], project)))
    names = {canonicalize_name(Requirement(r).name) for r in requirements}
    pytest, coverage_pin, _ = TEST_RUNNER
    if "pytest" not in names:
        requirements.append(pytest)
    if coverage and "coverage" not in names:
        requirements.append(coverage_pin)
    return TestEnvPlan(where, requirements=requirements, coverage=coverage)
