"""attune's AST rules: for every rule, code that must be flagged and code that must not."""

from __future__ import annotations

import textwrap

import pytest

from activities.security_audit.scanners.ast_rules import RULES, scan_python, source_lines


def scan(code: str) -> list:
    return scan_python(textwrap.dedent(code).lstrip("\n"), "app/module.py")


# (rule id, line of the finding, code). Line numbers count from the first non-empty line.
# fmt: off
VULNERABLE = [
    # ATN101: SQL built by string formatting
    ("ATN101", 2, """
        def f(cur, uid):
            cur.execute(f"SELECT * FROM t WHERE id = {uid}")
     """),
    ("ATN101", 2, """
        def f(cur, uid):
            cur.execute("SELECT * FROM t WHERE id = {}".format(uid))
     """),
    ("ATN101", 2, """
        def f(cur, uid):
            cur.executemany("SELECT * FROM t WHERE id = %s" % uid, [])
     """),
    ("ATN101", 2, """
        def f(conn, name):
            conn.executescript("DELETE FROM t WHERE name = '" + name + "'")
     """),
    ("ATN101", 2, """
        def f(cur, uid):
            query = "SELECT * FROM t WHERE id = " + str(uid)
            cur.execute(query)
     """),
    ("ATN101", 3, """
        def f(cur, uid):
            query = "SELECT * FROM t WHERE 1 = 1"
            query += " AND id = " + uid
            cur.execute(query)
            cur.execute(query)
     """),
    ("ATN101", 2, """
        def f(name):
            return User.objects.raw(f"SELECT * FROM auth_user WHERE name = '{name}'")
     """),
    ("ATN101", 3, """
        from sqlalchemy import text
        def f(session, name):
            return session.execute(text(f"SELECT * FROM t WHERE name = '{name}'"))
     """),
    ("ATN101", 3, """
        def f(cur, table):
            cur.execute(
                "SELECT * FROM %s" % table,
            )
     """),
    # ATN110: Shell command from non-constant data
    ("ATN110", 3, """
        import subprocess
        def f(cmd):
            subprocess.run(cmd, shell=True)
     """),
    ("ATN110", 3, """
        import subprocess as sp
        def f(d):
            sp.Popen(f"ls {d}", shell=True)
     """),
    ("ATN110", 3, """
        import os
        def f(d):
            os.system("ls " + d)
     """),
    ("ATN110", 3, """
        import os as o
        def f(cmd):
            return o.popen(cmd).read()
     """),
    ("ATN110", 3, """
        from subprocess import getoutput
        def f(cmd):
            return getoutput(cmd)
     """),
    ("ATN110", 3, """
        from subprocess import Popen as P
        def f(cmd):
            P(cmd, shell=True)
     """),
    # ATN112: Shell command whose every value is shell-quoted
    ("ATN112", 3, """
        import os, shlex
        def f(host):
            os.system(f"ping -c 1 {shlex.quote(host)} > /dev/null")
     """),
    ("ATN112", 5, """
        import subprocess
        from shlex import quote
        REPO = "/srv/git"
        def f(branch):
            subprocess.check_output(
                "git -C " + REPO + " log " + quote(branch),
                shell=True,
            )
     """),
    ("ATN112", 5, """
        import os, shlex
        def f(dest, files):
            target = shlex.quote(dest)
            names = " ".join(shlex.quote(n) for n in files)
            return os.popen(f"tar czf {target} {names}")
     """),
    ("ATN112", 4, """
        import shlex
        def f(client, needle):
            command = "grep -e %s /var/log/*.log" % shlex.quote(needle)
            client.exec_command(command)
     """),
    # ATN111: Process started with non-constant arguments
    ("ATN111", 3, """
        import subprocess
        def f(d):
            subprocess.run(["ls", d])
     """),
    ("ATN111", 3, """
        from subprocess import check_output
        def f(args):
            return check_output(args)
     """),
    ("ATN111", 3, """
        import os
        def f(path, args):
            os.execv(path, args)
     """),
    ("ATN111", 3, """
        import os
        def f(prog):
            os.spawnl(os.P_WAIT, prog, "prog")
     """),
    # ATN120: eval/exec of non-constant data
    ("ATN120", 2, """
        def f(expr):
            return eval(expr)
     """),
    ("ATN120", 2, """
        def f(code):
            exec(code, {})
     """),
    ("ATN120", 3, """
        import builtins
        def f(expr):
            return builtins.eval(expr)
     """),
    # ATN130: Pickle-based deserialisation
    ("ATN130", 3, """
        import pickle
        def f(data):
            return pickle.loads(data)
     """),
    ("ATN130", 3, """
        from pickle import loads as l
        def f(data):
            return l(data)
     """),
    ("ATN130", 3, """
        import dill
        def f(fh):
            return dill.load(fh)
     """),
    ("ATN130", 3, """
        import cPickle
        def f(fh):
            return cPickle.Unpickler(fh).load()
     """),
    ("ATN130", 2, """
        import shelve
        db = shelve.open(path)
     """),
    ("ATN130", 3, """
        import marshal
        def f(data):
            return marshal.loads(data)
     """),
    ("ATN130", 3, """
        import jsonpickle
        def f(data):
            return jsonpickle.decode(data)
     """),
    # ATN131: yaml.load without a safe loader
    ("ATN131", 3, """
        import yaml
        def f(s):
            return yaml.load(s)
     """),
    ("ATN131", 3, """
        import yaml
        def f(s):
            return yaml.load(s, Loader=yaml.Loader)
     """),
    ("ATN131", 3, """
        from yaml import unsafe_load
        def f(s):
            return unsafe_load(s)
     """),
    # ATN132: torch.load without weights_only=True
    ("ATN132", 2, """
        import torch
        model = torch.load(path)
     """),
    ("ATN132", 2, """
        import torch
        model = torch.load(path, weights_only=False)
     """),
    # ATN133: Deserialises data serialised in the same function (a round trip)
    ("ATN133", 3, """
        import pickle
        def test_copy(x):
            assert pickle.loads(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)) == x
     """),
    ("ATN133", 5, """
        import pickle
        def test_copy(x):
            data = pickle.dumps(x)
            check(data)
            return pickle.loads(data)
     """),
    ("ATN133", 6, """
        import io, pickle
        def test_file(x):
            buf = io.BytesIO()
            pickle.dump(x, buf)
            buf.seek(0)
            return pickle.load(buf)
     """),
    ("ATN133", 3, """
        import io, pickle
        def test_file(x):
            return pickle.Unpickler(io.BytesIO(pickle.dumps(x))).load()
     """),
    # ATN141: Broken or weak cipher
    ("ATN141", 3, """
        from Crypto.Cipher import DES
        def f(key):
            return DES.new(key, DES.MODE_CBC)
     """),
    ("ATN141", 3, """
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        def f(key, iv):
            return Cipher(algorithms.Blowfish(key), modes.CBC(iv))
     """),
    ("ATN141", 2, """
        from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
        cipher = ARC4(b"k" * 16)
     """),
    # ATN142: Block cipher in ECB mode
    ("ATN142", 3, """
        from Cryptodome.Cipher import AES
        def f(key):
            return AES.new(key, AES.MODE_ECB)
     """),
    ("ATN142", 3, """
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        def f(key):
            return Cipher(algorithms.AES(key), mode=modes.ECB())
     """),
    # ATN143: Broken SSL/TLS protocol version
    ("ATN143", 3, """
        import ssl
        def client_context():
            context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
            return context
     """),
    ("ATN143", 3, """
        import ssl
        def wrap(sock):
            return ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_SSLv3)
     """),
    ("ATN143", 3, """
        import ssl
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1
     """),
    ("ATN143", 2, """
        from OpenSSL import SSL
        ctx = SSL.Context(SSL.TLSv1_1_METHOD)
     """),
    # ATN190: Non-cryptographic random used for a security value
    ("ATN190", 3, """
        import random, string
        def f():
            token = "".join(random.choice(string.ascii_letters) for _ in range(32))
     """),
    ("ATN190", 3, """
        import random
        def make_password():
            return str(random.getrandbits(64))
     """),
    ("ATN190", 3, """
        from random import randint as pick
        def f(user):
            user.send(reset_code=pick(100000, 999999))
     """),
    ("ATN190", 3, """
        import random
        def f(self, session):
            self.sessionId = random.random()
     """),
    ("ATN190", 3, """
        import random
        def f(session):
            session["csrf_token"] = random.randbytes(16).hex()
     """),
    # ATN140: Weak hash (MD5/SHA-1)
    ("ATN140", 3, """
        import hashlib
        def f(data):
            return hashlib.md5(data).hexdigest()
     """),
    ("ATN140", 2, """
        import hashlib as h
        digest = h.sha1(b"x")
     """),
    ("ATN140", 2, """
        import hashlib
        digest = hashlib.new("MD5", b"x")
     """),
    ("ATN140", 2, """
        from hashlib import md5 as m
        digest = m(data)
     """),
    ("ATN140", 3, """
        from Crypto.Hash import MD5
        def f(data):
            return MD5.new(data).hexdigest()
     """),
    ("ATN140", 2, """
        from cryptography.hazmat.primitives import hashes
        digest = hashes.Hash(hashes.SHA1())
     """),
    # ATN150: XML parsed without defusedxml
    ("ATN150", 3, """
        import xml.etree.ElementTree as ET
        def f(s):
            return ET.fromstring(s)
     """),
    ("ATN150", 3, """
        from xml.dom import minidom
        def f(s):
            return minidom.parseString(s)
     """),
    ("ATN150", 2, """
        import xml.sax
        parser = xml.sax.make_parser()
     """),
    ("ATN150", 2, """
        from xml.dom.pulldom import parse
        events = parse(stream)
     """),
    ("ATN150", 2, """
        from lxml import etree
        tree = etree.fromstring(data)
     """),
    ("ATN150", 2, """
        from lxml import etree
        tree = etree.parse(fh, etree.XMLParser())
     """),
    # ATN160: Cookie set without Secure
    ("ATN160", 2, """
        def view(response, value):
            response.set_cookie("session", value, httponly=True)
     """),
    ("ATN160", 2, """
        def view(response, value):
            response.set_cookie("session", value, secure=False, httponly=True)
     """),
    ("ATN160", 3, """
        class Handler(tornado.web.RequestHandler):
            def get(self):
                self.set_cookie("session", self.token, httponly=True)
     """),
    ("ATN160", 3, """
        def view(body):
            holder = make_response(body)
            holder.set_cookie("session", "v", httponly=True)
     """),
    ("ATN160", 2, """
        def view():
            HttpResponse("ok").set_cookie(key, httponly=True)
     """),
    # ATN161: Cookie set without HttpOnly
    ("ATN161", 2, """
        def view(response, value):
            response.set_cookie("session", value, secure=True)
     """),
    ("ATN161", 2, """
        def view(response, value):
            response.set_cookie("session", value, None, None, "/", None, True, False)
     """),
    # ATN162: Django setting disables Secure cookies
    ("ATN162", 2, """
        DEBUG = False
        SESSION_COOKIE_SECURE = False
     """),
    ("ATN162", 1, """
        CSRF_COOKIE_SECURE: bool = False
     """),
    # ATN163: Django setting disables HttpOnly session cookie
    ("ATN163", 1, """
        SESSION_COOKIE_HTTPONLY = False
     """),
    # ATN170: Web app run with debug=True
    ("ATN170", 3, """
        from flask import Flask
        app = Flask(__name__)
        app.run(debug=True)
     """),
    ("ATN170", 2, """
        if __name__ == "__main__":
            app.run(host="127.0.0.1", port=5000, debug=True)
     """),
    ("ATN170", 1, """
        create_app().run(debug=True)
     """),
    ("ATN170", 1, """
        socketio.run(app, debug=True)
     """),
    # ATN171: DEBUG = True at module level
    ("ATN171", 2, """
        import os
        DEBUG = True
     """),
    # ATN180: Request data reaches a filesystem path
    ("ATN180", 3, """
        from flask import request
        def download():
            return open(request.args["name"]).read()
     """),
    ("ATN180", 4, """
        import os
        def download(request):
            name = request.GET.get("name")
            return open(os.path.join("/srv/files", name))
     """),
    ("ATN180", 3, """
        from pathlib import Path
        def upload(request):
            Path(request.form["target"]).write_bytes(b"")
     """),
    ("ATN180", 3, """
        from flask import request, send_file
        def download():
            return send_file(f"/srv/files/{request.args['name']}")
     """),
    ("ATN180", 3, """
        from flask import request, send_from_directory
        def download():
            return send_from_directory("/srv/files", request.values.get("name"))
     """),
    ("ATN180", 3, """
        class View:
            def get(self):
                return open("/srv/" + self.request.GET["name"])
     """),
    ("ATN180", 3, """
        def upload(request):
            for upload in request.FILES.getlist("files"):
                open(upload.name, "wb")
     """),
]

# (rule id the code is the safe counterpart of, code). Every case must yield no finding.
SAFE = [
    ("ATN101", """
        def f(cur, uid):
            cur.execute("SELECT * FROM t WHERE id = %s", (uid,))
     """),
    ("ATN101", """
        def f(cur):
            cur.execute("SELECT * " + "FROM t")
            cur.execute("SELECT {}".format("1"))
     """),
    ("ATN101", """
        def f(cur, uid):
            query = f"SELECT * FROM t WHERE id = {uid}"
            query = "SELECT 1"
            cur.execute(query)
     """),
    ("ATN101", """
        from sqlalchemy import text
        def f(session, uid):
            return session.execute(text("SELECT * FROM t WHERE id = :id"), {"id": uid})
     """),
    ("ATN101", """
        def text(value):
            return value
        label = text(f"{name}")
     """),
    ("ATN110", """
        import subprocess, os
        subprocess.run("ls -la", shell=True)
        os.system("ls")
     """),
    ("ATN112", """
        import os
        os.system("ls -la /srv")
     """),
    ("ATN111", """
        import subprocess, sys
        COMMAND = ["git", "status"]
        subprocess.run(["ls", "-la"])
        subprocess.run(COMMAND)
        subprocess.run([sys.executable, "-m", "pip", "--version"])
     """),
    ("ATN111", """
        import os
        os.execv("/bin/ls", ["ls", "-l"])
        os.spawnl(os.P_WAIT, "/bin/ls", "ls")
     """),
    ("ATN120", """
        import ast
        def f(expr):
            eval("1 + 1")
            return ast.literal_eval(expr)
     """),
    ("ATN130", """
        import json, pickle
        def f(data, obj):
            pickle.dumps(obj)
            return json.loads(data)
     """),
    ("ATN131", """
        import yaml
        def f(s):
            yaml.load(s, Loader=yaml.SafeLoader)
            yaml.load(s, yaml.CSafeLoader)
            return yaml.safe_load(s)
     """),
    ("ATN132", """
        import torch
        model = torch.load(path, weights_only=True)
     """),
    ("ATN140", """
        import hashlib
        hashlib.sha256(b"x")
        hashlib.md5(b"x", usedforsecurity=False)
        hashlib.new("sha256")
     """),
    ("ATN133", """
        import json
        def test_copy(x):
            return json.loads(json.dumps(x))
     """),
    ("ATN141", """
        from Crypto.Cipher import AES, ChaCha20_Poly1305
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        def f(key, iv):
            AES.new(key, AES.MODE_GCM)
            ChaCha20_Poly1305.new(key=key)
            return Cipher(algorithms.AES(key), modes.GCM(iv))
     """),
    ("ATN142", """
        from Crypto.Cipher import AES
        def f(key, iv):
            return AES.new(key, AES.MODE_CBC, iv=iv)
     """),
    ("ATN143", """
        import ssl
        from OpenSSL import SSL
        def contexts():
            context = ssl.create_default_context()
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            return context, server, SSL.Context(SSL.TLS_METHOD)
     """),
    ("ATN190", """
        import random, secrets
        def backoff(attempt, items, keys):
            delay = random.uniform(0, 2**attempt)
            random.shuffle(items)
            key = random.choice(keys)
            token_count = random.randint(1, 5)
            password_length = random.randint(12, 16)
            token = secrets.token_urlsafe(32)
            sample(salt=secrets.token_bytes(16), seed=random.random())
            return delay
        def jitter():
            return random.random()
        def generate_token():
            return secrets.token_hex(16)
     """),
    ("ATN190", """
        def f(rng):
            token = rng.choice("abc")
            nonce = random.random()  # `random` is not the stdlib module here
     """),
    ("ATN150", """
        import defusedxml.ElementTree as ET
        from lxml import etree
        SAFE_PARSER = etree.XMLParser(resolve_entities=False)
        def f(s):
            ET.fromstring(s)
            etree.fromstring(s, SAFE_PARSER)
            return etree.parse(s, parser=etree.XMLParser(resolve_entities=False))
     """),
    ("ATN160", """
        def view(response, value, settings, **opts):
            response.set_cookie("a", value, secure=True, httponly=True)
            response.set_cookie("b", value, secure=settings.SECURE, httponly=settings.HTTPONLY)
            response.set_cookie("c", value, **opts)
            response.set_cookie("d", max_age=0)
     """),
    ("ATN160", """
        from http.cookiejar import CookieJar
        from requests.cookies import RequestsCookieJar, create_cookie
        jar = CookieJar()
        jar.set_cookie(create_cookie("a", "b"))
        def merge(cookiejar, session, cookie):
            cookiejar.set_cookie(cookie)
            session.cookies.set("a", "b", secure=False)
            session.cookies.set_cookie(create_cookie("a", "b"))
            store = RequestsCookieJar()
            store.set_cookie(cookie, "unusual second argument")
            self.jar.set_cookie(cookie)
        class Jar(RequestsCookieJar):
            def copy(self, other):
                for cookie in other:
                    self.set_cookie(cookie, origin="copy")
        def anything(obj, cookie):
            obj.set_cookie(cookie)
        def test_login(client, app):
            client.set_cookie("session", "v")
            app.test_client().set_cookie("session", "v")
     """),
    ("ATN160", """
        from http.cookies import SimpleCookie
        def header(value):
            cookie = SimpleCookie()
            cookie["session"] = value
            cookie["session"]["path"] = "/"
            return cookie.output()
     """),
    ("ATN162", """
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        def override():
            SESSION_COOKIE_SECURE = False
     """),
    ("ATN163", """
        SESSION_COOKIE_HTTPONLY = True
     """),
    ("ATN170", """
        import os
        app.run()
        app.run(debug=False)
        app.run(debug=os.environ.get("FLASK_DEBUG") == "1")
        suite.run(debug=True)  # unittest's debug mode: exceptions propagate
     """),
    ("ATN171", """
        import os
        DEBUG = os.environ.get("DEBUG") == "1"
        def configure():
            DEBUG = True
     """),
    ("ATN180", """
        import os
        from werkzeug.utils import secure_filename
        def download(request):
            open(secure_filename(request.args["name"]))
            open(os.path.basename(request.GET["name"]))
            name = request.GET["name"]
            name = "index.html"
            return open(os.path.join("/srv/files", name))
     """),
    ("ATN180", """
        def handler(event):
            return open(event["path"])
     """),
]
# fmt: on


def test_every_rule_has_vulnerable_and_safe_cases() -> None:
    assert {rule for rule, _, _ in VULNERABLE} == set(RULES)
    safe_rules = {rule for rule, _ in SAFE}
    # ATN160/ATN161 share their safe cases (one set_cookie call carries both flags).
    assert safe_rules | {"ATN161"} == set(RULES)


@pytest.mark.parametrize(("rule_id", "line", "code"), VULNERABLE)
def test_vulnerable(rule_id: str, line: int, code: str) -> None:
    findings = [f for f in scan(code) if f.rule_id == rule_id]
    assert [f.line for f in findings] == [line], scan(code)
    finding = findings[0]
    assert finding.cwe == RULES[rule_id].cwe
    assert finding.severity == RULES[rule_id].severity
    assert finding.tool == "attune" and finding.tools == ["attune"]


@pytest.mark.parametrize(("rule_id", "code"), SAFE)
def test_safe(rule_id: str, code: str) -> None:
    assert scan(code) == []


@pytest.mark.parametrize(
    ("rule_id", "cwe"),
    [("ATN101", 89), ("ATN110", 78), ("ATN111", 78), ("ATN112", 78), ("ATN120", 94),
     ("ATN130", 502), ("ATN131", 502), ("ATN132", 502), ("ATN133", 502), ("ATN140", 328),
     ("ATN141", 327),
     ("ATN142", 327), ("ATN143", 327), ("ATN150", 611), ("ATN160", 614), ("ATN161", 1004),
     ("ATN162", 614), ("ATN163", 1004), ("ATN170", 489), ("ATN171", 489), ("ATN180", 22),
     ("ATN190", 330)],
)  # fmt: skip
def test_rule_cwes(rule_id: str, cwe: int) -> None:
    assert RULES[rule_id].cwe == cwe


@pytest.mark.parametrize(
    "code",
    [
        # a quoted value inside the command's own quotes is unquoted again
        """
        import os, shlex
        def f(x):
            os.system(f"echo '{shlex.quote(x)}'")
        """,
        # one value of two is quoted
        """
        import os, shlex
        def f(a, b):
            os.system(f"cp {shlex.quote(a)} {b}")
        """,
        # the quoted variable is rebound to raw data before the call
        """
        import os, shlex
        def f(a, b):
            target = shlex.quote(a)
            target, other = b, 1
            os.system("ls " + target)
        """,
        """
        import os, shlex
        def f(a, b):
            target = shlex.quote(a)
            target += b
            os.system("ls " + target)
        """,
        # a conversion or format spec changes what the shell sees
        """
        import os, shlex
        def f(a):
            os.system(f"ls {shlex.quote(a)!r}")
        """,
        """
        import os, shlex
        def f(a):
            os.system("ls %r" % shlex.quote(a))
        """,
        """
        import os, shlex
        def f(a):
            os.system("ls {:.3}".format(shlex.quote(a)))
        """,
    ],
)
def test_partly_quoted_shell_commands_stay_atn110(code: str) -> None:
    assert [f.rule_id for f in scan(code)] == ["ATN110"]


def test_cookie_without_any_flag_reports_both() -> None:
    findings = scan("""
        def view(response):
            response.set_cookie("k", "v")
    """)
    assert sorted((f.rule_id, f.cwe, f.line) for f in findings) == [
        ("ATN160", 614, 2),
        ("ATN161", 1004, 2),
    ]


def test_finding_location_and_snippet() -> None:
    source = 'import os\n\ndef f(cmd):\n    label = "é"; os.system(cmd)  # run it\n'
    [finding] = scan_python(source, "pkg/run.py")
    assert finding.file == "pkg/run.py"
    assert (finding.line, finding.end_line) == (4, 4)
    assert finding.column == 18  # characters, not UTF-8 bytes (that would be 19)
    assert finding.snippet == 'label = "é"; os.system(cmd)  # run it'
    assert finding.fingerprint == "" and finding.llm is None


def test_snippet_is_truncated() -> None:
    source = "def f(x):\n    eval(x)" + " " * 10 + "#" * 300 + "\n"
    [finding] = scan_python(source, "a.py")
    assert len(finding.snippet) == 200


def test_taint_is_per_function() -> None:
    findings = scan("""
        def build(uid):
            query = f"SELECT * FROM t WHERE id = {uid}"
            return query
        def run(cur, query):
            cur.execute(query)
    """)
    assert findings == []


def test_sql_through_a_variable_is_reported_where_it_is_formatted() -> None:
    [finding] = scan("""
        def f(cur, uid):
            sql = "SELECT * FROM t WHERE id = %s" % uid
            cur.execute(sql)
    """)
    assert (finding.line, finding.column) == (2, 11)
    assert "'sql'" in finding.message and "line 3" in finding.message


@pytest.mark.parametrize("source", ["def f(:\n    eval(x)\n", "x = eval('a\0b')\n"])
def test_unparsable_source_raises(source: str) -> None:
    with pytest.raises((SyntaxError, ValueError)):
        scan_python(source, "bad.py")


def test_files_naming_no_sink_are_not_parsed() -> None:
    assert scan_python("def f(:\n    return 1\n", "clean.py") == []


def test_source_lines_match_python_line_numbers() -> None:
    assert source_lines("a\r\nb\rc\nd\x0ce\u2028f") == ["a", "b", "c", "d\x0ce\u2028f"]


def test_walks_all_syntax() -> None:
    """Match statements, type parameters, async code: the walker must not trip on them."""
    findings = scan("""
        import os
        type Alias[T] = list[T]
        class C[T]:
            async def f(self, command, items):
                match command:
                    case {"run": str(cmd), **rest}:
                        os.system(cmd)
                    case [1, *others] | None:
                        pass
                async with lock:
                    async for item in items:
                        await item
                return [eval(x) for x in items if (y := x)]
    """)
    assert [(f.rule_id, f.line) for f in findings] == [("ATN110", 7), ("ATN120", 13)]


@pytest.mark.parametrize(
    "code",
    [
        """
        import pickle
        def f(x, receive):
            data = pickle.dumps(x)
            data = receive()
            return pickle.loads(data)
        """,
        """
        import pickle
        def f(data, x):
            if x:
                data = pickle.dumps(x)
            return pickle.loads(data)
        """,
        """
        import pickle
        def f(x, path):
            with open(path, "wb") as fh:
                pickle.dump(x, fh)
            with open(path, "rb") as fh:
                return pickle.load(fh)
        """,
        """
        import pickle
        def f(x):
            data = pickle.dumps(x)
        def g(data):
            return pickle.loads(data)
        """,
    ],
)
def test_deserialising_anything_but_own_data_stays_atn130(code: str) -> None:
    """A round trip needs the serialised bytes to be the only thing the name ever held in
    this function: a parameter, a rebinding or another function's data is outside data."""
    assert [f.rule_id for f in scan(code)] == ["ATN130"]


def test_cookie_jar_and_response_are_told_apart_by_how_they_were_made() -> None:
    findings = scan("""
        from http.cookiejar import CookieJar
        def view(body, cookie):
            holder = make_response(body)
            holder.set_cookie("k", "v", secure=True, httponly=True)
            holder.set_cookie("k", "v")
            holder = CookieJar()
            holder.set_cookie(cookie, "v")
    """)
    assert sorted((f.rule_id, f.line) for f in findings) == [("ATN160", 5), ("ATN161", 5)]


def test_weak_cipher_in_ecb_mode_reports_both() -> None:
    findings = scan("""
        from Crypto.Cipher import DES
        cipher = DES.new(b"8bytekey", DES.MODE_ECB)
    """)
    assert sorted(f.rule_id for f in findings) == ["ATN141", "ATN142"]


def test_weak_random_is_reported_at_each_random_call() -> None:
    findings = scan("""
        import random
        def f():
            otp = (
                random.randint(0, 9),
                random.SystemRandom().randint(0, 9),
                random.randint(0, 9),
            )
    """)
    assert [(f.rule_id, f.line) for f in findings] == [("ATN190", 4), ("ATN190", 6)]
    assert "'otp'" in findings[0].message and "random.randint()" in findings[0].message
