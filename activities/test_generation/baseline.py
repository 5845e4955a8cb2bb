"""Coverage before: the project's own tests run once under `coverage run --branch`.

The tests are the files named test_*.py or *_test.py under the project root (found the
way every flow discovers files: .gitignore, virtualenvs and tool caches left out).
pytest runs in a subprocess of the project's interpreter (its .venv when it has one),
in the project root, with the import root first on PYTHONPATH, a timeout that kills
the whole process group, and the coverage data, the pytest cache and byte code kept out
of the project. Failing tests still cover what they ran, so exit codes 0 and 1 both
give a baseline; a suite that cannot run leaves an empty one, with the reason.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from activities.discovery import discover_files
from activities.release_prep.project import target_python
from activities.test_generation.isolation import OUTPUT_TAIL, run_group
from activities.test_generation.modules import MAX_FILE_BYTES, is_test_file
from workflows.test_generation.models import Baseline, Coverage, ModuleSpec

PYTEST_NO_TESTS = 5


def find_tests(project_root: Path) -> list[str]:
    """The project's test files, relative to the project root."""
    found = discover_files(project_root, MAX_FILE_BYTES)
    return [rel for rel in found.files if rel.endswith(".py") and is_test_file(rel)]


def measure_baseline(
    project_root: Path, import_root: Path, modules: list[ModuleSpec], timeout_s: float
) -> tuple[Baseline, dict[str, Coverage]]:
    """The baseline's status and each module's coverage by the existing tests."""
    tests = find_tests(project_root)
    if not tests:
        return Baseline(status="no-tests", reason="the project has no test files"), {}
    python = target_python(project_root)
    with tempfile.TemporaryDirectory(prefix="attune-baseline-") as tmp:
        work = Path(tmp)
        files = {str((import_root / m.file).resolve()): m.module for m in modules}
        rc = work / "coveragerc"
        rc.write_text("[run]\nbranch = True\ninclude =\n    " + "\n    ".join(files) + "\n")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_"))
        }
        env.update(
            COVERAGE_FILE=str(work / ".coverage"),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(import_root), env.get("PYTHONPATH")])),
        )
        command = [
            python, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q",
            "-p", "no:cacheprovider", f"--basetemp={work / 'basetemp'}", *tests,
        ]  # fmt: skip
        code, output = run_group(command, project_root, env, timeout_s)
        shown = [*command[:5], "-m", "pytest", f"({len(tests)} test files)"]
        if code is None:
            reason = f"the project's tests did not finish within {timeout_s:g} s and were killed"
            return Baseline(status="timed-out", reason=reason, command=shown), {}
        if code == PYTEST_NO_TESTS:
            reason = "pytest collected no tests"
            return Baseline(status="no-tests", reason=reason, command=shown), {}
        if code not in (0, 1):
            reason = f"pytest exited with code {code}: {output[-OUTPUT_TAIL:].strip()}"
            return Baseline(status="failed", reason=reason, command=shown), {}
        report = work / "coverage.json"
        run_group(
            [python, "-m", "coverage", "json", f"--rcfile={rc}", "-q", "-o", str(report)],
            project_root, env, timeout_s,
        )  # fmt: skip
        measured = json.loads(report.read_text()).get("files", {}) if report.is_file() else {}
    coverage: dict[str, Coverage] = {}
    for name, data in measured.items():
        module = files.get(str((project_root / name).resolve()))
        if module is not None:
            coverage[module] = Coverage(
                lines=sorted(data["executed_lines"]),
                branches=sorted(tuple(arc) for arc in data.get("executed_branches", [])),
                statements=data["summary"]["num_statements"],
                branches_total=data["summary"].get("num_branches", 0),
            )
    reason = "" if code == 0 else "some of the project's tests fail; their coverage counts"
    return (
        Baseline(status="ok", reason=reason, command=shown, tests_found=len(tests)),
        coverage,
    )
