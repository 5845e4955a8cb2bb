"""Taint facts and the cross-module solver, on small projects written to tmp dirs."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from activities.security_audit.scanners.merge import merge_findings, merge_flow_findings
from activities.security_audit.scanners.taint.catalog import needs_facts
from activities.security_audit.scanners.taint.extract import module_facts
from activities.security_audit.scanners.taint.facts import ModuleFacts
from activities.security_audit.scanners.taint.solver import trace_flows
from workflows.schemas import Finding


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, code in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code).lstrip("\n"))
    return root


def facts_of(root: Path) -> list[ModuleFacts]:
    modules = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text()
        modules.append(module_facts(ast.parse(source), path.relative_to(root).as_posix(), source))
    return modules


def flows(root: Path, **options) -> list[Finding]:
    return trace_flows(facts_of(root), **options)[0]


def at(findings: list[Finding], file: str, line: int) -> Finding:
    [finding] = [f for f in findings if f.file == file and f.line == line]
    return finding


FLASK_SQL = {
    "app/__init__.py": "",
    "app/views.py": """
        from flask import Flask, request

        from app.db import find_user, find_user_safe, find_by_id

        app = Flask(__name__)


        @app.route("/user")
        def user():
            name = request.args.get("name")
            return str(find_user(name))


        @app.route("/safe")
        def safe():
            return str(find_user_safe(request.args["name"]))


        @app.route("/by-id")
        def by_id():
            return str(find_by_id(int(request.args["id"])))
        """,
    "app/db.py": """
        import sqlite3


        def run(sql):
            cursor = sqlite3.connect("app.db").cursor()
            cursor.execute(sql)
            return cursor.fetchall()


        def find_user(name):
            query = "SELECT * FROM users WHERE name = '%s'" % name
            return run(query)


        def find_user_safe(name):
            cursor = sqlite3.connect("app.db").cursor()
            return cursor.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()


        def find_by_id(user_id):
            return run(f"SELECT * FROM users WHERE id = {user_id}")
        """,
}


def test_a_flask_view_reaches_execute_through_a_helper_in_another_module(
    tmp_path: Path,
) -> None:
    [finding] = flows(write(tmp_path, FLASK_SQL))
    assert (finding.rule_id, finding.cwe, finding.severity) == ("ATN304", 89, "high")
    assert (finding.file, finding.line, finding.confidence) == ("app/db.py", 6, "high")
    assert "request.args" in finding.message and "app/views.py:10" in finding.message
    steps = [(s.kind, s.file, s.line) for s in finding.flow]
    assert steps == [
        ("source", "app/views.py", 10),
        ("call", "app/views.py", 11),
        ("call", "app/db.py", 12),
        ("sink", "app/db.py", 6),
    ]
    assert finding.flow[1].note == "passed to db.find_user()"


def test_sanitised_twins_are_not_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                import os
                import shlex
                import subprocess

                from flask import Flask, abort, request, send_file
                from werkzeug.utils import secure_filename

                app = Flask(__name__)
                ROOT = "/srv/files"
                ALLOWED_HOSTS = {"example.com", "example.org"}


                @app.route("/ping")
                def ping():
                    host = request.args["host"]
                    subprocess.run("ping -c1 " + shlex.quote(host), shell=True)
                    subprocess.run(["ping", "-c1", host])
                    return "ok"


                @app.route("/ping-listed")
                def ping_listed():
                    host = request.args["host"]
                    if host not in ALLOWED_HOSTS:
                        abort(400)
                    os.system("ping -c1 " + host)
                    return "ok"


                @app.route("/mode")
                def mode():
                    mode = request.args["mode"]
                    if mode == "fast":
                        os.system("run --" + mode)
                    return "ok"


                @app.route("/download")
                def download():
                    name = secure_filename(request.args["name"])
                    return send_file(os.path.join(ROOT, name))


                @app.route("/read")
                def read():
                    path = os.path.realpath(os.path.join(ROOT, request.args["name"]))
                    if not path.startswith(ROOT + os.sep):
                        abort(403)
                    with open(path) as handle:
                        return handle.read()


                @app.route("/common")
                def common():
                    path = os.path.realpath(os.path.join(ROOT, request.args["name"]))
                    if os.path.commonpath([ROOT, path]) != ROOT:
                        raise PermissionError(path)
                    return open(path).read()
                """,
        },
    )
    assert flows(tmp_path) == []


def test_the_unsanitised_twins_are_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc/views.py": """
                import os
                import subprocess

                from flask import Flask, request, send_file

                app = Flask(__name__)
                ROOT = "/srv/files"


                @app.route("/ping")
                def ping():
                    host = request.args["host"]
                    subprocess.run("ping -c1 " + host, shell=True)
                    subprocess.run([host, "-c1"])
                    return "ok"


                @app.route("/download")
                def download():
                    return send_file(os.path.join(ROOT, request.args["name"]))


                @app.route("/read")
                def read():
                    path = os.path.realpath(os.path.join(ROOT, request.args["name"]))
                    if not path:
                        raise ValueError(path)
                    with open(path) as handle:
                        return handle.read()
                """,
        },
    )
    found = {(f.line, f.rule_id) for f in flows(tmp_path)}
    # A path is reported where it is built, as the per-line rules report it.
    assert found == {(13, "ATN302"), (14, "ATN302"), (20, "ATN301"), (25, "ATN301")}


def test_relative_and_aliased_imports_resolve_across_packages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/shop/__init__.py": "from .core.run import run_command\n",
            "src/shop/core/__init__.py": "",
            "src/shop/core/run.py": """
                import os


                def run_command(command):
                    return os.system(command)
                """,
            "src/shop/core/build.py": """
                from ..core import run as runner


                def build(target):
                    return runner.run_command("make " + target)
                """,
            "src/shop/web/__init__.py": "",
            "src/shop/web/views.py": """
                import shop.core.build as b
                from flask import Flask, request

                from .. import run_command

                app = Flask(__name__)


                @app.post("/build")
                def build():
                    return str(b.build(request.form["target"]))


                @app.post("/run")
                def run():
                    return str(run_command(request.form["command"]))
                """,
        },
    )
    [finding] = flows(tmp_path)
    assert (finding.file, finding.line, finding.cwe) == ("src/shop/core/run.py", 5, 78)
    # Both views reach the sink; the report keeps one finding, with the shorter path.
    assert [s.kind for s in finding.flow] == ["source", "call", "sink"]
    assert finding.flow[0].file == "src/shop/web/views.py"
    assert finding.flow[1].note == "passed to run.run_command()"


def test_a_source_returned_by_a_helper_reaches_a_sink_in_the_caller(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "web/params.py": """
                from flask import request


                def target_url():
                    return request.args.get("url", "")
                """,
            "web/fetch.py": """
                import requests

                from web.params import target_url


                def fetch():
                    url = target_url()
                    return requests.get(url, timeout=5).text
                """,
        },
    )
    [finding] = flows(tmp_path)
    assert (finding.rule_id, finding.file, finding.line) == ("ATN312", "web/fetch.py", 8)
    assert [(s.kind, s.file) for s in finding.flow] == [
        ("source", "web/params.py"),
        ("return", "web/fetch.py"),
        ("sink", "web/fetch.py"),
    ]


def test_recursion_terminates_and_still_finds_the_flow(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "loop.py": """
                import os

                from flask import request


                def ping(depth, host):
                    if depth:
                        return pong(depth - 1, host)
                    return os.system("ping " + host)


                def pong(depth, host):
                    return ping(depth, host) or pong(depth, host)


                def view():
                    return ping(3, request.args["host"])
                """,
        },
    )
    findings, stats = trace_flows(facts_of(tmp_path))
    assert stats.complete
    assert [(f.line, f.cwe) for f in findings] == [(9, 78)]


def chain(length: int) -> dict[str, str]:
    """A view whose data reaches eval after `length` calls, one function per module."""
    files = {
        "view.py": "from flask import request\nfrom step0 import step0\n\n\n"
        "def view():\n    return step0(request.args['x'])\n"
    }
    for index in range(length):
        body = (
            f"from step{index + 1} import step{index + 1}\n\n\ndef step{index}(value):\n"
            f"    return step{index + 1}(value)\n"
            if index < length - 1
            else f"def step{index}(value):\n    return eval(value)\n"
        )
        files[f"step{index}.py"] = body
    return files


def test_paths_longer_than_the_depth_bound_are_cut(tmp_path: Path) -> None:
    write(tmp_path, chain(5))
    [finding] = flows(tmp_path, max_depth=5)
    assert [s.kind for s in finding.flow].count("call") == 5
    assert flows(tmp_path, max_depth=4) == []


def test_eval_of_input_is_high_severity_with_low_confidence(tmp_path: Path) -> None:
    write(tmp_path, {"shop/money.py": "def ask():\n    return eval(input())\n"})
    [finding] = flows(tmp_path)
    assert (finding.rule_id, finding.severity, finding.confidence) == ("ATN306", "high", "low")


def test_a_local_user_may_name_files_and_urls(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "cli.py": """
                import os
                import sys


                def main():
                    with open(sys.argv[1]) as handle:
                        handle.read()
                    os.system(os.environ["EDITOR"] + " notes.txt")
                """,
        },
    )
    [finding] = flows(tmp_path)
    assert (finding.line, finding.cwe, finding.confidence) == (8, 78, "low")


def test_django_and_fastapi_request_data(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site/views.py": """
                from django.http import HttpResponse, HttpResponseRedirect
                from django.utils.http import url_has_allowed_host_and_scheme


                def hello(request):
                    return HttpResponse("<p>Hello " + request.GET["name"] + "</p>")


                def go(request):
                    target = request.POST.get("next", "/")
                    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
                        target = "/"
                    return HttpResponseRedirect(target)
                """,
            "api/main.py": """
                import subprocess

                from fastapi import Depends, FastAPI, Request

                app = FastAPI()


                def settings():
                    return {"tool": "convert"}


                @app.get("/convert")
                def convert(name: str, config: dict = Depends(settings)):
                    return subprocess.check_output(f"convert {name}", shell=True)


                @app.get("/config")
                def config(config: dict = Depends(settings)):
                    return subprocess.check_output(config["tool"], shell=True)


                @app.post("/eval")
                async def evaluate(request: Request):
                    return eval(await request.body())
                """,
        },
    )
    found = {(f.file, f.line, f.rule_id, f.confidence) for f in flows(tmp_path)}
    assert found == {
        ("site/views.py", 6, "ATN303", "high"),
        ("api/main.py", 14, "ATN302", "medium"),
        ("api/main.py", 24, "ATN306", "high"),
    }


def test_facts_are_json_and_files_without_sources_or_sinks_need_none(tmp_path: Path) -> None:
    write(tmp_path, FLASK_SQL)
    for module in facts_of(tmp_path):
        assert ModuleFacts.model_validate_json(module.model_dump_json()) == module
    assert needs_facts("from flask import request\nx = request.args\n")
    assert not needs_facts("def add(a, b):\n    return a + b\n")


def pattern(rule_id: str, tool: str, cwe: int, line: int) -> Finding:
    return Finding(
        rule_id=rule_id,
        tool=tool,
        tools=[tool],
        category="code-injection",
        severity="high",
        confidence="medium",
        cwe=cwe,
        file="shop/money.py",
        line=line,
        message=f"{rule_id} says so",
        snippet="return eval(input())",
    )


def test_a_flow_supersedes_the_pattern_finding_at_its_line_and_keeps_ruff(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"shop/money.py": "def ask():\n    return eval(input())\n"})
    per_file = merge_findings([pattern("ATN120", "attune", 94, 2), pattern("S307", "ruff", 94, 2)])
    [flow] = merge_findings(flows(tmp_path))
    [merged] = merge_flow_findings(per_file, [flow])
    assert (merged.rule_id, merged.tools) == ("ATN306", ["attune", "ruff"])
    assert merged.related_rules == ["attune/ATN120", "ruff/S307"]
    assert merged.fingerprint == per_file[0].fingerprint
    # the pattern said medium; the traced source (a local user's input) says low
    assert (merged.severity, merged.confidence) == ("high", "low")
    assert [s.kind for s in merged.flow] == ["source", "sink"]

    elsewhere = pattern("S307", "ruff", 94, 1)
    both = merge_flow_findings([elsewhere], [flow])
    assert [(f.line, f.rule_id) for f in both] == [(1, "S307"), (2, "ATN306")]
    assert both[1].fingerprint and both[1].fingerprint != elsewhere.fingerprint


def test_urls_confined_by_host_http_clients_and_xml_parsers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "web.py": """
                from urllib.parse import urlparse

                import httpx
                import requests
                from flask import Flask, abort, request
                from lxml import etree

                app = Flask(__name__)
                HOSTS = {"docs.python.org"}


                @app.post("/fetch")
                def fetch():
                    url = request.get_json()["url"]
                    if urlparse(url).hostname not in HOSTS:
                        abort(400)
                    return requests.get(url).text


                @app.post("/fetch-parsed")
                def fetch_parsed():
                    url = request.args["url"]
                    parsed = urlparse(url)
                    if parsed.scheme != "https" or parsed.hostname.lower() not in HOSTS:
                        abort(400)
                    return requests.get(url).text


                @app.post("/scheme-only")
                def scheme_only():
                    url = request.args["url"]
                    if urlparse(url).scheme not in ("http", "https"):
                        abort(400)
                    return requests.get(url).text


                @app.post("/session")
                async def session():
                    url = request.get_json()["url"]
                    with requests.Session() as s:
                        s.get(url)
                    async with httpx.AsyncClient() as client:
                        await client.post(url)
                    return "ok"


                @app.post("/xml")
                def xml():
                    safe = etree.XMLParser(resolve_entities=False)
                    etree.fromstring(request.get_data(), safe)
                    unsafe = etree.XMLParser(load_dtd=True)
                    return etree.fromstring(request.get_data(), unsafe).tag
            """,
        },
    )
    found = {(f.line, f.cwe) for f in flows(tmp_path)}
    assert found == {(34, 918), (41, 918), (43, 918), (52, 611)}


def test_a_path_built_from_request_data_reaches_its_own_methods_and_save(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "files.py": """
                import os
                from pathlib import Path

                from flask import Flask, request
                from werkzeug.utils import secure_filename

                app = Flask(__name__)
                ROOT = Path("/srv/files")


                @app.get("/read")
                def read():
                    return (ROOT / request.args["name"]).read_text()


                @app.get("/open")
                def opened():
                    path = ROOT.joinpath(request.args["name"])
                    with path.open() as handle:
                        return handle.read()


                @app.post("/upload")
                def upload():
                    document = request.files["document"]
                    document.save(os.path.join("/srv/uploads", document.filename))
                    safe = os.path.join("/srv/uploads", secure_filename(document.filename))
                    document.save(safe)
                    return "ok"


                @app.get("/config")
                def config():
                    with open("/etc/app.json") as handle:
                        return handle.read(), request.args["q"]
            """,
        },
    )
    assert {(f.line, f.cwe) for f in flows(tmp_path)} == {(13, 22), (18, 22), (26, 22)}


def test_helpers_that_only_save_or_fetch_get_facts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/store.py": """
                import os


                def keep(upload, name):
                    upload.save(os.path.join("/srv/uploads", name))
            """,
            "app/fetch.py": """
                import urllib3


                def fetch(url):
                    return urllib3.PoolManager().request("GET", url)


                def fetch_pooled(url):
                    pool = urllib3.PoolManager()
                    return pool.request("GET", url)
            """,
            "app/views.py": """
                from flask import Flask, request

                from app.fetch import fetch, fetch_pooled
                from app.store import keep

                app = Flask(__name__)


                @app.post("/keep")
                def keep_view():
                    keep(request.files["f"], request.form["name"])
                    return str(fetch(request.form["url"]) + fetch_pooled(request.form["url"]))
            """,
        },
    )
    assert {(f.file, f.line, f.cwe) for f in flows(tmp_path)} == {
        ("app/store.py", 5, 22),
        ("app/fetch.py", 5, 918),
        ("app/fetch.py", 10, 918),
    }
