"""The taint catalogue: rules per CWE, and the sources, sanitisers and sinks they know.

Sinks are matched by the callee's import-resolved name (`subprocess.run`), or by method
name alone where the receiver's type is unknowable without types (`cursor.execute`).
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.security_audit.scanners.ast_rules import Rule

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("ATN301", "Untrusted data reaches a filesystem path", "path-traversal", 22, "high",
             "medium"),
        Rule("ATN302", "Untrusted data reaches an OS command", "command-injection", 78, "high",
             "medium"),
        Rule("ATN303", "Untrusted data reaches an HTML response unescaped", "xss", 79, "medium",
             "medium"),
        Rule("ATN304", "Untrusted data reaches an SQL query", "sql-injection", 89, "high",
             "medium"),
        Rule("ATN305", "Untrusted data reaches an LDAP filter", "ldap-injection", 90, "high",
             "medium"),
        Rule("ATN306", "Untrusted data reaches eval/exec", "code-injection", 94, "high",
             "medium"),
        Rule("ATN307", "Untrusted data stored in the session", "trust-boundary", 501, "low",
             "medium"),
        Rule("ATN308", "Untrusted data deserialised", "deserialization", 502, "high", "medium"),
        Rule("ATN309", "Untrusted URL in a redirect", "open-redirect", 601, "medium", "medium"),
        Rule("ATN310", "Untrusted XML parsed with entities resolved", "xxe", 611, "medium",
             "medium"),
        Rule("ATN311", "Untrusted data reaches an XPath expression", "xpath-injection", 643,
             "medium", "medium"),
        Rule("ATN312", "Untrusted URL requested by the server", "ssrf", 918, "high", "medium"),
    )
}  # fmt: skip
RULE_BY_CWE = {rule.cwe: rule for rule in RULES.values()}

ADVICE = {
    22: "resolve the path and check it stays under the intended directory, or use "
    "secure_filename/basename",
    78: "pass an argument list without shell=True, or quote with shlex.quote",
    79: "escape it (html.escape / markupsafe.escape) or render it through a template",
    89: "pass values as bound query parameters",
    90: "escape it with ldap.filter.escape_filter_chars",
    94: "parse it (ast.literal_eval, json) instead of executing it",
    501: "validate it before it is trusted as session state",
    502: "use JSON or a schema-checked format for untrusted data",
    601: "redirect only to relative URLs or an allow-listed host",
    611: "parse with defusedxml or XMLParser(resolve_entities=False)",
    643: "pass it as an XPath variable instead of building the expression",
    918: "check the URL's host against an allow list",
}

# --- sources --------------------------------------------------------------------------------

REQUEST_NAMES = frozenset({"request", "req"})
REQUEST_ATTRS = frozenset(
    {
        "args", "form", "values", "files", "json", "data", "cookies", "headers", "body",
        "GET", "POST", "FILES", "COOKIES", "META", "query_params", "path_params",
        "query_string", "view_args", "get_json", "get_data", "match_info", "stream",
    }
)  # fmt: skip
# Decorator method names that make a function a route (Flask, FastAPI, Starlette).
ROUTE_DECORATORS = frozenset(
    {"route", "get", "post", "put", "delete", "patch", "api_route", "websocket"}
)
# FastAPI parameters of these annotations are framework objects, not request values.
FASTAPI_NON_VALUES = frozenset(
    {"Session", "BackgroundTasks", "Response", "WebSocket", "AsyncSession", "Depends"}
)


@dataclass(frozen=True, slots=True)
class SourceKind:
    kind: str
    confidence: str
    note: str


INPUT = SourceKind("input", "low", "input() (local user input)")
ARGV = SourceKind("argv", "low", "sys.argv (command line)")
ENV = SourceKind("env", "low", "environment variable")
SOURCE_CALLS = {"input": INPUT, "builtins.input": INPUT, "os.getenv": ENV,
                "os.environ.get": ENV, "os.getenvb": ENV}  # fmt: skip
SOURCE_ATTRS = {"sys.argv": ARGV, "os.environ": ENV, "os.environb": ENV}
# What a local user (or whoever sets the environment) can do anyway, so such a source
# reaching it is no finding: name files and URLs, and for the environment run code
# (PYTHONSTARTUP-style hooks exec a file the environment names, by design).
TRUSTED_SINKS = {
    INPUT.kind: frozenset({22, 79, 501, 601, 918}),
    ARGV.kind: frozenset({22, 79, 501, 601, 918}),
    ENV.kind: frozenset({22, 79, 94, 501, 601, 918}),
}

# --- sanitisers and value-less calls --------------------------------------------------------

# Calls whose result carries none of their arguments' taint.
CLEAN_CALLS = frozenset(
    {
        "int", "float", "bool", "len", "isinstance", "issubclass", "hasattr", "callable",
        "id", "hash", "type", "range", "ord", "abs", "round",
        "shlex.quote", "pipes.quote", "html.escape", "markupsafe.escape", "flask.escape",
        "django.utils.html.escape", "django.utils.html.conditional_escape", "cgi.escape",
        "os.path.basename", "posixpath.basename", "werkzeug.utils.secure_filename",
        "werkzeug.secure_filename", "secure_filename", "escape", "conditional_escape",
        "ldap.filter.escape_filter_chars", "ldap3.utils.conv.escape_filter_chars",
        "escape_filter_chars", "uuid.UUID", "decimal.Decimal", "datetime.date.fromisoformat",
        "os.path.exists", "os.path.isfile", "os.path.isdir", "render_to_string",
        "django.template.loader.render_to_string", "flask.render_template",
        "django.utils.html.format_html", "format_html", "url_has_allowed_host_and_scheme",
        "django.utils.http.url_has_allowed_host_and_scheme", "is_safe_url",
        # URLs the application's own router builds: the path is fixed, values are quoted.
        "reverse", "django.urls.reverse", "django.shortcuts.resolve_url", "resolve_url",
        "flask.url_for", "url_for",
    }
)  # fmt: skip
# Methods whose result is a boolean, a number or otherwise not the receiver's text.
CLEAN_METHODS = frozenset(
    {
        "startswith", "endswith", "isdigit", "isalnum", "isalpha", "isnumeric", "isdecimal",
        "isidentifier", "is_relative_to", "exists", "is_file", "is_dir", "count", "index",
        "find", "rfind", "render",
    }
)  # fmt: skip
# Guard calls that confine a path when true: `p.startswith(root)`, `p.is_relative_to(root)`.
CONFINING_METHODS = frozenset({"startswith", "is_relative_to"})
# Guard functions that vouch for every variable passed to them when true.
SAFE_URL_CHECKS = frozenset({"url_has_allowed_host_and_scheme", "is_safe_url"})
TERMINATING_CALLS = frozenset({"abort", "flask.abort", "sys.exit", "exit", "os._exit"})

# --- sinks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SinkSpec:
    cwe: int
    arg: int | None = 0  # the dangerous positional argument; None: every argument
    keywords: tuple[str, ...] = ()


_PATH = SinkSpec(22, 0, ("file", "path", "filename", "path_or_file"))
_CMD = SinkSpec(78, 0, ("args", "cmd", "command"))
_HTML = SinkSpec(79, 0, ("content", "source", "html"))
_SQL = SinkSpec(89, 0, ("sql", "query", "statement", "stmt", "raw_query", "text"))
_CODE = SinkSpec(94, 0, ("source", "expression", "object"))
_DESER = SinkSpec(502, 0, ("data", "file", "stream", "s"))
_REDIRECT = SinkSpec(601, 0, ("location", "url", "redirect_to"))
_XML = SinkSpec(611, 0, ("source", "text"))
_URL = SinkSpec(918, 0, ("url",))

# Import-resolved names.
QUALIFIED_SINKS: dict[str, SinkSpec] = {
    **dict.fromkeys(("open", "io.open", "codecs.open", "os.open", "os.remove", "os.unlink",
                     "os.rmdir", "os.removedirs", "os.listdir", "os.scandir", "shutil.rmtree",
                     "shutil.copy", "shutil.copyfile", "shutil.move", "flask.send_file",
                     "flask.helpers.send_file", "django.http.FileResponse",
                     "fastapi.responses.FileResponse", "starlette.responses.FileResponse"),
                    _PATH),
    **dict.fromkeys(("os.system", "os.popen", "subprocess.getoutput",
                     "subprocess.getstatusoutput", "commands.getoutput"), _CMD),
    **dict.fromkeys(("eval", "exec", "compile", "builtins.eval", "builtins.exec"), _CODE),
    **dict.fromkeys(("pickle.loads", "pickle.load", "cPickle.loads", "_pickle.loads",
                     "dill.loads", "dill.load", "cloudpickle.loads", "marshal.loads",
                     "marshal.load", "jsonpickle.decode", "jsonpickle.loads",
                     "pandas.read_pickle", "shelve.open"), _DESER),
    **dict.fromkeys(("flask.redirect", "django.shortcuts.redirect",
                     "django.http.HttpResponseRedirect",
                     "django.http.HttpResponsePermanentRedirect",
                     "fastapi.responses.RedirectResponse",
                     "starlette.responses.RedirectResponse", "werkzeug.utils.redirect"),
                    _REDIRECT),
    **dict.fromkeys(("flask.render_template_string", "flask.make_response",
                     "markupsafe.Markup", "flask.Markup", "django.utils.safestring.mark_safe",
                     "django.utils.safestring.SafeString", "django.http.HttpResponse",
                     "fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse",
                     "jinja2.Template"), _HTML),
    **dict.fromkeys(("lxml.etree.fromstring", "lxml.etree.parse", "lxml.etree.XML"), _XML),
    **dict.fromkeys(("lxml.etree.XPath", "lxml.etree.ETXPath"), SinkSpec(643)),
    **dict.fromkeys([f"{lib}.{verb}" for lib in ("requests", "httpx")
                     for verb in ("get", "post", "put", "patch", "delete", "head", "options",
                                  "stream")]
                    + ["urllib.request.urlopen", "urllib.request.Request",
                       "urllib2.urlopen", "urllib.urlopen"], _URL),
    **dict.fromkeys(("requests.request", "httpx.request"), SinkSpec(918, 1, ("url",))),
}  # fmt: skip
# Constructors of HTTP clients whose request methods fetch a URL as requests.get does.
HTTP_CLIENTS = frozenset({"requests.Session", "requests.session", "httpx.Client",
                          "httpx.AsyncClient", "urllib3.PoolManager"})  # fmt: skip
HTTP_CLIENT_METHODS: dict[str, SinkSpec] = {
    **dict.fromkeys(("get", "post", "put", "patch", "delete", "head", "options", "stream"), _URL),
    **dict.fromkeys(("request", "urlopen"), SinkSpec(918, 1, ("url",))),
}
SUBPROCESS = frozenset(
    f"subprocess.{name}" for name in ("run", "call", "Popen", "check_output", "check_call")
)
OS_EXEC_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
YAML_LOADS = frozenset({"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all"})
YAML_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})

# Method names checked on any receiver.
METHOD_SINKS: dict[str, SinkSpec] = {
    **dict.fromkeys(("execute", "executemany", "executescript", "raw", "mogrify"), _SQL),
    "extra": SinkSpec(89, None, ("where", "select", "tables", "order_by")),
    **dict.fromkeys(("read_text", "read_bytes", "write_text", "write_bytes", "unlink",
                     "rmdir", "iterdir"), SinkSpec(22, None)),
    "xpath": SinkSpec(643, 0, ("_path",)),
}  # fmt: skip
# Sinks that need a library imported in the module, or the method name is too common.
LDAP_METHODS = {"search_s": 2, "search_st": 2, "search_ext": 2, "search_ext_s": 2, "search": 1}
XPATH_FIND_METHODS = frozenset({"find", "findall", "findtext", "iterfind"})
SQL_FACTORIES = {"text": ("sqlalchemy", "sqlmodel"), "RawSQL": ("django.",)}
SESSION_NAMES = frozenset({"session"})

# A file gets facts only if its text names a source or a sink; the functions of other files
# are unknown to the solver, which lets their arguments through to their result.
FACT_TRIGGERS = (
    "request.", "input(", "argv", "environ", "getenv", ".execute", "system(", "popen",
    "subprocess", "eval(", "exec(", "open(", "send_file", "FileResponse", "os.remove",
    "unlink", "rmtree", "read_text", "read_bytes", "write_text", "write_bytes", "ickle",
    "marshal", "yaml", "redirect", "Redirect", "render_template_string", "make_response",
    "Markup", "mark_safe", "HttpResponse", "HTMLResponse", "xpath", "XPath", "lxml", "ldap",
    "urlopen", "requests.", "httpx", "session[", ".raw(", ".extra(", "RawSQL", "sqlalchemy",
    "spawn", "os.exec", "urllib3", ".save(",
)  # fmt: skip


def needs_facts(source: str) -> bool:
    return any(token in source for token in FACT_TRIGGERS)
