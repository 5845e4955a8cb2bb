"""Attune's own Python security rules: one pass over the AST, with simple taint.

ruff/bandit flag every `pickle.loads` or `cursor.execute(sql % x)` they see; these rules
add what a per-call pattern cannot: a query or path that only becomes dangerous through a
local variable assigned earlier in the same function, aliases (`from pickle import loads as
l`), and "is this argument actually constant?" checks that keep constant commands quiet.

Performance shapes the code. The walk is a hand-rolled iterative traversal that only visits
fields able to hold a call (no `ast.NodeVisitor` dispatch, no expression contexts or
operators), call handlers are looked up by the callee's last name so most calls cost one
dict miss, and a file whose text contains none of the sink names is not walked at all.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows.schemas import Confidence, Finding, Severity

TOOL = "attune"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    category: str
    cwe: int
    severity: Severity
    confidence: Confidence


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("ATN101", "SQL built by string formatting", "sql-injection", 89, "high", "medium"),
        Rule("ATN110", "Shell command from non-constant data", "command-injection", 78, "high",
             "medium"),
        Rule("ATN111", "Process started with non-constant arguments", "command-injection", 78,
             "medium", "low"),
        Rule("ATN112", "Shell command whose every value is shell-quoted", "command-injection",
             78, "info", "high"),
        Rule("ATN120", "eval/exec of non-constant data", "code-injection", 94, "high", "medium"),
        Rule("ATN130", "Pickle-based deserialisation", "deserialization", 502, "high", "medium"),
        Rule("ATN131", "yaml.load without a safe loader", "deserialization", 502, "high", "high"),
        Rule("ATN132", "torch.load without weights_only=True", "deserialization", 502, "medium",
             "medium"),
        Rule("ATN133", "Deserialises data serialised in the same function", "deserialization",
             502, "info", "high"),
        Rule("ATN140", "Weak hash (MD5/SHA-1)", "weak-hash", 328, "medium", "medium"),
        Rule("ATN141", "Broken or weak cipher", "weak-crypto", 327, "high", "high"),
        Rule("ATN142", "Block cipher in ECB mode", "weak-crypto", 327, "medium", "high"),
        Rule("ATN143", "Broken SSL/TLS protocol version", "tls", 327, "high", "high"),
        Rule("ATN150", "XML parsed without defusedxml", "xxe", 611, "medium", "medium"),
        Rule("ATN160", "Cookie set without Secure", "insecure-cookie", 614, "medium", "medium"),
        Rule("ATN161", "Cookie set without HttpOnly", "insecure-cookie", 1004, "low", "medium"),
        Rule("ATN162", "Django setting disables Secure cookies", "insecure-cookie", 614,
             "medium", "high"),
        Rule("ATN163", "Django setting disables HttpOnly session cookie", "insecure-cookie",
             1004, "low", "high"),
        Rule("ATN170", "Web app run with debug=True", "debug", 489, "high", "medium"),
        Rule("ATN171", "DEBUG = True at module level", "debug", 489, "medium", "medium"),
        Rule("ATN180", "Request data reaches a filesystem path", "path-traversal", 22, "high",
             "medium"),
        Rule("ATN190", "Non-cryptographic random used for a security value", "weak-randomness",
             330, "medium", "medium"),
    )
}  # fmt: skip

# --- sink tables --------------------------------------------------------------------------

# Functions that turn a string into executable SQL, and the packages they must come from.
_SQL_FACTORIES = {"text": ("sqlalchemy", "sqlmodel"), "RawSQL": ("django.",)}
_SQL_ARG_KEYWORDS = frozenset({"sql", "query", "statement", "stmt", "raw_query", "text"})

_SUBPROCESS_FUNCS = frozenset({"run", "call", "Popen", "check_output", "check_call"})
_ALWAYS_SHELL = frozenset(
    {"subprocess.getoutput", "subprocess.getstatusoutput", "os.system", "os.popen"}
)
_OS_EXEC = frozenset(
    f"os.{name}"
    for name in (
        "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
        "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
        "posix_spawn", "posix_spawnp",
    )
)  # fmt: skip
_EVAL = frozenset({"eval", "exec", "builtins.eval", "builtins.exec"})

_PICKLE_CALLS = frozenset(
    [f"{mod}.{fn}" for mod in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
     for fn in ("loads", "load", "Unpickler")]
    + ["marshal.loads", "marshal.load", "jsonpickle.decode", "jsonpickle.loads",
       "shelve.open", "pandas.read_pickle"]
)  # fmt: skip
# Serialisers whose output, deserialised again in the same function, is the program's own.
_PICKLE_DUMPS = frozenset(
    [f"{mod}.{fn}" for mod in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
     for fn in ("dumps", "dump")]
    + ["marshal.dumps", "marshal.dump", "jsonpickle.encode", "jsonpickle.dumps"]
)  # fmt: skip
_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_YAML_UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
_YAML_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})

_WEAK_HASHES = frozenset({"md5", "sha1", "md4", "sha", "md5-sha1"})
_WEAK_HASH_CALLS = frozenset({"hashlib.md5", "hashlib.sha1"})
# Hash objects of the crypto libraries (pycryptodome's `Crypto`/`Cryptodome`, cryptography).
_LIBRARY_WEAK_HASHES = frozenset(
    [f"{pkg}.Hash.{alg}.new" for pkg in ("Crypto", "Cryptodome") for alg in ("MD2", "MD4", "MD5",
                                                                          "SHA", "SHA1")]
    + [f"cryptography.hazmat.primitives.hashes.{alg}" for alg in ("MD5", "SHA1")]
)  # fmt: skip

# Ciphers broken or too weak for new data: pycryptodome's modules and cryptography's
# algorithms (its `decrepit` package is where the weak ones moved).
_WEAK_CIPHERS = frozenset(
    [f"{pkg}.Cipher.{alg}.new" for pkg in ("Crypto", "Cryptodome")
     for alg in ("DES", "DES3", "ARC2", "ARC4", "Blowfish", "CAST", "XOR")]
    + [f"cryptography.hazmat.{pkg}.ciphers.algorithms.{alg}"
       for pkg in ("primitives", "decrepit")
       for alg in ("ARC4", "Blowfish", "IDEA", "CAST5", "SEED", "TripleDES", "RC2")]
)  # fmt: skip
_CIPHER_MODULES = ("Crypto.Cipher.", "Cryptodome.Cipher.")
_ECB_MODES = frozenset({"cryptography.hazmat.primitives.ciphers.modes.ECB"})

# SSL 2/3 and TLS 1.0/1.1: deprecated by RFC 8996, broken by known attacks (POODLE, BEAST).
_WEAK_TLS_VERSIONS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")
_WEAK_TLS = frozenset(
    [f"ssl.PROTOCOL_{v}" for v in _WEAK_TLS_VERSIONS]
    + [f"ssl.TLSVersion.{v}" for v in ("SSLv3", "TLSv1", "TLSv1_1")]
    + [f"OpenSSL.SSL.{v}_METHOD" for v in _WEAK_TLS_VERSIONS]
)  # fmt: skip
_TLS_VERSION_ATTRS = frozenset({"minimum_version", "maximum_version"})

# random's generators (not SystemRandom, which draws from os.urandom).
_RANDOM_CALLS = frozenset(
    f"random.{fn}"
    for fn in ("random", "randint", "randrange", "choice", "choices", "sample", "shuffle",
               "getrandbits", "randbytes", "uniform")
)  # fmt: skip
# Names of values that must be unguessable: the last snake_case word(s) of the name, so
# `reset_token` counts and `token_count` or `password_length` do not.
_SECURITY_VALUE = re.compile(
    r"(?:^|_)(?:token|password|passwd|pwd|passphrase|secret|nonce|salt|otp|totp|pin|csrf|xsrf"
    r"|sessionid|session_id|session_key|sid|api_?key|secret_?key|private_?key|signing_?key"
    r"|encryption_?key|auth_?key|reset_?code|verification_?code|confirmation_?code|iv)s?\d*$"
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_XML_STDLIB = frozenset(
    [f"xml.etree.{mod}.{fn}" for mod in ("ElementTree", "cElementTree")
     for fn in ("parse", "fromstring", "fromstringlist", "XML", "XMLParser", "iterparse",
                "XMLPullParser")]
    + [f"xml.dom.{mod}.{fn}" for mod in ("minidom", "pulldom") for fn in ("parse", "parseString")]
    + ["xml.sax.parse", "xml.sax.parseString", "xml.sax.make_parser"]
)  # fmt: skip
_LXML_PARSE = frozenset({"lxml.etree.parse", "lxml.etree.fromstring", "lxml.etree.XML"})

_PATH_SINKS = frozenset(
    {
        "open", "io.open", "codecs.open", "os.open",
        "os.path.join", "posixpath.join", "ntpath.join",
        "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
        "flask.send_file", "flask.send_from_directory",
        "flask.helpers.send_file", "flask.helpers.send_from_directory",
    }
)  # fmt: skip
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_ATTRS = frozenset(
    {
        "args", "form", "values", "files", "json", "data", "cookies", "headers", "body",
        "GET", "POST", "FILES", "COOKIES", "META", "query_params", "path_params",
        "query_string", "view_args", "get_json", "get_data", "match_info",
    }
)  # fmt: skip

# A file is walked only if its text contains one of these: every sink's last name (or the
# module of a module-qualified sink) necessarily appears in the source, either at the call
# site or in the import that aliases it. Path sinks (open, join...) are everywhere, so they
# only count together with a request-ish word.
_WALK_TRIGGERS = (
    "exec", ".raw", "RawSQL", "sqlalchemy", "sqlmodel", "subprocess", "system", "popen",
    "spawn", "eval", "ickle", "dill", "shelve", "marshal", "yaml", "torch", "hashlib",
    "xml", "set_cookie", "debug", "Crypto", "cryptography", "random", "SSLv", "TLSv1",
)  # fmt: skip
_PATH_TRIGGERS = ("open", "join", "Path", "send_")
# Module-level settings rules (DEBUG, *_COOKIE_SECURE/HTTPONLY) need a parse, not a walk.
_MODULE_TRIGGERS = ("DEBUG", "_COOKIE_")

_WEB_APP_NAME = re.compile(r"app|flask|socketio", re.IGNORECASE)
_TRUSTED_EXPRS = frozenset({"sys.executable"})
_SHELL_QUOTE = frozenset({"shlex.quote", "shlex.join", "pipes.quote"})
# A quoted value placed inside the command's own quotes is unquoted again ("'{q}'"), and
# a backslash can escape what follows: literal parts holding any of these prove nothing.
_SHELL_QUOTING_CHARS = frozenset("'\"`\\")

# --- tree walking ---------------------------------------------------------------------------

# Fields that never hold a node worth visiting (strings, ints, contexts, operators,
# annotations, import aliases); everything else is walked.
_SKIP_FIELDS = frozenset(
    {
        "ctx", "op", "ops", "name", "names", "id", "attr", "arg", "module", "level", "kind",
        "is_async", "conversion", "type_comment", "type_ignores", "kwd_attrs", "rest",
        "simple", "tag", "annotation", "returns", "type_params",
    }
)  # fmt: skip
_LEAF: frozenset[type] = frozenset(
    {
        type(None), ast.Name, ast.Constant, ast.alias, ast.arg, ast.Pass, ast.Break,
        ast.Continue, ast.Global, ast.Nonlocal, ast.MatchSingleton,
    }
)  # fmt: skip


def _all_node_classes(base: type = ast.AST) -> list[type]:
    found = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(_all_node_classes(cls))
    return found


# Reversed so that pushing children onto a LIFO stack pops them in source order: taint
# tracking relies on seeing an assignment before the statements that follow it.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    cls: () if cls in _LEAF else tuple(f for f in reversed(cls._fields) if f not in _SKIP_FIELDS)
    for cls in _all_node_classes()
}


def source_lines(source: str) -> list[str]:
    """Split on \\r\\n, \\r and \\n only: str.splitlines() also splits on form feeds and
    U+2028, which would put line numbers out of step with ast and ruff."""
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    return source.split("\n")


def char_column(line: str, byte_offset: int) -> int:
    """1-based character column: ast (and bandit) report UTF-8 byte offsets."""
    if line.isascii():
        return byte_offset + 1
    return len(line.encode()[:byte_offset].decode(errors="replace")) + 1


def _dotted(func: ast.expr) -> str:
    """Readable callee for messages: `cursor.execute`, `….execute` for complex receivers."""
    parts = []
    while func.__class__ is ast.Attribute:
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if func.__class__ is ast.Name else "…")
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _runs_a_web_app(node: ast.Call) -> bool:
    """`app.run(debug=True)`, `socketio.run(app, debug=True)`: a web app by its name, not
    any `.run(debug=True)` (unittest's `suite.run(debug=True)` propagates exceptions)."""
    receivers = [node.func.value, *node.args[:1]]
    names = [_dotted(r.func if r.__class__ is ast.Call else r) for r in receivers]
    return any(_WEB_APP_NAME.search(name.rpartition(".")[2]) for name in names)


def _is_true(node: ast.expr | None) -> bool:
    return node.__class__ is ast.Constant and node.value is True


def _is_false(node: ast.expr | None) -> bool:
    return node.__class__ is ast.Constant and node.value is False


def _last_name(func: ast.expr) -> str | None:
    cls = func.__class__
    if cls is ast.Attribute:
        return func.attr
    if cls is ast.Name:
        return func.id
    return None


def is_security_name(name: str) -> bool:
    """Does a variable, parameter or function name say it holds an unguessable value
    (token, password, nonce, salt, session id...)? camelCase counts as snake_case."""
    return _SECURITY_VALUE.search(_CAMEL_BOUNDARY.sub("_", name).lower()) is not None


# Client-side cookie stores (http.cookiejar, requests' RequestsCookieJar, a session's
# `.cookies`, werkzeug's test client) and server responses, told apart by the name of the
# receiver or by the call that created it. A jar's `set_cookie(cookie)` stores a cookie
# the client received: the Secure/HttpOnly flags are the server's decision, not this code's.
_JAR_NAME = re.compile(r"(?:jar|cookies|client)$", re.IGNORECASE)
_RESPONSE_NAME = re.compile(r"^_*(?:r|res|resp|rsp|response)$|_?(?:resp|response)$", re.IGNORECASE)
_JAR_FACTORIES = frozenset({"cookiejar_from_dict", "merge_cookies"})
_RESPONSE_FACTORIES = frozenset({"make_response", "redirect", "jsonify", "render", "Response"})


def _factory_kind(value: ast.expr) -> str | None:
    """Does a call build a cookie jar ("jar") or a server response ("response")?"""
    if value.__class__ is not ast.Call:
        return None
    name = _last_name(value.func)
    if name is None:
        return None
    if _JAR_NAME.search(name) or name in _JAR_FACTORIES:
        return "jar"
    if name.endswith("Response") or name in _RESPONSE_FACTORIES:
        return "response"
    return None


class _Scope:
    """Per-function facts: variables holding formatted SQL (how, and the expression that
    formatted it), variables holding request data, variables holding plain strings;
    variables holding data this function serialised (and names bound to anything else,
    which can then never count as such); cookie jars and responses; variables holding a
    shell-quoted value; the function's name
    and whether `self` is a cookie jar (a method of a CookieJar subclass)."""

    __slots__ = ("bound", "func", "jars", "pickled", "quoted", "req", "responses",
                 "self_is_jar", "sql", "strs")  # fmt: skip

    def __init__(self, func: str = "", self_is_jar: bool = False) -> None:
        self.sql: dict[str, tuple[str, ast.AST]] = {}
        self.req: set[str] = set()
        self.strs: set[str] = set()
        self.pickled: set[str] = set()
        self.bound: set[str] = set()
        self.jars: set[str] = set()
        self.responses: set[str] = set()
        self.quoted: set[str] = set()
        self.func = func
        self.self_is_jar = self_is_jar


_CHILD_FIELDS[_Scope] = ()


class _Scanner:
    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = {}
        self.call_handlers = _CALL_HANDLERS
        self.module_consts: set[str] = set()
        self.module_strs: set[str] = set()
        self.safe_parsers: set[str] = set()
        self.scope = _Scope()
        self.uses_random = False
        self._lines: list[str] | None = None
        self._reported: set[tuple[str, int, int]] = set()

    # --- reporting ------------------------------------------------------------------------

    def report(self, rule_id: str, node: ast.AST, message: str) -> None:
        key = (rule_id, node.lineno, node.col_offset)
        if key in self._reported:  # one formatted query reaching two sinks is one issue
            return
        self._reported.add(key)
        if self._lines is None:
            self._lines = source_lines(self.source)
        rule = RULES[rule_id]
        text = self._lines[node.lineno - 1] if node.lineno <= len(self._lines) else ""
        self.findings.append(
            Finding(
                rule_id=rule_id,
                tool=TOOL,
                tools=[TOOL],
                category=rule.category,
                severity=rule.severity,
                confidence=rule.confidence,
                cwe=rule.cwe,
                file=self.path,
                line=node.lineno,
                column=char_column(text, node.col_offset),
                end_line=node.end_lineno,
                message=message,
                snippet=text.strip()[:200],
            )
        )

    # --- module level -----------------------------------------------------------------------

    def scan_module_body(self, tree: ast.Module) -> None:
        """Settings rules only make sense at module level, so they need no walk."""
        for stmt in tree.body:
            cls = stmt.__class__
            if cls is ast.Assign:
                targets, value = stmt.targets, stmt.value
            elif cls is ast.AnnAssign and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            for target in targets:
                if target.__class__ is ast.Name:
                    self._module_assign(stmt, target.id, value)

    def _module_assign(self, stmt: ast.stmt, name: str, value: ast.expr) -> None:
        if self.is_constant(value):
            self.module_consts.add(name)
            if value.__class__ is ast.Constant and isinstance(value.value, str):
                self.module_strs.add(name)
        if name == "DEBUG" and _is_true(value):
            self.report(
                "ATN171",
                stmt,
                "DEBUG = True: detailed error pages leak source, "
                "settings and data; set it from the environment, off by default.",
            )
        elif name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE") and _is_false(value):
            self.report(
                "ATN162",
                stmt,
                f"{name} = False sends the cookie over plain HTTP; set it to True in production.",
            )
        elif name == "SESSION_COOKIE_HTTPONLY" and _is_false(value):
            self.report(
                "ATN163",
                stmt,
                "SESSION_COOKIE_HTTPONLY = False lets page scripts "
                "(and any XSS) read the session cookie.",
            )

    # --- traversal ------------------------------------------------------------------------

    def walk(self, tree: ast.AST) -> None:
        stack: list[Any] = [tree]
        pop, push = stack.pop, stack.append
        handlers, fields, leaf, attribute = _NODE_HANDLERS, _CHILD_FIELDS, _LEAF, ast.Attribute
        while stack:
            node = pop()
            cls = node.__class__
            handler = handlers.get(cls)
            if handler is not None:
                handler(self, node, push)
            for name in fields[cls]:
                value = getattr(node, name)
                value_cls = value.__class__
                if value_cls is list:
                    for item in reversed(value):
                        if item.__class__ not in leaf:
                            push(item)
                elif value_cls is attribute:
                    # `a.b.c` holds nothing of interest above its base: skip the chain.
                    value = value.value
                    while value.__class__ is attribute:
                        value = value.value
                    if value.__class__ not in leaf:
                        push(value)
                elif value_cls not in leaf:
                    push(value)

    def on_scope(self, node: ast.AST, push: Callable[[Any], None]) -> None:
        # The scope object itself is pushed below the body: popping it restores the parent.
        parent = self.scope
        push(parent)
        if node.__class__ is ast.ClassDef:
            is_jar = any((_last_name(b) or "").endswith("CookieJar") for b in node.bases)
            self.scope = _Scope(node.name, is_jar)
            return
        self.scope = _Scope(node.name, parent.self_is_jar)
        args = node.args
        self.scope.bound.update(
            a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg,
                            args.kwarg) if a is not None
        )  # fmt: skip

    def on_scope_end(self, node: _Scope, push: Callable[[Any], None]) -> None:
        self.scope = node

    def on_import(self, node: ast.Import, push: Callable[[Any], None]) -> None:
        for alias in node.names:
            if alias.name == "random":
                self.uses_random = True
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                self.aliases[top] = top

    def on_import_from(self, node: ast.ImportFrom, push: Callable[[Any], None]) -> None:
        module = "." * node.level + (node.module or "")
        if module == "random":
            self.uses_random = True
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            self.aliases[local] = f"{module}.{alias.name}"
            handler = _CALL_HANDLERS.get(alias.name)
            if handler is not None and local != alias.name:
                if self.call_handlers is _CALL_HANDLERS:
                    self.call_handlers = dict(_CALL_HANDLERS)
                self.call_handlers[local] = handler

    def on_assign(self, node: ast.Assign, push: Callable[[Any], None]) -> None:
        for target in node.targets:
            if target.__class__ is ast.Name:
                self.bind(target.id, node.value)
            elif target.__class__ in (ast.Tuple, ast.List):
                self.scope.quoted.difference_update(
                    e.id for e in target.elts if e.__class__ is ast.Name
                )
            if self.uses_random:
                self.check_random_target(target, node.value)
            if target.__class__ is ast.Attribute and target.attr in _TLS_VERSION_ATTRS:
                self.check_tls_version(node.value)

    def on_ann_assign(self, node: ast.AnnAssign, push: Callable[[Any], None]) -> None:
        if node.value is None:
            return
        if node.target.__class__ is ast.Name:
            self.bind(node.target.id, node.value)
        if self.uses_random:
            self.check_random_target(node.target, node.value)

    def on_with(self, node: ast.With, push: Callable[[Any], None]) -> None:
        """`with open(p) as f` rebinds `f`: what it held before is gone."""
        scope = self.scope
        for item in node.items:
            target = item.optional_vars
            if target is not None and target.__class__ is ast.Name:
                scope.pickled.discard(target.id)
                scope.quoted.discard(target.id)
                scope.bound.add(target.id)

    def on_return(self, node: ast.Return, push: Callable[[Any], None]) -> None:
        if self.uses_random and node.value is not None and is_security_name(self.scope.func):
            self.report_random(node.value, f"{self.scope.func}() returns")

    def on_aug_assign(self, node: ast.AugAssign, push: Callable[[Any], None]) -> None:
        target = node.target
        if target.__class__ is ast.Name and not self.is_shell_quoted(node.value):
            self.scope.quoted.discard(target.id)
        if target.__class__ is not ast.Name or self.is_constant(node.value):
            return
        name, scope, op = target.id, self.scope, node.op.__class__
        if op in (ast.Add, ast.Mod) and (name in scope.sql or name in scope.strs):
            kind = "concatenation" if op is ast.Add else "% formatting"
            scope.sql[name] = (kind, node)
        if self.tainted(node.value):
            scope.req.add(name)

    def on_for(self, node: ast.For, push: Callable[[Any], None]) -> None:
        if node.target.__class__ is ast.Name:
            self.scope.pickled.discard(node.target.id)
            self.scope.quoted.discard(node.target.id)
            self.scope.bound.add(node.target.id)
            if self.tainted(node.iter):
                self.scope.req.add(node.target.id)

    def bind(self, name: str, value: ast.expr) -> None:
        """Record what a local now holds; reassignment to something clean forgets it."""
        scope = self.scope
        if value.__class__ is ast.Constant:
            scope.sql.pop(name, None)
            scope.req.discard(name)
            scope.pickled.discard(name)
            scope.bound.add(name)
            if isinstance(value.value, str):
                scope.strs.add(name)
            else:
                scope.strs.discard(name)
            return
        scope.strs.discard(name)
        (scope.quoted.add if self.is_shell_quoted(value) else scope.quoted.discard)(name)
        if self.is_serialised(value) and name not in scope.bound:
            scope.pickled.add(name)
        else:
            scope.pickled.discard(name)
            scope.bound.add(name)
        kind = _factory_kind(value)
        (scope.jars.add if kind == "jar" else scope.jars.discard)(name)
        (scope.responses.add if kind == "response" else scope.responses.discard)(name)
        kind = self.sql_kind(value)
        if kind:
            scope.sql[name] = (kind, value)
        else:
            scope.sql.pop(name, None)
        if self.tainted(value):
            scope.req.add(name)
        else:
            scope.req.discard(name)
        if value.__class__ is ast.Call and self.is_safe_lxml_parser(value):
            self.safe_parsers.add(name)

    def on_call(self, node: ast.Call, push: Callable[[Any], None]) -> None:
        func = node.func
        cls = func.__class__
        if cls is ast.Attribute:
            name = func.attr
        elif cls is ast.Name:
            name = func.id
        else:
            return
        handler = self.call_handlers.get(name)
        if handler is not None:
            handler(self, node)
        if self.uses_random and node.keywords:
            for kw in node.keywords:
                if kw.arg is not None and is_security_name(kw.arg):
                    self.report_random(kw.value, f"{_dotted(func)}({kw.arg}=...) receives")

    # --- expression facts -------------------------------------------------------------------

    def qualname(self, func: ast.expr) -> str | None:
        """`sp.Popen` -> `subprocess.Popen` through import aliases; None for `x().y`."""
        parts = []
        while func.__class__ is ast.Attribute:
            parts.append(func.attr)
            func = func.value
        if func.__class__ is not ast.Name:
            return None
        base = self.aliases.get(func.id, func.id)
        if not parts:
            return base
        parts.append(base)
        return ".".join(reversed(parts))

    def is_constant(self, node: ast.expr) -> bool:
        cls = node.__class__
        if cls is ast.Constant:
            return True
        if cls is ast.Name:
            return node.id in self.module_consts
        if cls in (ast.List, ast.Tuple, ast.Set):
            return all(self.is_constant(e) for e in node.elts)
        if cls is ast.JoinedStr:
            return all(v.__class__ is ast.Constant for v in node.values)
        if cls is ast.BinOp:
            return self.is_constant(node.left) and self.is_constant(node.right)
        if cls is ast.Attribute:
            return self.qualname(node) in _TRUSTED_EXPRS
        return False

    def is_shell_quoted(self, node: ast.expr) -> bool:
        """A command made of literals and shell-quoted values only (f-string, `+`, `%` or
        `str.format`, `" ".join` of quoted items, or variables holding such a value)."""
        cls = node.__class__
        if cls is ast.Constant:
            return isinstance(node.value, str) and not _SHELL_QUOTING_CHARS & set(node.value)
        if cls is ast.Name:
            return node.id in self.scope.quoted or node.id in self.module_consts
        if cls is ast.JoinedStr:
            return all(
                self.is_shell_quoted(v)
                if v.__class__ is ast.Constant
                else v.conversion == -1 and v.format_spec is None and self.is_shell_quoted(v.value)
                for v in node.values
            )
        if cls is ast.BinOp and node.op.__class__ is ast.Add:
            return self.is_shell_quoted(node.left) and self.is_shell_quoted(node.right)
        if cls is ast.BinOp and node.op.__class__ is ast.Mod:
            right = node.right.elts if node.right.__class__ is ast.Tuple else [node.right]
            return _plain_template(node.left, "%") and all(self.is_shell_quoted(r) for r in right)
        if cls is not ast.Call:
            return cls is ast.Attribute and self.qualname(node) in _TRUSTED_EXPRS
        if self.qualname(node.func) in _SHELL_QUOTE:
            return True
        func = node.func
        if func.__class__ is not ast.Attribute or not self.is_shell_quoted(func.value):
            return False
        if func.attr == "format":
            return _plain_template(func.value, "{}") and all(
                self.is_shell_quoted(a) for a in (*node.args, *(k.value for k in node.keywords))
            )
        if func.attr != "join" or len(node.args) != 1:
            return False
        items = node.args[0]
        if items.__class__ in (ast.GeneratorExp, ast.ListComp):
            return self.is_shell_quoted(items.elt)
        if items.__class__ is ast.Call and self.qualname(items.func) == "map" and items.args:
            return self.qualname(items.args[0]) in _SHELL_QUOTE
        if items.__class__ in (ast.List, ast.Tuple):
            return all(self.is_shell_quoted(e) for e in items.elts)
        return False

    def is_str(self, node: ast.expr) -> bool:
        cls = node.__class__
        if cls is ast.Constant:
            return isinstance(node.value, str)
        if cls is ast.JoinedStr:
            return True
        if cls is ast.Name:
            name = node.id
            return name in self.scope.strs or name in self.scope.sql or name in self.module_strs
        if cls is ast.BinOp and node.op.__class__ in (ast.Add, ast.Mod):
            return self.is_str(node.left)
        return False

    def sql_kind(self, node: ast.expr) -> str | None:
        """How a string was assembled from non-constant parts, or None if it was not."""
        cls = node.__class__
        if cls is ast.JoinedStr:
            if any(v.__class__ is ast.FormattedValue for v in node.values):
                return "an f-string"
            return None
        if cls is ast.BinOp:
            op = node.op.__class__
            if op is ast.Mod:
                if self.is_str(node.left) and not self.is_constant(node.right):
                    return "% formatting"
            elif op is ast.Add:
                left, right = node.left, node.right
                if (self.is_str(left) or self.is_str(right)) and not (
                    self.is_constant(left) and self.is_constant(right)
                ):
                    return "concatenation"
            return None
        if cls is ast.Call:
            func = node.func
            if (
                func.__class__ is ast.Attribute
                and func.attr == "format"
                and self.is_str(func.value)
                and not all(
                    self.is_constant(a) for a in [*node.args, *(k.value for k in node.keywords)]
                )
            ):
                return "str.format()"
        return None

    def tainted(self, node: ast.expr) -> bool:
        """Does the value come from the HTTP request (directly or via a local)?"""
        cls = node.__class__
        if cls is ast.Name:
            return node.id in self.scope.req
        if cls is ast.JoinedStr:
            return any(
                v.__class__ is ast.FormattedValue and self.tainted(v.value) for v in node.values
            )
        if cls is ast.BinOp:
            return self.tainted(node.left) or self.tainted(node.right)
        if cls is ast.BoolOp:
            return any(self.tainted(v) for v in node.values)
        if cls is ast.IfExp:
            return self.tainted(node.body) or self.tainted(node.orelse)
        if cls in (ast.Attribute, ast.Subscript, ast.Call):
            return self._from_request(node)
        return False

    def _from_request(self, node: ast.expr) -> bool:
        """Peel `request.args.get("f").strip()[0]` down to `request.args`. Calls are only
        peeled through their method receiver: `basename(request.args["f"])` is a
        sanitiser's result, not request data."""
        while True:
            cls = node.__class__
            if cls is ast.Attribute:
                if node.attr in _REQUEST_ATTRS and self._is_request_object(node.value):
                    return True
                node = node.value
            elif cls is ast.Subscript:
                node = node.value
            elif cls is ast.Call:
                if node.func.__class__ is not ast.Attribute:
                    return False
                node = node.func
            elif cls is ast.Name:
                return node.id in self.scope.req
            else:
                return False

    @staticmethod
    def _is_request_object(node: ast.expr) -> bool:
        cls = node.__class__
        if cls is ast.Name:
            return node.id in _REQUEST_NAMES
        return cls is ast.Attribute and node.attr == "request"

    def is_serialised(self, node: ast.expr) -> bool:
        """Is the value bytes this function serialised itself: `pickle.dumps(x)`, a name
        holding that (never bound to anything else here), or an in-memory file of it?"""
        cls = node.__class__
        if cls is ast.Name:
            return node.id in self.scope.pickled
        if cls is not ast.Call:
            return False
        name = _last_name(node.func)
        if name in ("BytesIO", "StringIO"):
            return len(node.args) == 1 and self.is_serialised(node.args[0])
        if name not in ("dumps", "encode"):
            return False
        return self.qualname(node.func) in _PICKLE_DUMPS

    def random_calls(self, node: ast.expr) -> list[ast.Call]:
        return [
            n
            for n in ast.walk(node)
            if n.__class__ is ast.Call and self.qualname(n.func) in _RANDOM_CALLS
        ]

    def is_safe_lxml_parser(self, node: ast.expr) -> bool:
        if node.__class__ is ast.Name:
            return node.id in self.safe_parsers
        if node.__class__ is not ast.Call or not _is_false(_keyword(node, "resolve_entities")):
            return False
        qualname = self.qualname(node.func) or ""
        return qualname.startswith("lxml") and qualname.endswith(".XMLParser")

    # --- call rules -------------------------------------------------------------------------

    def check_sql(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if func.__class__ is ast.Attribute else func.id
        if name in _SQL_FACTORIES:
            qualname = self.qualname(func) or ""
            if not qualname.startswith(_SQL_FACTORIES[name]):
                return
        query = node.args[0] if node.args else None
        if query is None:
            query = next((k.value for k in node.keywords if k.arg in _SQL_ARG_KEYWORDS), None)
            if query is None:
                return
        # Reported where the string is formatted, as ruff's S608 is, so that the two merge
        # and the finding points at the code to change.
        formatted: ast.AST = query
        kind = self.sql_kind(query)
        via = ""
        if kind is None and query.__class__ is ast.Name and query.id in self.scope.sql:
            kind, formatted = self.scope.sql[query.id]
            via = f" on line {node.lineno} through variable '{query.id}'"
        if kind:
            self.report(
                "ATN101",
                formatted,
                f"SQL built with {kind} reaches {_dotted(func)}(){via}; pass values as bound "
                "parameters instead.",
            )

    def check_run(self, node: ast.Call) -> None:
        if (
            node.func.__class__ is ast.Attribute
            and _is_true(_keyword(node, "debug"))
            and _runs_a_web_app(node)
        ):
            self.report(
                "ATN170",
                node,
                f"{_dotted(node.func)}(debug=True) enables the "
                "interactive debugger, which lets anyone who can reach it run code.",
            )
        self.check_subprocess(node)

    def check_subprocess(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname is None:
            return
        module, _, func = qualname.rpartition(".")
        if module != "subprocess" or func not in _SUBPROCESS_FUNCS:
            return
        command = node.args[0] if node.args else _keyword(node, "args")
        if command is None or self.is_constant(command):
            return
        if _is_true(_keyword(node, "shell")):
            self.report_shell(node, command, f"{qualname}(..., shell=True) runs a command")
        else:
            self.report(
                "ATN111",
                node,
                f"{qualname}() is called with a non-constant command; "
                "make sure no element comes from untrusted input.",
            )

    def check_shell(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname in _ALWAYS_SHELL and node.args and not self.is_constant(node.args[0]):
            self.report_shell(node, node.args[0], f"{qualname}() runs a shell command")

    def check_remote_shell(self, node: ast.Call) -> None:
        """paramiko's `exec_command` runs its string in the remote account's shell. bandit
        (B601) and ruff (S601) flag every call; a fully quoted command is what they miss."""
        command = node.args[0] if node.args else _keyword(node, "command")
        if (
            node.func.__class__ is ast.Attribute
            and command is not None
            and not self.is_constant(command)
            and self.is_shell_quoted(command)
        ):
            self.report_shell(node, command, f"{_dotted(node.func)}() runs a remote command")

    def report_shell(self, node: ast.Call, command: ast.expr, what: str) -> None:
        """ATN110, unless every value in the command is shell-quoted: then ATN112, which
        the policy turns into the reason the other engines' reports of the call are quiet."""
        if self.is_shell_quoted(command):
            self.report(
                "ATN112",
                node,
                f"{what} whose every value is quoted with shlex.quote or shlex.join, so "
                "no value can add shell syntax.",
            )
            return
        self.report(
            "ATN110",
            node,
            f"{what} built from non-constant data: pass an argument list without a shell, "
            "or quote each value with shlex.quote.",
        )

    def check_os_exec(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname not in _OS_EXEC:
            return
        args = node.args
        func = qualname[3:]
        if func.startswith("spawn"):
            args = args[1:]  # the mode (os.P_WAIT) is not part of the command
        if func.startswith("posix_spawn"):
            args = args[:2]
        elif func.endswith("e"):
            args = args[:-1]  # the environment mapping
        if any(not self.is_constant(a) for a in args):
            self.report(
                "ATN111",
                node,
                f"{qualname}() starts a program with non-constant "
                "arguments; make sure none comes from untrusted input.",
            )

    def check_eval(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname in _EVAL and node.args and not self.is_constant(node.args[0]):
            self.report(
                "ATN120",
                node,
                f"{qualname.rpartition('.')[2]}() of non-constant "
                "data executes arbitrary code; use ast.literal_eval or a parser.",
            )

    def check_load(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname is None:
            return
        if qualname in _PICKLE_CALLS:
            if node.args and qualname != "shelve.open" and self.is_serialised(node.args[0]):
                self.report(
                    "ATN133",
                    node,
                    f"{qualname}() reads back data this function serialised itself (a round "
                    "trip, e.g. a deep copy or a pickling test): no outside data is loaded.",
                )
            elif not (node.args and all(self.is_constant(a) for a in node.args)):
                self.report(
                    "ATN130",
                    node,
                    f"{qualname}() can execute arbitrary code while "
                    "loading untrusted data; use JSON or a schema-checked format.",
                )
        elif qualname in _YAML_LOADS:
            loader = node.args[1] if len(node.args) > 1 else _keyword(node, "Loader")
            loader_name = None
            if loader is not None:
                loader_name = (self.qualname(loader) or "").rpartition(".")[2]
            if loader_name not in _YAML_SAFE_LOADERS:
                self.report(
                    "ATN131",
                    node,
                    f"{qualname}() without Loader=yaml.SafeLoader can "
                    "construct arbitrary Python objects; use yaml.safe_load().",
                )
        elif qualname in _YAML_UNSAFE:
            self.report(
                "ATN131",
                node,
                f"{qualname}() constructs arbitrary Python objects; use yaml.safe_load().",
            )
        elif qualname == "torch.load" and not _is_true(_keyword(node, "weights_only")):
            self.report(
                "ATN132",
                node,
                "torch.load() without weights_only=True unpickles "
                "arbitrary objects from the checkpoint; pass weights_only=True.",
            )

    def check_random_target(self, target: ast.expr, value: ast.expr) -> None:
        cls = target.__class__
        if cls is ast.Name:
            name = target.id
        elif cls is ast.Attribute:
            name = target.attr
        elif (
            cls is ast.Subscript
            and target.slice.__class__ is ast.Constant
            and isinstance(target.slice.value, str)
        ):
            name = target.slice.value
        else:
            return
        if is_security_name(name):
            self.report_random(value, f"'{name}' is assigned")

    def report_random(self, value: ast.expr, how: str) -> None:
        for call in self.random_calls(value):
            self.report(
                "ATN190",
                call,
                f"{how} a value from {self.qualname(call.func)}(), whose output is "
                "predictable from a few samples; use the secrets module (secrets.token_urlsafe, "
                "secrets.choice) for security values.",
            )

    def check_dump(self, node: ast.Call) -> None:
        """`pickle.dump(x, buf)`: `buf` now holds this function's own serialised data."""
        target = node.args[1] if len(node.args) > 1 else _keyword(node, "file")
        if target.__class__ is ast.Name and self.qualname(node.func) in _PICKLE_DUMPS:
            self.scope.pickled.add(target.id)

    def check_open(self, node: ast.Call) -> None:
        self.check_load(node)  # shelve.open
        self.check_path(node)

    def check_new(self, node: ast.Call) -> None:
        self.check_hash(node)
        self.check_cipher(node)

    def check_cipher(self, node: ast.Call) -> None:
        """A broken cipher (DES, RC4, Blowfish...), or a cipher in ECB mode, which encrypts
        equal blocks to equal ciphertext and so shows the plaintext's structure."""
        qualname = self.qualname(node.func)
        if qualname is None:
            return
        if qualname in _WEAK_CIPHERS:
            cipher = qualname.removesuffix(".new").rpartition(".")[2]
            self.report(
                "ATN141",
                node,
                f"{cipher} is broken or too weak for new data (short keys or blocks, known "
                "attacks); use AES-GCM or ChaCha20-Poly1305.",
            )
        if qualname in _ECB_MODES or (
            qualname.startswith(_CIPHER_MODULES) and qualname.endswith(".new")
        ):
            mode = node.args[1] if len(node.args) > 1 else _keyword(node, "mode")
            if qualname in _ECB_MODES or (
                mode is not None and (self.qualname(mode) or "").endswith(".MODE_ECB")
            ):
                self.report(
                    "ATN142",
                    node,
                    "ECB mode encrypts equal blocks to equal ciphertext, which shows the "
                    "plaintext's patterns; use an authenticated mode such as GCM.",
                )

    def check_tls_version(self, value: ast.expr) -> None:
        """A protocol constant naming SSL 2/3 or TLS 1.0/1.1, in a context's constructor,
        `wrap_socket(ssl_version=...)` or a `minimum_version`/`maximum_version` setting."""
        qualname = self.qualname(value) if value.__class__ is ast.Attribute else None
        if qualname in _WEAK_TLS:
            self.report(
                "ATN143",
                value,
                f"{qualname.rpartition('.')[2]} selects a broken SSL/TLS version (RFC 8996); "
                "use ssl.create_default_context() and TLS 1.2 or later.",
            )

    def check_tls(self, node: ast.Call) -> None:
        for value in (*node.args, *(k.value for k in node.keywords)):
            self.check_tls_version(value)

    def check_hash(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname in _WEAK_HASH_CALLS:
            algorithm = qualname[8:]
        elif qualname in _LIBRARY_WEAK_HASHES:
            algorithm = qualname.removesuffix(".new").rpartition(".")[2]
        elif qualname == "hashlib.new":
            name = node.args[0] if node.args else _keyword(node, "name")
            if name.__class__ is not ast.Constant or not isinstance(name.value, str):
                return
            algorithm = name.value.lower()
            if algorithm not in _WEAK_HASHES:
                return
        else:
            return
        if not _is_false(_keyword(node, "usedforsecurity")):
            self.report(
                "ATN140",
                node,
                f"{algorithm.upper()} is broken for security use; use "
                "SHA-256 or better, or pass usedforsecurity=False for checksums.",
            )

    def check_xml(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname in _XML_STDLIB:
            self.report(
                "ATN150",
                node,
                f"{qualname}() parses XML without defusedxml: entity "
                "expansion (billion laughs) and external entities; use defusedxml.",
            )
        elif qualname in _LXML_PARSE:
            parser = node.args[1] if len(node.args) > 1 else _keyword(node, "parser")
            if parser is None or not self.is_safe_lxml_parser(parser):
                self.report(
                    "ATN150",
                    node,
                    f"{qualname}() without a parser built with "
                    "XMLParser(resolve_entities=False) may resolve external entities.",
                )

    def cookie_receiver(self, node: ast.Call) -> str | None:
        """Is `set_cookie` called on a cookie jar ("jar"), a response, or unknown (None)?"""
        receiver = node.func.value if node.func.__class__ is ast.Attribute else None
        cls = receiver.__class__
        if cls is ast.Call:
            return _factory_kind(receiver)
        if cls is ast.Name:
            name = receiver.id
            scope = self.scope
            if name in scope.jars or (name == "self" and scope.self_is_jar):
                return "jar"
            if name in scope.responses:
                return "response"
        elif cls is ast.Attribute:
            name = receiver.attr
        else:
            return None
        if _JAR_NAME.search(name):
            return "jar"
        if _RESPONSE_NAME.search(name):
            return "response"
        return None

    def check_cookie(self, node: ast.Call) -> None:
        """Only a server response's `set_cookie(key, value, ...)` decides the flags. A
        jar's `set_cookie(cookie)` (one Cookie object) stores what a server sent."""
        kind = self.cookie_receiver(node)
        if kind == "jar" or (kind is None and len(node.args) == 1 and not node.keywords):
            return
        if any(k.arg is None for k in node.keywords):
            return  # **kwargs: flags unknown
        max_age = _keyword(node, "max_age")
        if max_age.__class__ is ast.Constant and max_age.value == 0:
            return  # deleting the cookie: nothing left to protect
        args = node.args
        secure = args[6] if len(args) > 6 else _keyword(node, "secure")
        httponly = args[7] if len(args) > 7 else _keyword(node, "httponly")
        if secure is None or _is_false(secure):
            self.report(
                "ATN160",
                node,
                "Cookie set without secure=True is also sent over "
                "plain HTTP, where it can be read or altered.",
            )
        if httponly is None or _is_false(httponly):
            self.report(
                "ATN161",
                node,
                "Cookie set without httponly=True is readable by "
                "page scripts, so an XSS can steal it.",
            )

    def check_path(self, node: ast.Call) -> None:
        if self.qualname(node.func) not in _PATH_SINKS:
            return
        values = [*node.args, *(k.value for k in node.keywords)]
        if any(self.tainted(v) for v in values):
            self.report(
                "ATN180",
                node,
                f"Request data reaches {_dotted(node.func)}(): a "
                "crafted '../' path can reach any file; resolve the path and check it "
                "stays under the intended directory.",
            )


_Handler = Callable[[_Scanner, Any, Callable[[Any], None]], None]
_NODE_HANDLERS: dict[type, _Handler] = {
    ast.Call: _Scanner.on_call,
    ast.With: _Scanner.on_with,
    ast.AsyncWith: _Scanner.on_with,
    ast.Return: _Scanner.on_return,
    ast.Assign: _Scanner.on_assign,
    ast.AnnAssign: _Scanner.on_ann_assign,
    ast.AugAssign: _Scanner.on_aug_assign,
    ast.For: _Scanner.on_for,
    ast.AsyncFor: _Scanner.on_for,
    ast.Import: _Scanner.on_import,
    ast.ImportFrom: _Scanner.on_import_from,
    ast.FunctionDef: _Scanner.on_scope,
    ast.AsyncFunctionDef: _Scanner.on_scope,
    ast.ClassDef: _Scanner.on_scope,
    _Scope: _Scanner.on_scope_end,
}


def _handlers(names: tuple[str, ...], handler: Callable[[_Scanner, ast.Call], None]) -> dict:
    return dict.fromkeys(names, handler)


# Keyed by the callee's last name, the only thing known before resolving aliases.
_CALL_HANDLERS: dict[str, Callable[[_Scanner, ast.Call], None]] = {
    **_handlers(("execute", "executemany", "executescript", "raw", "text", "RawSQL"),
                _Scanner.check_sql),
    **_handlers(tuple(_SUBPROCESS_FUNCS - {"run"}), _Scanner.check_subprocess),
    "run": _Scanner.check_run,
    **_handlers(("getoutput", "getstatusoutput", "system", "popen"), _Scanner.check_shell),
    **_handlers(tuple(q[3:] for q in _OS_EXEC), _Scanner.check_os_exec),
    "exec_command": _Scanner.check_remote_shell,
    **_handlers(("eval", "exec"), _Scanner.check_eval),
    **_handlers(("loads", "load", "Unpickler", "decode", "read_pickle", "load_all",
                 "unsafe_load", "unsafe_load_all"), _Scanner.check_load),
    "open": _Scanner.check_open,
    "dump": _Scanner.check_dump,
    **_handlers(("md5", "sha1", "MD5", "SHA1"), _Scanner.check_hash),
    "new": _Scanner.check_new,
    **_handlers(("SSLContext", "wrap_socket", "Context"), _Scanner.check_tls),
    **_handlers(("ARC4", "Blowfish", "IDEA", "CAST5", "SEED", "TripleDES", "RC2", "ECB"),
                _Scanner.check_cipher),
    **_handlers(("parse", "fromstring", "fromstringlist", "XML", "XMLParser", "iterparse",
                 "XMLPullParser", "parseString", "make_parser"), _Scanner.check_xml),
    "set_cookie": _Scanner.check_cookie,
    **_handlers(("join", "Path", "PurePath", "PosixPath", "WindowsPath", "send_file",
                 "send_from_directory"), _Scanner.check_path),
}  # fmt: skip


def _plain_template(node: ast.expr, style: str) -> bool:
    """A literal format template that pastes each value unchanged: `%s` or `{}`/`{name}`
    only. `%r`/`!r` would wrap a quoted value in other quotes, and a precision (`%.3s`,
    `{:.3}`) could cut its closing quote off."""
    if node.__class__ is not ast.Constant or not isinstance(node.value, str):
        return False
    if style == "%":
        return re.search(r"%(?![s%])", node.value.replace("%%", "")) is None
    try:
        fields = list(string.Formatter().parse(node.value))
    except ValueError:
        return False
    return all(not spec and conversion is None for _, _, spec, conversion in fields)


def _needs_walk(source: str) -> bool:
    if any(token in source for token in _WALK_TRIGGERS):
        return True
    return "req" in source and any(token in source for token in _PATH_TRIGGERS)


def _needs_parse(source: str) -> bool:
    """Most files name no sink at all; parsing is most of the cost, so skip it there."""
    return any(token in source for token in _MODULE_TRIGGERS) or _needs_walk(source)


def needs_parse(source: str) -> bool:
    """Whether `scan_python` needs the file's tree (a caller may parse it once for all)."""
    return _needs_parse(source)


def scan_python(source: str, path: str, tree: ast.Module | None = None) -> list[Finding]:
    """Findings of attune's rules for one Python file; `path` is reported as given.
    `tree` is the file's parse if the caller already has it.

    Raises SyntaxError/ValueError for unparsable source that needed parsing: the caller
    records the file as skipped rather than silently reporting it clean. Files naming no
    sink are not parsed; ruff reports their syntax errors.
    """
    if not _needs_parse(source):
        return []
    if tree is None:
        tree = ast.parse(source, filename=path)
    scanner = _Scanner(source, path)
    scanner.scan_module_body(tree)
    if _needs_walk(source):
        scanner.walk(tree)
    return scanner.findings
