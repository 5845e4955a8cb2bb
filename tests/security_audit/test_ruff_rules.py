"""ruff's S rules and bandit through attune's parsers, with the real tools (no mocks)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from activities.security_audit.scanners.ruff_rules import (
    DEFAULT_RULE,
    RUFF_S_RULES,
    bandit_command,
    parse_bandit_output,
    parse_ruff_output,
    ruff_command,
)
from workflows.schemas import Finding

# (code, line of the finding, vulnerable source, safe source) for every stable S rule.
# Preview rules (the S4xx import checks) are not selected by `ruff_command`, and the lxml
# rules S320/S410 have been removed from ruff; the table still maps all of them.
CASES = [
    ("S101", 2, "def f(x):\n    assert x\n", "def f(x):\n    if not x:\n        raise Error\n"),
    ("S102", 2, "def f(code):\n    exec(code)\n", "def f(code):\n    print(code)\n"),
    ("S103", 2, "import os\nos.chmod('f', 0o777)\n", "import os\nos.chmod('f', 0o600)\n"),
    ("S104", 1, 'HOST = "0.0.0.0"\n', 'HOST = "127.0.0.1"\n'),
    ("S105", 1, 'password = "hunter22"\n', 'import os\npassword = os.environ["PW"]\n'),
    ("S106", 1, 'connect(password="hunter22")\n', "connect(password=pw)\n"),
    ("S107", 1, 'def f(password="hunter22"):\n    pass\n', "def f(password=None):\n    pass\n"),
    ("S108", 1, 'open("/tmp/report.txt", "w")\n', 'import tempfile\ntempfile.mkstemp()\n'),
    ("S110", 3,
     "try:\n    f()\nexcept Exception:\n    pass\n",
     "try:\n    f()\nexcept Exception:\n    log()\n"),
    ("S112", 4,
     "for x in y:\n    try:\n        f(x)\n    except Exception:\n        continue\n",
     "for x in y:\n    try:\n        f(x)\n    except Exception:\n        log(x)\n"),
    ("S113", 2, "import requests\nrequests.get(url)\n",
     "import requests\nrequests.get(url, timeout=5)\n"),
    ("S201", 3, "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
     "from flask import Flask\napp = Flask(__name__)\napp.run(debug=False)\n"),
    ("S202", 2, "import tarfile\ntarfile.open(p).extractall()\n",
     "import tarfile\ntarfile.open(p).extractall(filter='data')\n"),
    ("S301", 2, "import pickle\npickle.loads(d)\n", "import json\njson.loads(d)\n"),
    ("S302", 2, "import marshal\nmarshal.loads(d)\n", "import json\njson.loads(d)\n"),
    ("S303", 2, "from cryptography.hazmat.primitives import hashes\nhashes.MD5()\n",
     "from cryptography.hazmat.primitives import hashes\nhashes.SHA256()\n"),
    ("S304", 2,
     "from cryptography.hazmat.primitives.ciphers import algorithms\nalgorithms.ARC4(k)\n",
     "from cryptography.hazmat.primitives.ciphers import algorithms\nalgorithms.AES(k)\n"),
    ("S305", 2, "from cryptography.hazmat.primitives.ciphers import modes\nmodes.ECB()\n",
     "from cryptography.hazmat.primitives.ciphers import modes\nmodes.GCM(iv)\n"),
    ("S306", 2, "import tempfile\ntempfile.mktemp()\n", "import tempfile\ntempfile.mkstemp()\n"),
    ("S307", 2, "def f(x):\n    return eval(x)\n",
     "import ast\ndef f(x):\n    return ast.literal_eval(x)\n"),
    ("S308", 2, "from django.utils.safestring import mark_safe\nmark_safe(x)\n",
     "from django.utils.html import escape\nescape(x)\n"),
    ("S310", 2, "import urllib.request\nurllib.request.urlopen(url)\n",
     'import urllib.request\nurllib.request.urlopen("https://example.com")\n'),
    ("S311", 2, "import random\nrandom.random()\n", "import secrets\nsecrets.token_hex()\n"),
    ("S312", 2, "import telnetlib\ntelnetlib.Telnet(host)\n",
     "import socket\nsocket.create_connection(addr)\n"),
    ("S313", 2, "import xml.etree.cElementTree as ET\nET.parse(f)\n",
     "import defusedxml.cElementTree as ET\nET.parse(f)\n"),
    ("S314", 2, "import xml.etree.ElementTree as ET\nET.fromstring(s)\n",
     "import defusedxml.ElementTree as ET\nET.fromstring(s)\n"),
    ("S315", 2, "import xml.sax.expatreader\nxml.sax.expatreader.create_parser()\n",
     "import defusedxml.expatreader\ndefusedxml.expatreader.create_parser()\n"),
    ("S316", 2, "import xml.dom.expatbuilder\nxml.dom.expatbuilder.parse(f)\n",
     "import defusedxml.expatbuilder\ndefusedxml.expatbuilder.parse(f)\n"),
    ("S317", 2, "import xml.sax\nxml.sax.parse(f, handler)\n",
     "import defusedxml.sax\ndefusedxml.sax.parse(f, handler)\n"),
    ("S318", 2, "from xml.dom import minidom\nminidom.parseString(s)\n",
     "from defusedxml import minidom\nminidom.parseString(s)\n"),
    ("S319", 2, "from xml.dom import pulldom\npulldom.parseString(s)\n",
     "from defusedxml import pulldom\npulldom.parseString(s)\n"),
    ("S321", 2, "import ftplib\nftplib.FTP(host)\n", "import smtplib\nsmtplib.SMTP_SSL(host)\n"),
    ("S323", 2, "import ssl\nssl._create_unverified_context()\n",
     "import ssl\nssl.create_default_context()\n"),
    ("S324", 2, "import hashlib\nhashlib.md5(d)\n",
     "import hashlib\nhashlib.sha256(d)\nhashlib.md5(d, usedforsecurity=False)\n"),
    ("S501", 2, "import requests\nrequests.get(url, timeout=5, verify=False)\n",
     "import requests\nrequests.get(url, timeout=5, verify=True)\n"),
    ("S502", 2, "import ssl\nssl.wrap_socket(s, ssl_version=ssl.PROTOCOL_TLSv1)\n",
     "import ssl\nssl.wrap_socket(s, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n"),
    ("S503", 2, "import ssl\ndef f(ssl_version=ssl.PROTOCOL_SSLv2):\n    pass\n",
     "import ssl\ndef f(ssl_version=ssl.PROTOCOL_TLS_CLIENT):\n    pass\n"),
    ("S504", 2, "import ssl\nssl.wrap_socket(s)\n",
     "import ssl\nssl.wrap_socket(s, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n"),
    ("S505", 2,
     "from cryptography.hazmat.primitives.asymmetric import rsa\n"
     "rsa.generate_private_key(public_exponent=65537, key_size=1024)\n",
     "from cryptography.hazmat.primitives.asymmetric import rsa\n"
     "rsa.generate_private_key(public_exponent=65537, key_size=4096)\n"),
    ("S506", 2, "import yaml\nyaml.load(s)\n", "import yaml\nyaml.safe_load(s)\n"),
    ("S507", 3,
     "from paramiko import client\nssh = client.SSHClient()\n"
     "ssh.set_missing_host_key_policy(client.AutoAddPolicy)\n",
     "from paramiko import client\nssh = client.SSHClient()\n"
     "ssh.set_missing_host_key_policy(client.RejectPolicy)\n"),
    ("S508", 2, "from pysnmp.hlapi import CommunityData\nCommunityData('public', mpModel=0)\n",
     "from pysnmp.hlapi import UsmUserData\nUsmUserData('user', 'authkey', 'privkey')\n"),
    ("S509", 2, "from pysnmp.hlapi import UsmUserData\nUsmUserData('user')\n",
     "from pysnmp.hlapi import UsmUserData\nUsmUserData('user', 'authkey', 'privkey')\n"),
    ("S601", 2, "import paramiko\nparamiko.exec_command(cmd)\n", "import shlex\nshlex.split(c)\n"),
    ("S602", 2, "import subprocess\nsubprocess.run(cmd, shell=True)\n",
     'import subprocess\nsubprocess.run(["/bin/ls", "-l"])\n'),
    ("S603", 2, "import subprocess\nsubprocess.run(args)\n",
     'import subprocess\nsubprocess.run(["/bin/ls", "-l"])\n'),
    ("S604", 1, "run_command(cmd, shell=True)\n", "run_command(cmd, shell=False)\n"),
    ("S605", 2, "import os\nos.system(cmd)\n", "import shutil\nshutil.which(cmd)\n"),
    ("S606", 2, "import os\nos.execv(path, args)\n", "import shutil\nshutil.which(path)\n"),
    ("S607", 2, 'import subprocess\nsubprocess.run(["ls", "-l"])\n',
     'import subprocess\nsubprocess.run(["/bin/ls", "-l"])\n'),
    ("S608", 2, 'def f(cur, uid):\n    cur.execute("SELECT * FROM t WHERE id = %s" % uid)\n',
     'def f(cur, uid):\n    cur.execute("SELECT * FROM t WHERE id = %s", (uid,))\n'),
    ("S609", 2, 'import subprocess\nsubprocess.Popen("/bin/chown root: *", shell=True)\n',
     'import subprocess\nsubprocess.Popen(["/bin/chown", "root:", "file"])\n'),
    ("S610", 1, "User.objects.all().extra(where=[clause])\n",
     "User.objects.all().filter(name=name)\n"),
    ("S611", 2, "from django.db.models.expressions import RawSQL\nRawSQL(sql, params)\n",
     "from django.db.models import F\nF('name')\n"),
    ("S612", 2, "import logging.config\nlogging.config.listen(9999)\n",
     "import logging.config\nlogging.config.dictConfig(config)\n"),
    ("S701", 2, "import jinja2\njinja2.Environment(autoescape=False)\n",
     "import jinja2\njinja2.Environment(autoescape=True)\n"),
    ("S702", 2, "from mako.template import Template\nTemplate(text)\n",
     "from string import Template\nTemplate(text)\n"),
    ("S704", 2, "from markupsafe import Markup\nMarkup(user_input)\n",
     'from markupsafe import Markup\nMarkup("<b>constant</b>")\n'),
]  # fmt: skip

EXPECTED_CWE = {
    "S101": 703, "S102": 94, "S104": 605, "S105": 259, "S106": 259, "S107": 259, "S113": 400,
    "S301": 502, "S307": 94, "S311": 330, "S324": 328, "S403": 502, "S501": 295, "S506": 502,
    "S602": 78, "S605": 78, "S608": 89, "S701": 79, "S702": 79,
    **{f"S{n}": 611 for n in range(314, 321)},
}  # fmt: skip


def run_ruff(root: Path, rel_paths: list[str]) -> list[Finding]:
    proc = subprocess.run(ruff_command(rel_paths), cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return parse_ruff_output(proc.stdout, root)


@pytest.fixture(scope="module")
def ruff_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """One ruff run over every case (one file per case), findings grouped by file."""
    root = tmp_path_factory.mktemp("ruff_cases")
    names = []
    for code, _, vulnerable, safe in CASES:
        for kind, source in (("vulnerable", vulnerable), ("safe", safe)):
            (root / f"{code}_{kind}.py").write_text(source)
            names.append(f"{code}_{kind}.py")
    by_file: dict[str, list[Finding]] = {name: [] for name in names}
    for finding in run_ruff(root, names):
        by_file[finding.file].append(finding)
    return by_file


def ruff_s_codes() -> dict[str, str]:
    """Every flake8-bandit rule this ruff knows, mapped to Stable, Preview or Removed."""
    proc = subprocess.run(
        [ruff_command([])[0], "rule", "--all", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        rule["code"]: next(iter(rule["status"]))
        for rule in json.loads(proc.stdout)
        if rule["linter"] == "flake8-bandit"
    }


def test_table_covers_every_ruff_s_rule() -> None:
    codes = ruff_s_codes()
    assert set(RUFF_S_RULES) == set(codes)
    stable = {code for code, status in codes.items() if status == "Stable"}
    assert stable == {code for code, *_ in CASES}


@pytest.mark.parametrize(("code", "cwe"), sorted(EXPECTED_CWE.items()))
def test_most_specific_cwe(code: str, cwe: int) -> None:
    assert RUFF_S_RULES[code].cwe == cwe


def test_every_rule_has_cwe_and_normalised_levels() -> None:
    for meta in RUFF_S_RULES.values():
        assert meta.cwe is not None
        assert meta.severity in ("critical", "high", "medium", "low", "info")
        assert meta.confidence in ("high", "medium", "low")


@pytest.mark.parametrize(("code", "line"), [(code, line) for code, line, *_ in CASES])
def test_vulnerable(ruff_results: dict[str, list[Finding]], code: str, line: int) -> None:
    file = f"{code}_vulnerable.py"
    hits = [f for f in ruff_results[file] if f.rule_id == code]
    assert [f.line for f in hits] == [line], ruff_results[file]
    finding = hits[0]
    assert finding.cwe == RUFF_S_RULES[code].cwe
    assert finding.tool == "ruff" and finding.tools == ["ruff"]
    assert finding.file == file
    assert finding.category == RUFF_S_RULES[code].category


@pytest.mark.parametrize("code", [code for code, *_ in CASES])
def test_safe(ruff_results: dict[str, list[Finding]], code: str) -> None:
    assert [f.rule_id for f in ruff_results[f"{code}_safe.py"] if f.rule_id == code] == []


def test_ruff_command_is_isolated() -> None:
    argv = ruff_command(["a.py", "b/c.py"])
    assert Path(argv[0]).name.startswith("ruff")
    assert argv[1:] == [
        "check", "--isolated", "--ignore-noqa", "--select", "S", "--output-format", "json",
        "--no-cache", "--exit-zero", "--quiet", "--target-version", "py313", "a.py", "b/c.py",
    ]  # fmt: skip


def test_noqa_and_nosec_do_not_hide_locations(tmp_path: Path) -> None:
    """attune marks such findings suppressed (policy.py); the tools must still report them."""
    (tmp_path / "app.py").write_text("import pickle\npickle.loads(b)  # noqa: S301  # nosec\n")
    assert [f.rule_id for f in run_ruff(tmp_path, ["app.py"])] == ["S301"]
    proc = subprocess.run(bandit_command(["app.py"]), cwd=tmp_path, capture_output=True, text=True)
    assert "B301" in [f.rule_id for f in parse_bandit_output(proc.stdout, tmp_path)]


def test_target_config_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff.lint]\nignore = ["S"]\n')
    (tmp_path / "ruff.toml").write_text('[lint]\nignore = ["S"]\n')
    (tmp_path / "app.py").write_text("import pickle\npickle.loads(b)\n")
    assert [f.rule_id for f in run_ruff(tmp_path, ["app.py"])] == ["S301"]


def test_ruff_location_snippet_and_redaction(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text(
        'import hashlib\n\ndef f(d):\n    x = "é"; return hashlib.md5(d)\n'
        'password = "hunter2hunter2"\n'
    )
    by_code = {f.rule_id: f for f in run_ruff(tmp_path, [str(pkg / "mod.py")])}
    md5 = by_code["S324"]
    assert (md5.file, md5.line, md5.column, md5.end_line) == ("pkg/mod.py", 4, 21, 4)
    assert md5.snippet == 'x = "é"; return hashlib.md5(d)'
    secret = by_code["S105"]
    assert "hunter2hunter2" not in secret.snippet and secret.snippet.startswith('password = "')


def test_parse_ruff_output_edge_cases(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "bad.py").write_text("def f(:\n")
    records = json.loads(
        subprocess.run(
            ruff_command(["bad.py"]), cwd=tmp_path, capture_output=True, text=True
        ).stdout
    )
    assert records and all(r["code"] in (None, "invalid-syntax") for r in records)
    assert parse_ruff_output(json.dumps(records), tmp_path) == []
    assert parse_ruff_output("", tmp_path) == []
    future = {
        "code": "S999",
        "filename": str(tmp_path / "ok.py"),
        "location": {"row": 1, "column": 1},
        "end_location": {"row": 1, "column": 6},
        "message": "new rule",
    }
    [finding] = parse_ruff_output(json.dumps([future]), tmp_path)
    assert (finding.category, finding.cwe, finding.severity, finding.confidence) == (
        DEFAULT_RULE.category,
        DEFAULT_RULE.cwe,
        DEFAULT_RULE.severity,
        DEFAULT_RULE.confidence,
    )
    assert finding.snippet == "x = 1"


BANDIT_SOURCE = textwrap.dedent("""\
    import hashlib
    import subprocess

    def f(data, cmd):
        digest = hashlib.md5(data)
        subprocess.run(cmd, shell=True)
        return digest

    password = "hunter2hunter2"
    """)


@pytest.fixture(scope="module")
def bandit_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    root = tmp_path_factory.mktemp("bandit_case")
    (root / "app.py").write_text(BANDIT_SOURCE)
    (root / ".bandit").write_text("[bandit]\nskips = B324,B602\n")  # must be ignored
    proc = subprocess.run(bandit_command(["app.py"]), cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return parse_bandit_output(proc.stdout, root)


@pytest.mark.parametrize(
    ("test_id", "line", "cwe", "severity", "confidence"),
    [
        ("B404", 2, 78, "low", "high"),
        ("B324", 5, 327, "high", "high"),
        ("B602", 6, 78, "high", "high"),
        ("B105", 9, 259, "low", "medium"),
    ],
)
def test_bandit_vulnerable(
    bandit_findings: list[Finding],
    test_id: str,
    line: int,
    cwe: int,
    severity: str,
    confidence: str,
) -> None:
    [finding] = [f for f in bandit_findings if f.rule_id == test_id]
    assert (finding.line, finding.cwe) == (line, cwe)
    assert (finding.severity, finding.confidence) == (severity, confidence)
    assert finding.tool == "bandit" and finding.tools == ["bandit"] and finding.file == "app.py"


def test_bandit_safe(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import hashlib\n\ndef f(data):\n    return hashlib.sha256(data)\n"
    )
    proc = subprocess.run(bandit_command(["app.py"]), cwd=tmp_path, capture_output=True, text=True)
    assert parse_bandit_output(proc.stdout, tmp_path) == []


def test_bandit_details(bandit_findings: list[Finding]) -> None:
    by_id = {f.rule_id: f for f in bandit_findings}
    assert by_id["B324"].column == 14 and by_id["B324"].snippet == "digest = hashlib.md5(data)"
    assert by_id["B324"].category == "weak-hash"
    password = by_id["B105"]
    assert "hunter2hunter2" not in password.snippet + password.message
