"""Agreement per audit between seo-optimization's static checks and Lighthouse 12.2.3.

Real pages, built here: the documentation shipped in the sdists of a few packages from
PyPI, built with Sphinx (reST sources, its built-in themes, the projects' own conf.py left
out so no theme or extension needs installing) and with MkDocs (Markdown sources,
MkDocs' own two themes). Each site is served from a loopback HTTP server; every page
is read by the static checks at the URL Lighthouse loads, then audited by Lighthouse
in headless Chromium. A page and audit agree when both say "fails" or both say "does
not fail" (pass or not applicable).

    .venv/bin/python benchmarks/seo_agreement.py [--packages jinja2 packaging ...]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", nargs="+", default=list(PACKAGES))
    parser.add_argument("--pages-per-site", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=120, help="Lighthouse, per page")
    parser.add_argument("--out", type=Path, default=Path("bench-seo.json"))
    args = parser.parse_args()
    tools, missing = find_tools()
    package = package_dir(tools) if tools else None
    if tools is None or package is None:
        print(f"cannot benchmark: {missing or 'Lighthouse is not an npm install'}", file=sys.stderr)
        return 2
    started = time.monotonic()
    table = {audit: {"pages": 0, "agree": 0, "failing": 0} for audit in LIGHTHOUSE_AUDITS}
    rows = []
    with tempfile.TemporaryDirectory(prefix="attune-seo-bench-") as scratch:
        work = Path(scratch)
        for name, root in sites(work, args.packages):
            pages, _ = list_pages(root, args.pages_per_site)
            with serve(root) as base:
                robots = robots_of(base)
                lighthouse: dict[str, dict[str, str] | None] = {}

                def on_page(
                    url: str,
                    verdicts: dict[str, str] | None,
                    error: str,
                    found: dict[str, dict[str, str] | None] = lighthouse,
                    site: str = name,
                ) -> None:
                    found[url] = verdicts
                    print(f"{site} {url}: {error or 'done'}", file=sys.stderr)

                urls = {f"{base}/{path}": path for path in pages}
                run_batch(tools, package, list(urls), args.timeout, on_page)
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
    pages = max(row["pages"] for row in table.values())
    total = sum(r["pages"] for r in table.values())
    agreed = sum(r["agree"] for r in table.values())
    print(
        f"Lighthouse {lighthouse_version(tools)}, {pages} pages, {time.monotonic() - started:.0f} s"
    )
    print("| audit | pages | Lighthouse fails | agree | agreement |\n|---|---:|---:|---:|---:|")
    for audit, row in table.items():
        share = 100 * row["agree"] / row["pages"] if row["pages"] else float("nan")
        print(f"| {audit} | {row['pages']} | {row['failing']} | {row['agree']} | {share:.1f}% |")
    failing = sum(r["failing"] for r in table.values())
    print(f"| **all** | {total} | {failing} | {agreed} | {100 * agreed / max(1, total):.1f}% |")
    args.out.write_text(json.dumps({"table": table, "disagreements": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
