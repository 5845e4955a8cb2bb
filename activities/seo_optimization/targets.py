"""What the flow checks: a built site directory, a MkDocs or Sphinx project built first
with its own tool, or a site on localhost crawled page by page.

Docs are built into the run's artifact directory, never into the project, with the
tool installed beside attune or on PATH and a time limit. A missing tool or a failed
build is a report warning that says how to fix it; a build the project already has
(`site/`, `_build/html`) is checked instead when there is one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser

from workflows.schemas import SkippedFile
from workflows.seo_optimization.models import ReportWarning

SYNTHETIC_ORIGIN = "http://localhost"
"""The origin a directory's pages are checked at: relative links resolve inside it."""
HTML_SUFFIXES = frozenset({".html", ".htm"})
SKIPPED_DIRS = frozenset({"_static", "_sources", ".doctrees", ".buildinfo", "node_modules", ".git"})
SPHINX_DIRS = ("", "docs", "doc", "docs/source", "doc/source", "source")
SPHINX_SOURCES = (".rst", ".md", ".txt", ".ipynb")
PREBUILT = {"mkdocs": ("site",), "sphinx": ("_build/html", "build/html", "docs/_build/html")}
FETCH_TIMEOUT_S = 15
MAX_PAGE_BYTES = 5_000_000
OUTPUT_TAIL = 600
INSTALL_HINT = {
    "mkdocs": "pip install mkdocs (and the project's docs requirements, e.g. its theme)",
    "sphinx": "pip install sphinx (and the project's docs requirements, e.g. its theme)",
}


@dataclass
class Page:
    path: str
    url: str
    file: str
    status: int = 200
    headers: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Site:
    kind: str
    root: Path
    origin: str
    pages: list[Page]
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    built_with: str = ""
    robots_status: int | None = None
    robots: str | None = None
    sitemap: tuple[str, str] | None = None
    complete: bool = True
    resources: dict[str, int] = field(default_factory=dict)
    """Statuses of linked URLs that are not pages (a crawl's text files, images...)."""


def detect_kind(target: Path) -> str:
    if (target / "mkdocs.yml").is_file() or (target / "mkdocs.yaml").is_file():
        return "mkdocs"
    if sphinx_source(target) is not None:
        return "sphinx"
    return "site"


def sphinx_source(target: Path) -> Path | None:
    for folder in SPHINX_DIRS:
        if (target / folder / "conf.py").is_file():
            return target / folder
    return None


def tool(name: str) -> str | None:
    """A docs tool installed beside attune's Python, or on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _page_order(path: str) -> tuple[int, int, str]:
    parts = PurePosixPath(path).parts
    return (0 if path == "index.html" else 1, len(parts), path)


def list_pages(root: Path, max_pages: int) -> tuple[list[str], list[SkippedFile]]:
    """HTML files under `root`, the site's front page first, then shallow before deep."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in files:
            if Path(name).suffix.lower() in HTML_SUFFIXES:
                found.append((Path(folder) / name).relative_to(root).as_posix())
    found.sort(key=_page_order)
    skipped = [
        SkippedFile(path=p, reason=f"over the page cap ({max_pages})") for p in found[max_pages:]
    ]
    return found[:max_pages], skipped


def directory_site(
    kind: str, root: Path, max_pages: int, source_of: Callable[[str], str] | None = None
) -> Site:
    paths, skipped = list_pages(root, max_pages)
    pages = [
        Page(path=p, url=f"{SYNTHETIC_ORIGIN}/{quote(p)}", file=(source_of(p) if source_of else p))
        for p in paths
    ]
    site = Site(kind=kind, root=root, origin=SYNTHETIC_ORIGIN, pages=pages, skipped=skipped)
    robots = root / "robots.txt"
    if robots.is_file():
        site.robots_status, site.robots = 200, robots.read_text(encoding="utf-8", errors="replace")
    else:
        site.robots_status = 404
    sitemap = root / "sitemap.xml"
    if sitemap.is_file():
        site.sitemap = ("sitemap.xml", sitemap.read_text(encoding="utf-8", errors="replace"))
    return site


def run_build(command: list[str], cwd: Path, timeout_s: int) -> tuple[bool, str]:
    """(succeeded, the output's tail); a build that runs past `timeout_s` is killed."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return False, f"stopped after {timeout_s} s"
    except OSError as err:
        return False, str(err)
    output = (done.stdout + done.stderr).strip()
    return done.returncode == 0, output[-OUTPUT_TAIL:]


def docs_site(kind: str, target: Path, out: Path, max_pages: int, timeout_s: int) -> Site:
    """Build the docs into `out` with their own tool; on a missing tool or a failed build,
    the project's own earlier build when it has one."""
    warnings: list[ReportWarning] = []
    source_of = sphinx_sources(target) if kind == "sphinx" else mkdocs_sources(target)
    name = "mkdocs" if kind == "mkdocs" else "sphinx-build"
    executable = tool(name)
    command: list[str] = []
    if executable is None:
        warnings.append(
            ReportWarning(
                code="docs-tool-missing",
                message=f"{name} is not installed, so the docs were not built: "
                f"{INSTALL_HINT[kind]}",
            )
        )
    else:
        if out.exists():
            shutil.rmtree(out)
        if kind == "mkdocs":
            config = target / ("mkdocs.yml" if (target / "mkdocs.yml").is_file() else "mkdocs.yaml")
            command = [executable, "build", "--quiet", "-f", str(config), "-d", str(out)]
        else:
            source = sphinx_source(target)
            assert source is not None
            doctrees = out.parent / "doctrees"
            command = [executable, "-b", "html", "-q", "-d", str(doctrees), str(source), str(out)]
        ok, tail = run_build(command, target, timeout_s)
        if ok and out.is_dir():
            site = directory_site(kind, out, max_pages, source_of)
            site.built_with = "mkdocs build" if kind == "mkdocs" else "sphinx-build -b html"
            site.warnings = warnings
            return site
        warnings.append(
            ReportWarning(code="docs-build-failed", message=f"{name} failed: {tail or 'no output'}")
        )
    for prebuilt in PREBUILT[kind]:
        if (target / prebuilt).is_dir():
            warnings.append(
                ReportWarning(
                    code="docs-prebuilt",
                    message=f"checked the project's earlier build in {prebuilt}/ instead",
                )
            )
            site = directory_site(kind, target / prebuilt, max_pages, source_of)
            site.warnings = warnings
            return site
    site = Site(kind=kind, root=out, origin=SYNTHETIC_ORIGIN, pages=[], warnings=warnings)
    return site


def sphinx_sources(target: Path) -> Callable[[str], str]:
    """A built page's reST/Markdown source, relative to the target (the page when none)."""
    source = sphinx_source(target) or target

    def source_of(page: str) -> str:
        stem = page.rsplit(".", 1)[0]
        for suffix in SPHINX_SOURCES:
            candidate = source / (stem + suffix)
            if candidate.is_file():
                return candidate.relative_to(target).as_posix()
        return page

    return source_of


def mkdocs_sources(target: Path) -> Callable[[str], str]:
    docs = target / "docs"
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        config = target / name
        if config.is_file():
            try:
                loaded = yaml.load(config.read_text(encoding="utf-8"), Loader=_Lenient)
            except yaml.YAMLError:
                loaded = None
            if isinstance(loaded, dict) and isinstance(loaded.get("docs_dir"), str):
                docs = target / loaded["docs_dir"]
            break

    def source_of(page: str) -> str:
        path = PurePosixPath(page)
        folder = path.parent if path.name == "index.html" else path.parent / path.stem
        stems = [folder / "index", folder / "README"] if path.name == "index.html" else [folder]
        if path.name == "index.html" and str(folder) != ".":
            stems.insert(0, folder)
        for stem in stems:
            candidate = docs / f"{stem}.md"
            if candidate.is_file():
                return candidate.relative_to(target).as_posix()
        return page

    return source_of


class _Lenient(yaml.SafeLoader):
    """mkdocs.yml uses `!!python/name:` and `!ENV` tags; reading `docs_dir` ignores them."""


_Lenient.add_multi_constructor("", lambda loader, suffix, node: None)


# --------------------------------------------------------------------------- crawling


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the origin it started from: a crawl of a site on
    localhost never sends a request anywhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(urljoin(req.full_url, newurl))
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


OPENER = urllib.request.build_opener(_SameOrigin)


def fetch(url: str) -> tuple[int, dict[str, list[str]], str, bytes]:
    """(status, headers by lowercased name, content type, body) of a GET; an HTTP error
    status (a redirect off the origin included) is an answer, a connection failure
    raises OSError."""
    request = urllib.request.Request(url, headers={"User-Agent": "attune-seo"})
    try:
        with OPENER.open(request, timeout=FETCH_TIMEOUT_S) as response:
            return _answer(response.status, response.headers, response.read(MAX_PAGE_BYTES))
    except urllib.error.HTTPError as err:
        body = err.read(MAX_PAGE_BYTES) if err.fp is not None else b""
        return _answer(err.code, err.headers, body)


def _answer(status: int, headers, body: bytes) -> tuple[int, dict[str, list[str]], str, bytes]:
    kept: dict[str, list[str]] = {}
    for name in ("link", "x-robots-tag"):
        values = headers.get_all(name) or []
        if values:
            kept[name] = list(values)
    return status, kept, (headers.get_content_type() or ""), body


def _decode(body: bytes, headers_charset: str | None = None) -> str:
    return body.decode(headers_charset or "utf-8", errors="replace")


def _page_file(url: str) -> str:
    path = unquote(urlsplit(url).path or "/").lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def crawl_site(
    start: str, out: Path, max_pages: int, progress: Callable[[int], None] | None = None
) -> Site:
    """Same-origin pages reachable from `start` by links, breadth first, up to the cap;
    each page's HTML is saved under `out` at its URL path."""
    parts = urlsplit(start)
    origin = f"{parts.scheme}://{parts.netloc}"
    out.mkdir(parents=True, exist_ok=True)
    site = Site(kind="url", root=out, origin=origin, pages=[])
    queue, seen = deque([urldefrag(start)[0]]), {urldefrag(start)[0]}
    files: set[str] = set()
    while queue and len(site.pages) < max_pages:
        url = queue.popleft()
        file = _page_file(url)
        if file in files:
            continue  # `/` and `/index.html` are one page
        try:
            status, headers, kind, body = fetch(url)
        except OSError as err:
            site.skipped.append(SkippedFile(path=url, reason=f"could not be fetched: {err}"))
            continue
        if kind not in ("text/html", "application/xhtml+xml"):
            site.resources[unquote(urlsplit(url).path or "/")] = status
            continue
        files.add(file)
        saved = out / file
        saved.parent.mkdir(parents=True, exist_ok=True)
        html = _decode(body)
        saved.write_text(html, encoding="utf-8")
        site.pages.append(Page(path=file, url=url, file=file, status=status, headers=headers))
        if progress:
            progress(len(site.pages))
        for link in LexborHTMLParser(html).css("a[href]"):
            href = urldefrag(urljoin(url, link.attributes.get("href") or ""))[0]
            linked = urlsplit(href)
            if f"{linked.scheme}://{linked.netloc}" == origin and href not in seen:
                seen.add(href)
                queue.append(href)
    left = len(queue)
    site.complete = not left
    if left:
        site.skipped.append(
            SkippedFile(path=origin, reason=f"{left} more URLs over the page cap ({max_pages})")
        )
    try:
        status, _, _, body = fetch(f"{origin}/robots.txt")
        site.robots_status, site.robots = status, _decode(body) if status < 400 else None
    except OSError:
        site.robots_status = None
    sitemap_url = f"{origin}/sitemap.xml"
    for line in (site.robots or "").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip().startswith(origin):
            sitemap_url = value.strip()
            break
    try:
        status, _, _, body = fetch(sitemap_url)
        if status < 400:
            site.sitemap = (_page_file(sitemap_url), _decode(body))
    except OSError:
        pass
    return site
