"""pytest plugin of a candidate test's run: coverage of the module under test and how
each test ended, written as JSON to ATTUNE_PROBE_OUT.

A failure counts as the code raising when the exception is not an AssertionError and
its traceback passes through the module under test (ATTUNE_PROBE_MODULE, a file path);
the last line of that module in the traceback is where it was raised.
"""

import json
import os
import sys

import coverage
import pytest

_MODULE = os.path.realpath(os.environ["ATTUNE_PROBE_MODULE"])
_OUT = os.environ["ATTUNE_PROBE_OUT"]
_TESTS = {}
_COVERAGE = coverage.Coverage(data_file=None, branch=True, include=[_MODULE], config_file=False)


def pytest_configure(config):
    _COVERAGE.start()


def pytest_collection_finish(session):
    """Property tests run the same examples on both runs (derandomize), store nothing
    (no database), and a slow machine is not a failure (no deadline, no too_slow)."""
    if "hypothesis" in sys.modules:
        from hypothesis import HealthCheck, settings

        settings.register_profile(
            "attune",
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        settings.load_profile("attune")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    entry = _TESTS.setdefault(item.name, {"outcome": "passed"})
    if report.failed and entry["outcome"] == "passed":
        entry["outcome"] = "failed" if call.when == "call" else "error"
        excinfo = call.excinfo
        if excinfo is not None:
            lines = [
                frame.lineno + 1
                for frame in excinfo.traceback
                if os.path.realpath(str(frame.path)) == _MODULE
            ]
            entry.update(
                exception=f"{excinfo.type.__name__}: {excinfo.value}"[:500],
                assertion=isinstance(excinfo.value, AssertionError),
                module_line=lines[-1] if lines else None,
            )
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
    return report


def pytest_unconfigure(config):
    _COVERAGE.stop()
    measured = {}
    try:
        data = os.path.join(os.path.dirname(_OUT), "coverage.json")
        _COVERAGE.json_report(outfile=data)
        with open(data, encoding="utf-8") as fh:
            files = json.load(fh)["files"]
        measured = next(iter(files.values()), {})
    except coverage.exceptions.NoDataError:
        measured = {}
    with open(_OUT, "w", encoding="utf-8") as fh:
        json.dump({"tests": _TESTS, "coverage": measured}, fh)
