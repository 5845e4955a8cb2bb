"""Agreement per audit between seo-optimization's static checks and Lighthouse 12.2.3.

Real pages, built here: the documentation shipped in the sdists of a few packages from
PyPI, built with Sphinx (reST sources, its built-in themes, the projects' own conf.py left
out so no theme or extension needs installing) and with MkDocs (Markdown sources,
MkDocs' own two themes). Each site is served from a loopback HTTP server; every page
is read by the static checks at the URL Lighthouse loads, then audited by Lighthouse
in headless Chromium. A page and audit agree when both say "fails" or both say "does
not fail" (pass or not applicable).

    .venv/bin/python benchmarks/seo_agreement.py [--packages jinja2 packaging ...] [--crafted]
        [--pages-per-site 8] [--out bench-seo.json]

Needs: network access to PyPI (pip download), sphinx and mkdocs in this venv, Chromium
(`apt-get install -y chromium`) and Lighthouse (`make lighthouse`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

from activities.seo_optimization.checks import PageInput, check_page
from activities.seo_optimization.lighthouse import (
    LIGHTHOUSE_AUDITS,
    find_tools,
    lighthouse_version,
    package_dir,
    run_batch,
    serve,
)
from activities.seo_optimization.targets import list_pages

PACKAGES = ("jinja2", "packaging", "pluggy", "click", "attrs")
SPHINX_THEMES = ("alabaster", "classic", "nature", "haiku")
"""Sphinx's built-in themes, one per package in turn: different page templates."""
BIN = Path(sys.executable).parent


def download(package: str, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         "-d", str(into), package],
        check=True,
    )  # fmt: skip
    archive = next(p for p in into.iterdir() if p.name.lower().startswith(package.lower()))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return next(p for p in into.iterdir() if p.is_dir())


def build_sphinx(docs: Path, out: Path, theme: str) -> bool:
    done = subprocess.run(
        [str(BIN / "sphinx-build"), "-C", "-b", "html", "-q", "-D", "project=docs",
         "-D", f"html_theme={theme}", str(docs), str(out)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    return (out / "index.html").is_file() or done.returncode == 0


def build_mkdocs(docs: Path, out: Path, theme: str) -> bool:
    config = docs.parent / f"mkdocs-bench-{theme}.yml"
    config.write_text(
        f"site_name: {docs.parent.name}\ndocs_dir: {docs.name}\ntheme: {theme}\n"
        f"site_url: https://example.org/{docs.parent.name}/\n"
    )
    done = subprocess.run(
        [str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d", str(out)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    return done.returncode == 0 and (out / "index.html").is_file()


def sites(work: Path, packages: list[str]) -> list[tuple[str, Path]]:
    """(name, built site) for each package whose docs built."""
    built = []
    for number, package in enumerate(packages):
        project = download(package, work / "src" / package)
        docs = project / "docs"
        if not docs.is_dir():
            print(f"{package}: no docs/ in the sdist", file=sys.stderr)
            continue
        if any(docs.glob("*.rst")):
            theme = SPHINX_THEMES[number % len(SPHINX_THEMES)]
            out = work / "sites" / f"{package}-sphinx-{theme}"
            if build_sphinx(docs, out, theme):
                built.append((f"{package} (sphinx {theme})", out))
        if any(docs.glob("*.md")):
            theme = "mkdocs" if len(built) % 2 else "readthedocs"
            out = work / "sites" / f"{package}-mkdocs-{theme}"
            if build_mkdocs(docs, out, theme):
                built.append((f"{package} (mkdocs {theme})", out))
    return built


def robots_of(base: str) -> tuple[int | None, str | None]:
    try:
        with urllib.request.urlopen(f"{base}/robots.txt", timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, None


# Pages made here, one failing and one passing page per audit a page's HTML decides,
# so agreement is also measured where pages fail (real docs pages rarely do). `{base}` is
# the served origin. Reported apart from the real pages.
CRAFTED: dict[str, str] = {
    "title-missing.html": "<html><head></head><body><p>x</p></body></html>",
    "title-ok.html": "<html><head><title>Guide</title></head><body></body></html>",
    "description-empty.html": '<html><head><meta name="description" content=" "></head></html>',
    "description-ok.html": '<html><head><meta name="description" content="A guide"></head></html>',
    "viewport-small.html": '<html><head><meta name="viewport" content="initial-scale=0.5">'
    "</head></html>",
    "viewport-bad-width.html": '<html><head><meta name="viewport" content="width=bogus">'
    "</head></html>",
    "viewport-ok.html": '<html><head><meta name="viewport" content="width=device-width">'
    "</head></html>",
    "anchors-void.html": '<html><body><a href="javascript:void(0)">Open</a></body></html>',
    "anchors-nohref.html": "<html><body><a>Open</a></body></html>",
    "anchors-ok.html": '<html><body><a href="a.html">A</a><a id="top"></a>'
    '<a role="button">B</a><a href="mailto:x@y">Mail</a></body></html>',
    "linktext-here.html": '<html><body><a href="other.html">click here</a></body></html>',
    "linktext-ok.html": '<html><body><a href="other.html">Install guide</a>'
    '<a href="#x">here</a><a href="o.html" rel="nofollow">more</a></body></html>',
    "hreflang-bad.html": '<html><head><link rel="alternate" hreflang="xx-YY" '
    'href="https://example.org/x/"></head></html>',
    "hreflang-relative.html": '<html><head><link rel="alternate" hreflang="fr" href="/fr/">'
    "</head></html>",
    "hreflang-ok.html": '<html><head><link rel="alternate" hreflang="fr" '
    'href="https://example.org/fr/"><link rel="alternate" hreflang="x-default" '
    'href="https://example.org/"></head></html>',
    "canonical-relative.html": '<html><head><link rel="canonical" href="/x.html"></head></html>',
    "canonical-root.html": '<html><head><link rel="canonical" href="{base}/"></head></html>',
    "canonical-conflict.html": '<html><head><link rel="canonical" href="https://a.org/x">'
    '<link rel="canonical" href="https://b.org/y"></head></html>',
    "canonical-ok.html": '<html><head><link rel="canonical" href="https://example.org/a">'
    "</head></html>",
    "robots-noindex.html": '<html><head><meta name="robots" content="noindex"></head></html>',
    "robots-bot-allowed.html": '<html><head><meta name="robots" content="noindex">'
    '<meta name="googlebot" content="index"></head></html>',
    "images-missing.html": '<html><body><img src="a.png"><img src="b.png" alt=" "></body></html>',
    "images-ok.html": '<html><body><img src="a.png" alt=""><img src="b.png" title="Logo">'
    '<img src="c.png" role="presentation"></body></html>',
}


def compare_site(
    tools, package: Path, name: str, root: Path, pages: list[str], timeout: int, table, rows
) -> None:
    """Lighthouse and the static checks on `pages` of `root`, served here; counts go to
    `table` per audit, disagreements to `rows`."""
    with serve(root) as base:
        for path in pages:
            html = (root / path).read_text(encoding="utf-8", errors="replace")
            if "{base}" in html:
                (root / path).write_text(html.replace("{base}", base))
        robots = robots_of(base)
        lighthouse: dict[str, dict[str, str] | None] = {}

        def on_page(url: str, verdicts: dict[str, str] | None, error: str) -> None:
            lighthouse[url] = verdicts
            print(f"{name} {url}: {error or 'done'}", file=sys.stderr)

        urls = {f"{base}/{path}": path for path in pages}
        run_batch(tools, package, list(urls), timeout, on_page)
        for url, path in urls.items():
            theirs = lighthouse.get(url)
            if theirs is None:
                continue
            static = check_page(
                PageInput(
                    url=url,
                    html=(root / path).read_text(encoding="utf-8", errors="replace"),
                    robots_status=robots[0],
                    robots_txt=robots[1],
                )
            )
            ours = {a.audit: a.result for a in static.audits}
            for audit, verdict in theirs.items():
                agree = (ours[audit] == "fail") == (verdict == "fail")
                table[audit]["pages"] += 1
                table[audit]["agree"] += agree
                table[audit]["failing"] += verdict == "fail"
                if not agree:
                    rows.append(
                        {"site": name, "page": path, "audit": audit,
                         "static": ours[audit], "lighthouse": verdict}
                    )  # fmt: skip


def print_table(title: str, table: dict[str, dict[str, int]]) -> None:
    pages = max(row["pages"] for row in table.values())
    total = sum(r["pages"] for r in table.values())
    agreed = sum(r["agree"] for r in table.values())
    failing = sum(r["failing"] for r in table.values())
    print(f"\n{title}: {pages} pages\n")
    print("| audit | pages | Lighthouse fails | agree | agreement |\n|---|---:|---:|---:|---:|")
    for audit, row in table.items():
        share = 100 * row["agree"] / row["pages"] if row["pages"] else float("nan")
        print(f"| {audit} | {row['pages']} | {row['failing']} | {row['agree']} | {share:.1f}% |")
    print(f"| **all** | {total} | {failing} | {agreed} | {100 * agreed / max(1, total):.1f}% |")


def new_table() -> dict[str, dict[str, int]]:
    return {audit: {"pages": 0, "agree": 0, "failing": 0} for audit in LIGHTHOUSE_AUDITS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", nargs="*", default=list(PACKAGES))
    parser.add_argument("--pages-per-site", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=120, help="Lighthouse, per page")
    parser.add_argument("--crafted", action="store_true", help="Also the crafted pages")
    parser.add_argument("--out", type=Path, default=Path("bench-seo.json"))
    args = parser.parse_args()
    tools, missing = find_tools()
    package = package_dir(tools) if tools else None
    if tools is None or package is None:
        print(f"cannot benchmark: {missing or 'Lighthouse is not an npm install'}", file=sys.stderr)
        return 2
    started = time.monotonic()
    real, crafted = new_table(), new_table()
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="attune-seo-bench-") as scratch:
        work = Path(scratch)
        for name, root in sites(work, args.packages):
            pages, _ = list_pages(root, args.pages_per_site)
            compare_site(tools, package, name, root, pages, args.timeout, real, rows)
        if args.crafted:
            root = work / "crafted"
            root.mkdir()
            for path, html in CRAFTED.items():
                (root / path).write_text(f"<!doctype html>{html}<p>A page made for one audit.</p>")
            compare_site(
                tools, package, "crafted", root, list(CRAFTED), args.timeout, crafted, rows
            )
    print(f"Lighthouse {lighthouse_version(tools)}, {time.monotonic() - started:.0f} s")
    if any(r["pages"] for r in real.values()):
        print_table("Real pages (docs of PyPI packages, built here)", real)
    if args.crafted:
        print_table("Crafted pages (a failing and a passing page per audit)", crafted)
    args.out.write_text(
        json.dumps({"real": real, "crafted": crafted, "disagreements": rows}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
