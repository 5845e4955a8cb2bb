"""dependency-check: the inventory of each file format, OSV matching edge cases, the
database import (directory, zip, tar.gz, the real PyPA snapshot) and update (a loopback
HTTP server), hygiene, the SBOM against its schema, then the flow end to end on the dev
server and through the CLI."""

from __future__ import annotations

import io
import json
import os
import tarfile
import textwrap
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from temporalio.client import Client

from activities.artifacts import ArtifactStore
from activities.dependency_check import database, osv
from activities.dependency_check.hygiene import (
    confusion_check,
    find_environment,
    installed,
    licences,
    private_looking,
    run_deptry,
)
from activities.dependency_check.inventory import build_inventory, poetry_specifier
from activities.dependency_check.sbom import build_sbom
from activities.dependency_check.vulnerabilities import check_advisories
from activities.release_prep.decision import recommend
from activities.reports import FINDINGS
from starter import runner
from tests.release.conftest import Repo
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_cli import attune
from worker import running_worker
from workflows.dependency_check.models import Dependency, DependencyCheckRequest
from workflows.pr_review.models import PrReviewRequest
from workflows.registry import registry
from workflows.schemas import AgentInput, AgentResult
from workflows.wire import PROGRESS_QUERY, SECURITY_AGENT, TASK_QUEUE

ENTRY = registry().flows["dependency-check"]
SNAPSHOT = Path(
    os.environ.get("ATTUNE_ADVISORY_SNAPSHOT")
    or Path(__file__).resolve().parents[2] / "shared/benchmarks/advisories"
    / "pypa-advisory-database.tar.gz"
)  # fmt: skip
"""The PyPA snapshot beside the checkout (../shared), or where the variable says."""
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def where(deps: list[Dependency]) -> dict[tuple[str, str], tuple[int, str, str | None]]:
    return {(d.file, d.name): (d.line, d.specifier, d.version) for d in deps}


# --------------------------------------------------------------------------- inventory


def test_requirements_with_includes_constraints_hashes_and_markers(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "requirements.txt": """
                # pinned for production
                -r base.txt
                --constraint constraints.txt
                --extra-index-url https://pypi.corp.example/simple
                Django>=3.0  # the web framework
                requests==2.19.0 \\
                    --hash=sha256:0000
                pywin32==300 ; sys_platform == "win32"
                -e git+https://example.org/acme/tool.git#egg=acme-tool
                ./vendored/pkg
                -r missing.txt
            """,
            "base.txt": "Flask[async]==0.12\n",
            "constraints.txt": "django==3.2.1\n",
        },
    )
    inventory = build_inventory(root)
    found = where(inventory.dependencies)
    assert found[("requirements.txt", "django")] == (5, "==3.2.1,>=3.0", "3.2.1")
    assert found[("requirements.txt", "requests")] == (6, "==2.19.0", "2.19.0")
    assert found[("base.txt", "flask")] == (1, "==0.12", "0.12")
    assert found[("constraints.txt", "django")] == (1, "==3.2.1", "3.2.1")
    by_name = {(d.file, d.name): d for d in inventory.dependencies}
    assert by_name[("constraints.txt", "django")].kind == "constraint"
    assert by_name[("requirements.txt", "django")].constrained_by == "constraints.txt:1"
    assert by_name[("requirements.txt", "pywin32")].marker == 'sys_platform == "win32"'
    assert by_name[("base.txt", "flask")].extras == ["async"]
    assert by_name[("requirements.txt", "acme-tool")].url is not None
    assert inventory.indexes == ["https://pypi.corp.example/simple"]
    assert [(w.code, w.line) for w in inventory.warnings] == [
        ("unnamed-requirement", 10),
        ("missing-include", 11),
    ]
    assert sorted(inventory.files) == ["base.txt", "constraints.txt", "requirements.txt"]


def test_pyproject_pep621_groups_poetry_pdm_and_uv(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "acme-web"
                dependencies = [
                    "jinja2>=2.10",
                    'PyYAML==5.3; python_version < "3.12"',
                ]
                [project.optional-dependencies]
                dev = ["pytest==6.0"]

                [dependency-groups]
                lint = ["ruff", {include-group = "dev"}]

                [tool.poetry.dependencies]
                python = "^3.9"
                urllib3 = "^1.24"
                "pillow" = {version = "~8.1", markers = "python_version > '3'"}
                [tool.poetry.group.docs.dependencies]
                sphinx = "3.0.0"

                [tool.pdm.dev-dependencies]
                test = ["coverage==5.0"]

                [tool.uv]
                dev-dependencies = ["mypy==0.900"]
                constraint-dependencies = ["idna<3"]
            """
        },
    )
    inventory = build_inventory(root)
    found = where(inventory.dependencies)
    assert found == {
        ("pyproject.toml", "jinja2"): (4, ">=2.10", None),
        ("pyproject.toml", "pyyaml"): (5, "==5.3", "5.3"),
        ("pyproject.toml", "pytest"): (8, "==6.0", "6.0"),
        ("pyproject.toml", "ruff"): (11, "", None),
        ("pyproject.toml", "urllib3"): (15, "<2,>=1.24", None),
        ("pyproject.toml", "pillow"): (16, "<8.2,>=8.1", None),
        ("pyproject.toml", "sphinx"): (18, "==3.0.0", "3.0.0"),
        ("pyproject.toml", "coverage"): (21, "==5.0", "5.0"),
        ("pyproject.toml", "mypy"): (24, "==0.900", "0.900"),
        ("pyproject.toml", "idna"): (25, "<3", None),
    }
    groups = {d.name: (d.source, d.group, d.kind) for d in inventory.dependencies}
    assert groups["pytest"] == ("pep621", "dev", "requirement")
    assert groups["ruff"] == ("dependency-groups", "lint", "requirement")
    assert groups["sphinx"] == ("poetry", "docs", "requirement")
    assert groups["coverage"] == ("pdm", "test", "requirement")
    assert groups["idna"] == ("uv", "constraint-dependencies", "constraint")
    assert inventory.project_names == ["acme-web"]


def test_poetry_constraints_become_pep440() -> None:
    assert poetry_specifier("^1.2.3") == ">=1.2.3,<2"
    assert poetry_specifier("^0.2.3") == ">=0.2.3,<0.3"
    assert poetry_specifier("^0.0.3") == ">=0.0.3,<0.0.4"
    assert poetry_specifier("~1.2.3") == ">=1.2.3,<1.3"
    assert poetry_specifier("~1") == ">=1,<2"
    assert poetry_specifier("1.2.3") == "==1.2.3"
    assert poetry_specifier("*") == ""
    assert poetry_specifier(">=1.0,<2.0") == ">=1.0,<2.0"
    assert poetry_specifier(">=1.0 <2.0") == ">=1.0,<2.0"
    with pytest.raises(ValueError, match="union"):
        poetry_specifier("^1.0 || ^2.0")


def test_setup_cfg_and_lock_files(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "setup.cfg": """
                [metadata]
                name = acme
                [options]
                install_requires =
                    lxml>=4.0
                    numpy==1.16.0 ; python_version<"3.9"
                [options.extras_require]
                s3 = boto3==1.0
            """,
            "poetry.lock": """
                [[package]]
                name = "urllib3"
                version = "1.24.1"

                [[package]]
                name = "Pillow"
                version = "8.1.0"
            """,
            "uv.lock": """
                version = 1
                [[package]]
                name = "acme"
                version = "0.1.0"
                source = { editable = "." }

                [[package]]
                name = "idna"
                version = "2.8"
                source = { registry = "https://pypi.org/simple" }
            """,
            "pylock.toml": """
                lock-version = "1.0"
                [[packages]]
                name = "jinja2"
                version = "2.10"
            """,
            "Pipfile.lock": """
                {
                    "_meta": {"sources": [{"url": "https://pypi.org/simple"}]},
                    "default": {
                        "urllib3": {"version": "==1.25.0"}
                    },
                    "develop": {
                        "pytest": {"version": "==6.0.0", "markers": "python_version >= '3'"}
                    }
                }
            """,
        },
    )
    inventory = build_inventory(root)
    found = where(inventory.dependencies)
    assert found == {
        ("setup.cfg", "lxml"): (5, ">=4.0", None),
        ("setup.cfg", "numpy"): (6, "==1.16.0", "1.16.0"),
        ("setup.cfg", "boto3"): (8, "==1.0", "1.0"),
        ("poetry.lock", "urllib3"): (2, "==1.24.1", "1.24.1"),
        ("poetry.lock", "pillow"): (6, "==8.1.0", "8.1.0"),
        ("uv.lock", "idna"): (8, "==2.8", "2.8"),
        ("pylock.toml", "jinja2"): (3, "==2.10", "2.10"),
        ("Pipfile.lock", "urllib3"): (4, "==1.25.0", "1.25.0"),
        ("Pipfile.lock", "pytest"): (7, "==6.0.0", "6.0.0"),
    }
    assert {d.kind for d in inventory.dependencies if d.file.endswith("lock")} == {"lock"}


def test_a_single_file_target_and_what_is_skipped(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "old.txt": "requests==2.0\n",
            "pyproject.toml": "[project\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".venv/requirements.txt": "ignored==1\n",
        },
    )
    assert where(build_inventory(root / "old.txt").dependencies) == {
        ("old.txt", "requests"): (1, "==2.0", "2.0")
    }
    inventory = build_inventory(root)
    assert inventory.dependencies == []
    assert [s.path for s in inventory.skipped] == ["pyproject.toml"]
    assert inventory.skipped[0].reason.startswith("invalid TOML")


# --------------------------------------------------------------------------- OSV semantics


def advisory(ident: str, *ranges: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "package": {"name": extra.pop("package", "Demo_Pkg"), "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": events} for events in ranges],
    }
    if "versions" in extra:
        entry["versions"] = extra.pop("versions")
    return {"id": ident, "modified": "2024-01-01T00:00:00Z", "affected": [entry], **extra}


TWO_WINDOWS = advisory(
    "PYSEC-1",
    [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
    aliases=["CVE-2020-1"],
)
LAST_AFFECTED = advisory("PYSEC-2", [{"introduced": "0"}, {"last_affected": "0.9"}])
LISTED = advisory("GHSA-3", [], versions=["3.0", "3.1"])


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("0.9", False), ("1.0", True), ("1.4.9", True), ("1.5", False), ("1.9", False),
        ("2.0", True), ("2.2.post1", True), ("2.3", False), ("2.4", False),
    ],
)  # fmt: skip
def test_several_introduced_and_fixed_events(version: str, affected: bool) -> None:
    assert osv.affects(TWO_WINDOWS, "demo-pkg", Version(version)) is affected


def test_last_affected_explicit_versions_and_unsorted_events() -> None:
    assert osv.affects(LAST_AFFECTED, "demo-pkg", Version("0.9"))
    assert not osv.affects(LAST_AFFECTED, "demo-pkg", Version("0.9.1"))
    assert osv.affects(LISTED, "demo-pkg", Version("3.1.0"))  # PEP 440: 3.1 == 3.1.0
    assert not osv.affects(LISTED, "demo-pkg", Version("3.2"))
    shuffled = advisory("X", [{"fixed": "2.3"}, {"introduced": "2.0"}, {"introduced": "0"}])
    assert osv.affects(shuffled, "demo-pkg", Version("0.1"))
    assert osv.affects(shuffled, "demo-pkg", Version("2.2"))
    other = advisory("Y", [{"introduced": "0"}], package="another")
    assert not osv.affects(other, "demo-pkg", Version("1.0"))
    git = {
        "id": "Z",
        "affected": [
            {
                "package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                "ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    assert not osv.affects(git, "demo-pkg", Version("1.0"))


def test_withdrawn_skipped_aliases_merged_and_lowest_fix() -> None:
    twin = advisory(
        "GHSA-aaaa",
        [{"introduced": "1.0"}, {"fixed": "1.6"}],
        aliases=["CVE-2020-1"],
        database_specific={"severity": "CRITICAL", "cwe_ids": ["CWE-79"]},
    )
    withdrawn = advisory("PYSEC-9", [{"introduced": "0"}], withdrawn="2024-02-01T00:00:00Z")
    matches = osv.match_dependency(
        "Demo.Pkg", "1.2", "==1.2", [TWO_WINDOWS, twin, withdrawn, LAST_AFFECTED]
    )
    assert len(matches) == 1
    [match] = matches
    assert match.ids == ["PYSEC-1", "GHSA-aaaa", "CVE-2020-1"]
    assert match.status == "affected"
    assert match.severity == "critical" and match.cwe == 79
    assert match.fixed == "1.6"  # 1.5 is still affected by the GHSA twin
    assert osv.match_dependency("demo-pkg", "1.7", "==1.7", [TWO_WINDOWS, twin]) == []


def test_ranged_and_unpinned_requirements_can_resolve_to_affected_versions() -> None:
    [match] = osv.match_dependency("demo-pkg", None, ">=1.4,<3", [TWO_WINDOWS])
    assert match.status == "can-resolve"
    assert match.ranges == [">=1.0,<1.5", ">=2.0,<2.3"]
    assert match.examples == ["2.0"]
    assert osv.match_dependency("demo-pkg", None, ">=2.3", [TWO_WINDOWS]) == []
    assert osv.match_dependency("demo-pkg", None, ">1.4.9,<2", [TWO_WINDOWS]) != []  # 1.4.9.x
    assert osv.match_dependency("demo-pkg", None, "~=1.5.0", [TWO_WINDOWS]) == []
    assert osv.match_dependency("demo-pkg", None, "!=3.0,!=3.1", [LISTED]) == []
    [unpinned] = osv.match_dependency("demo-pkg", None, "", [LISTED])
    assert unpinned.examples == ["3.0", "3.1"]
    assert osv.safe_version([TWO_WINDOWS], "demo-pkg", SpecifierSet(">=1.2")) == Version("1.5")


def osv_tree(root: Path) -> Path:
    write(
        root,
        {
            "vulns/demo-pkg/PYSEC-1.yaml": """
                id: PYSEC-1
                modified: '2024-03-01T00:00:00Z'
                aliases: [CVE-2020-1]
                affected:
                - package: {name: Demo_Pkg, ecosystem: PyPI}
                  ranges:
                  - type: ECOSYSTEM
                    events: [{introduced: '1.0'}, {fixed: '1.10'}]
            """,
            "vulns/demo-pkg/GHSA-2.json": json.dumps(
                advisory("GHSA-2", [{"introduced": "0"}], aliases=["CVE-2020-1"])
            ),
            "vulns/other/OLD.yaml": "id: OLD\nwithdrawn: '2024-01-01T00:00:00Z'\n"
            "modified: '2023-01-01T00:00:00Z'\naffected:\n"
            "- package: {name: other, ecosystem: PyPI}\n  versions: ['1.0']\n",
            "npm/NPM-1.json": json.dumps(
                {"id": "NPM-1", "affected": [{"package": {"name": "x", "ecosystem": "npm"}}]}
            ),
            "triage/false_positives.yaml": "- just: a list\n",
            "broken.json": "{not json",
        },
    )
    return root


def test_import_a_directory_a_zip_and_a_tar(tmp_path: Path) -> None:
    tree = osv_tree(tmp_path / "osv")
    zipped = tmp_path / "osv.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in tree.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(tree))
    tarred = tmp_path / "osv.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(tree, arcname="advisory-database-main")
    for source in (tree, zipped, tarred):
        db = tmp_path / f"{source.name}.sqlite"
        summary = database.import_advisories(source, str(source), db, now=NOW)
        assert (summary.advisories, summary.packages, summary.withdrawn) == (3, 2, 1)
        assert (summary.other_ecosystems, summary.unreadable) == (1, 1)
        info = database.database_info(db, NOW)
        assert info.newest_advisory == datetime(2024, 3, 1, tzinfo=UTC)
        assert info.age_days == 1005.0
        found = database.advisories_for(db, {"demo-pkg", "other", "absent"})
        assert [a["id"] for a in found["demo-pkg"]] == ["GHSA-2", "PYSEC-1"]
        assert found["demo-pkg"][1]["affected"][0]["ranges"][0]["events"][1] == {"fixed": "1.10"}
        assert found["absent"] == []
    with pytest.raises(database.DatabaseError, match="no OSV advisory"):
        database.import_advisories(tree / "npm", "npm", tmp_path / "x.sqlite")
    with pytest.raises(database.DatabaseError, match="does not exist"):
        database.import_advisories(tmp_path / "nope", "nope", tmp_path / "x.sqlite")


def test_check_against_the_database_reports_age_and_file_lines(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    database.import_advisories(osv_tree(tmp_path / "osv"), "fixture", db, now=NOW)
    root = write(
        tmp_path / "project",
        {"requirements.txt": "demo-pkg==1.9\nother==1.0\ndemo-pkg>=1.0\nsafe==1\n"},
    )
    deps = build_inventory(root).dependencies
    check = check_advisories(deps, db, NOW, max_age_days=30)
    assert check.database.status == "ok" and check.database.source == "fixture"
    assert [w.code for w in check.warnings] == ["stale-database"]
    assert [(f.rule_id, f.line, f.confidence) for f in check.findings] == [
        ("PYSEC-1", 1, "high"),
        ("ATND002", 3, "medium"),
    ]
    assert "GHSA-2, CVE-2020-1" in check.findings[0].message
    assert "No fixed version is known" in check.findings[0].message  # GHSA-2 has no fix
    assert "can resolve to an affected version" in check.findings[1].message
    missing = check_advisories(deps, tmp_path / "none.sqlite", NOW, 30)
    assert missing.database.status == "missing" and missing.findings == []
    assert [w.code for w in missing.warnings] == ["no-database"]


@pytest.mark.skipif(not SNAPSHOT.is_file(), reason=f"the PyPA snapshot is absent ({SNAPSHOT})")
def test_import_the_real_pypa_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    summary = database.import_advisories(SNAPSHOT, "pypa", db)
    assert summary.advisories > 2600 and summary.packages > 600 and summary.withdrawn > 0
    found = database.advisories_for(db, {"requests"})["requests"]
    [match] = [
        m
        for m in osv.match_dependency("requests", "2.19.0", "==2.19.0", found)
        if "CVE-2018-18074" in m.ids
    ]
    assert match.ids[:2] == ["PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"]
    assert match.fixed == "2.20.0"


# --------------------------------------------------------------------------- update


class _Files(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {}
    handler = type("Handler", (_Files,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


def test_update_downloads_the_archive_from_a_configurable_url(
    tmp_path: Path, loopback: tuple[str, dict[str, tuple[int, bytes]]]
) -> None:
    base, routes = loopback
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PYSEC-1.json", json.dumps(TWO_WINDOWS))
    routes["/PyPI/all.zip"] = (200, buffer.getvalue())
    routes["/html"] = (200, b"<html></html>")
    db = tmp_path / "osv.sqlite"
    summary = database.update(f"{base}/PyPI/all.zip", db)
    assert summary.advisories == 1 and summary.source == f"{base}/PyPI/all.zip"
    with pytest.raises(database.DatabaseError, match="did not return a zip"):
        database.update(f"{base}/html", db)
    with pytest.raises(database.DatabaseError, match="cannot download"):
        database.update(f"{base}/missing.zip", db)
    assert database.database_info(db, NOW).advisories == 1  # the old database stays


# --------------------------------------------------------------------------- hygiene


def fake_site(root: Path) -> Path:
    site = root / ".venv" / "lib" / "python3.13" / "site-packages"
    (root / ".venv" / "pyvenv.cfg").parent.mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for name, version, licence, top in (
        ("PyYAML", "6.0", "License: MIT", "yaml"),
        ("requests", "2.31.0", "License-Expression: Apache-2.0", "requests"),
    ):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n{licence}\n"
        )
        (info / "top_level.txt").write_text(top + "\n")
    return site


def test_deptry_and_licences_from_the_targets_environment(tmp_path: Path) -> None:
    root = write(
        tmp_path / "app",
        {
            "pyproject.toml": """
                [project]
                name = "app"
                version = "1"
                dependencies = ["PyYAML==6.0", "requests==2.31.0"]
            """,
            "app/__init__.py": "import yaml\nimport rich\n",
        },
    )
    site = fake_site(root)
    assert find_environment(root) == [site]
    deps = build_inventory(root).dependencies
    outcome = run_deptry(root, deps, [site])
    assert outcome.skipped is None and outcome.warnings == []
    got = {(f.rule_id, f.file, f.line, f.snippet) for f in outcome.findings}
    assert ("DEP002", "pyproject.toml", 4, "requests") in got  # declared, never imported
    assert any(code in ("DEP001", "DEP003") and s == "rich" for code, _, _, s in got)
    assert not any(s in ("yaml", "PyYAML") for _, _, _, s in got)  # mapped by top_level.txt
    assert licences(deps, installed([site])) == {
        "pyyaml": {"installed": True, "version": "6.0", "license": "MIT"},
        "requests": {"installed": True, "version": "2.31.0", "license": "Apache-2.0"},
    }
    bare = run_deptry(write(tmp_path / "bare", {"x.py": "import os\n"}), [], [])
    assert bare.skipped is not None and "neither" in bare.skipped


def test_deptry_reads_the_requirements_files_of_a_project_without_pyproject(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "svc",
        {
            "requirements/base.txt": "requests==2.0\nflask\n",
            "requirements/dev.txt": "-r base.txt\npytest\n",
            "svc/__init__.py": "import requests\n",
        },
    )
    outcome = run_deptry(root, build_inventory(root).dependencies, [])
    assert outcome.skipped is None
    assert [(f.rule_id, f.file, f.line) for f in outcome.findings] == [
        ("DEP002", "requirements/base.txt", 2)  # flask; pytest is a dev requirement
    ]


def test_dependency_confusion_asks_the_index_or_says_why_not(
    loopback: tuple[str, dict[str, tuple[int, bytes]]],
) -> None:
    base, routes = loopback
    routes["/simple/acme-auth/"] = (200, b"{}")

    def dep(name: str, version: str | None = None) -> Dependency:
        return Dependency(
            name=name, declared_name=name, version=version, file="requirements.txt",
            line=3, source="requirements",
        )  # fmt: skip

    deps = [dep("acme-auth"), dep("acme-billing"), dep("requests"), dep("tools", "1.0+corp")]
    assert private_looking(deps[0], ["acme-web"]) == "it shares the project's name prefix 'acme'"
    assert private_looking(deps[2], ["acme-web"]) is None
    assert private_looking(deps[3], []) == "it pins the local version 1.0+corp"
    outcome = confusion_check(deps, ["acme-web"], f"{base}/simple/")
    assert outcome.skipped is None
    assert [c["name"] for c in outcome.checked] == ["acme-auth", "acme-billing", "tools"]
    assert [(f.rule_id, f.file, f.line, f.snippet) for f in outcome.findings] == [
        ("ATND001", "requirements.txt", 3, "acme-auth")
    ]
    offline = confusion_check(deps, ["acme-web"], "http://127.0.0.1:9/simple/")
    assert offline.findings == [] and "not reachable" in (offline.skipped or "")


def test_the_sbom_is_valid_cyclonedx(tmp_path: Path) -> None:
    root = write(tmp_path, {"requirements.txt": "requests==2.19.0\nflask>=1\n-c c.txt\n",
                            "c.txt": "idna==2.7\n"})  # fmt: skip
    deps = build_inventory(root).dependencies
    sbom = build_sbom(deps, "demo", {"flask": {"version": "2.0.1", "license": "BSD-3-Clause"}})
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(sbom)) is None
    components = {c["name"]: c for c in sbom["components"]}
    assert set(components) == {"requests", "flask"}  # constraints are not components
    assert components["requests"]["purl"] == "pkg:pypi/requests@2.19.0"
    assert components["flask"]["version"] == "2.0.1"
    assert components["flask"]["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]


# --------------------------------------------------------------------------- the flow


def project(root: Path) -> Path:
    return write(
        root,
        {
            "requirements.txt": "demo-pkg==1.2\nother>=0.1\n",
            "pyproject.toml": """
                [project]
                name = "shop"
                version = "1"
                dependencies = ["demo-pkg>=1.0"]
            """,
            "shop/__init__.py": "import demo_pkg\nimport yaml\n",
        },
    )


async def test_dependency_check_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ATTUNE_HOME", str(home))
    database.import_advisories(osv_tree(tmp_path / "osv"), "fixture", database.database_path(home))
    target = project(tmp_path / "shop")
    request = DependencyCheckRequest(
        target=str(target), public_index_url="http://127.0.0.1:9/simple/"
    )
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    assert result.status == "completed" and result.dependencies == 3
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 4
    assert result.database.status == "ok" and result.database.age_days > 30
    findings = ArtifactStore(home).get(result.findings, FINDINGS)
    rules = {(f.rule_id, f.file, f.line) for f in findings}
    assert {("PYSEC-1", "requirements.txt", 1), ("ATND002", "pyproject.toml", 4)} <= rules
    assert rules & {("DEP001", "shop/__init__.py", 2), ("DEP003", "shop/__init__.py", 2)}

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["database"]["source"] == "fixture"
    codes = {w["code"] for w in report["warnings"]}
    assert codes >= {"stale-database", "no-environment", "check-skipped"}
    assert report["hygiene"]["confusion"]["status"] == "ok"  # nothing looks private
    assert report["hygiene"]["licences"]["status"] == "skipped"
    assert report["llm"]["status"] == "skipped"
    assert {v["status"] for v in report["vulnerabilities"]} == {"affected", "can-resolve"}
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Advisory database" in markdown and "**Age: " in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    located = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in sarif["runs"][0]["results"]
    }  # fmt: skip
    assert ("PYSEC-1", "requirements.txt", 1) in located
    sbom = Path(result.artifacts["sbom"]).read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom) is None


def test_cli_imports_advisories_and_runs_dependency_check(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    bad = attune(cli_env, "advisories", "import", str(tmp_path / "nope"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "does not exist" in bad.stderr
    before = attune(cli_env, "advisories", "status")
    assert before.returncode == 1 and "no database" in before.stdout
    done = attune(cli_env, "advisories", "import", str(osv_tree(tmp_path / "osv")), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["advisories"] == 3
    target = write(tmp_path / "old", {"requirements.txt": "demo-pkg==1.2\n"})
    out = tmp_path / "reports"
    run = attune(
        cli_env, "workflow", "run", "dependency-check", str(target / "requirements.txt"),
        "--json", "--out", str(out), "--fail-on", "high",
    )  # fmt: skip
    assert run.returncode == 3, run.stderr
    report = json.loads(run.stdout)
    assert report["workflow"] == "dependency-check" and report["status"] == "completed"
    assert [f["rule_id"] for f in report["findings"]] == ["PYSEC-1"]
    assert report["hygiene"]["deptry"]["reason"] == "deptry needs a project directory"
    assert {p.name for p in out.iterdir()} == {
        "report.md", "report.json", "report.sarif", "sbom.cdx.json"
    }  # fmt: skip
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []


# --------------------------------------------------------------------------- the teams


async def test_pr_review_runs_dependency_check_when_a_dependency_file_changes(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ATTUNE_HOME", str(home))
    database.import_advisories(osv_tree(tmp_path / "osv"), "fixture", database.database_path(home))
    repo = Repo(tmp_path / "shop")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("shop/__init__.py", '"""Shop."""\n')
    repo.write("requirements.txt", "other==2.0\n")
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "pin")
    repo.write("requirements.txt", "other==2.0\ndemo-pkg==1.2\n")
    repo.commit("pin demo-pkg")
    request = PrReviewRequest(target=str(repo.path))
    async with running_worker(client):
        handle = await runner.start_workflow(client, registry().flows["pr-review"], request)
        result = await handle.result()
    assert "dependency-check" in result.agents and result.agents["dependency-check"].status == "ok"
    assert result.verdict == "request_changes", result.verdict_reasons
    top = {(f.rule_id, f.file, f.line) for f in result.top}
    assert ("PYSEC-1", "requirements.txt", 2) in top  # the changed line; other==2.0 is not
    assert {f.file for f in result.top} == {"requirements.txt"}
    assert all(f.line == 2 for f in result.top)


async def test_release_prep_security_agent_includes_dependency_check(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ATTUNE_HOME", str(home))
    database.import_advisories(osv_tree(tmp_path / "osv"), "fixture", database.database_path(home))
    target = write(tmp_path / "app", {"requirements.txt": "demo-pkg==1.2\n", "app.py": "x = 1\n"})
    agent = AgentInput(role="security", target=str(target), params={"dependency_check": True})
    async with running_worker(client):
        result = await client.execute_workflow(
            SECURITY_AGENT,
            agent,
            id=f"security-agent-{tmp_path.name}",
            task_queue=TASK_QUEUE,
            result_type=AgentResult,
        )
    assert result.status == "ok"
    assert result.data["dependencies"]["vulnerable"] == 1
    assert result.data["counts"]["high"] >= 1  # the pin's finding counts for the release
    assert "dependency entries" in result.summary
    age = result.data["dependencies"]["database"]["age_days"]
    assert result.warnings == [f"dependency-check: the advisory database is {age:.0f} days old"]
    decided = recommend({"security": result})
    assert not [b for b in decided.blockers if b.startswith("security")]  # one high: a warning
    assert any(w.startswith("security: 1 high") for w in decided.warnings), decided.warnings
