"""seo-optimization: each Lighthouse audit on a failing page and its passing twin, the
site-level checks, a localhost site crawled, then the flow end to end on the dev server
(offline with --apply on a git repo, and with the fake Messages API), and Lighthouse
itself when Chromium and Lighthouse are installed."""

from __future__ import annotations

import json
import subprocess
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from activities.seo_optimization import lighthouse as lh
from activities.seo_optimization import targets
from activities.seo_optimization.checks import PageInput, check_page, parse_viewport
from activities.seo_optimization.fixes import (
    Draft,
    DraftNeed,
    offline_drafts,
    patch_html,
    patch_rst,
    shorten,
)
from activities.seo_optimization.site import (
    SiteIndex,
    SitePage,
    reading_ease,
    site_findings,
)
from activities.seo_optimization.targets import crawl_site, detect_kind, tool
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.sarif_validator import NO_HOME_PAGE, validate
from tests.test_cli import attune
from worker import running_worker
from workflows.registry import registry
from workflows.seo_optimization.models import SeoOptimizationRequest
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["seo-optimization"]
URL = "http://localhost/docs/page.html"


def page(head: str = "", body: str = "", **extra) -> PageInput:
    html = f"<!doctype html><html lang=en><head>{head}</head><body>{body}</body></html>"
    return PageInput(url=URL, html=html, **{"robots_status": 404, **extra})


def result(audit: str, page_input: PageInput) -> str:
    checked = check_page(page_input)
    return next(a.result for a in checked.audits if a.audit == audit)


# audit -> (failing page, passing page)
AUDITS: dict[str, tuple[PageInput, PageInput]] = {
    "document-title": (page("<title>  </title>"), page("<title>Install guide</title>")),
    "meta-description": (
        page('<meta name="description" content=" ">'),
        page('<meta name="Description" content="How to install the tool">'),
    ),
    "viewport": (
        page('<meta name="viewport" content="initial-scale=0.5">'),
        page('<meta name="viewport" content="width=device-width, initial-scale=1">'),
    ),
    "http-status-code": (page(status=404), page(status=200)),
    "crawlable-anchors": (
        page(body='<a href="javascript:void(0)">Open</a>'),
        page(body='<a href="guide.html">Guide</a><a id="top"></a><a role="button">x</a>'),
    ),
    "link-text": (
        page(body='<a href="other.html">click here</a>'),
        page(body='<a href="other.html">Install guide</a><a href="#x">here</a>'),
    ),
    "hreflang": (
        page('<link rel="alternate" hreflang="xx-YY" href="/fr/">'),
        page('<link rel="alternate" hreflang="fr" href="https://example.org/fr/">'),
    ),
    "canonical": (
        page('<link rel="canonical" href="http://localhost/">'),
        page('<link rel="canonical" href="https://example.org/docs/page.html">'),
    ),
    "is-crawlable": (
        page('<meta name="robots" content="noindex, follow">'),
        PageInput(
            url=URL,
            html='<html><head><meta name="robots" content="noindex">'
            '<meta name="googlebot" content="index"></head></html>',
            robots_status=404,
        ),
    ),
    "robots-txt": (
        page(robots_txt="Disallow: /private\nFoo: bar\n", robots_status=200),
        page(robots_txt="User-agent: *\nDisallow: /private\n", robots_status=200),
    ),
    "structured-data": (
        page('<script type="application/ld+json">{"@context": "https://schema.org",</script>'),
        page(
            '<script type="application/ld+json">'
            '{"@context": "https://schema.org", "@type": "WebPage"}</script>'
        ),
    ),
    "image-alt": (
        page(body='<img src="a.png"><img src="b.png" alt=" ">'),
        page(body='<img src="a.png" alt=""><img src="b.png" title="Logo"><img hidden src="c">'),
    ),
}


@pytest.mark.parametrize("audit", sorted(AUDITS))
def test_audit_fails_the_bad_page_and_passes_its_twin(audit: str) -> None:
    bad, good = AUDITS[audit]
    assert result(audit, bad) == "fail"
    assert result(audit, good) in ("pass", "na")


def test_findings_carry_the_line_of_the_element() -> None:
    html = "<!doctype html>\n<html><head>\n<title>T</title>\n</head><body>\n\n<img src=x>\n</body>"
    checked = check_page(PageInput(url=URL, html=html, robots_status=404))
    image = next(a for a in checked.audits if a.audit == "image-alt")
    assert [i.line for i in image.items] == [6]


def test_viewport_parser_follows_metaviewport_parser() -> None:
    assert parse_viewport("width=device-width, initial-scale=1") == {
        "width": "device-width",
        "initial-scale": 1.0,
    }
    assert parse_viewport("width=bogus") == {"width": None}
    assert result("viewport", page('<meta name="viewport" content="width=bogus">')) == "fail"


def test_robots_txt_disallowing_every_bot_blocks_the_page() -> None:
    blocked = page(robots_txt="User-agent: *\nDisallow: /docs/\n", robots_status=200)
    assert result("is-crawlable", blocked) == "fail"
    allowed = page(
        robots_txt="User-agent: *\nDisallow: /docs/\n\nUser-agent: Googlebot\nAllow: /\n",
        robots_status=200,
    )
    assert result("is-crawlable", allowed) == "pass"


# --------------------------------------------------------------------------- site level


PROSE = (
    "Notwithstanding considerable organisational complexity, comprehensive documentation "
    "facilitates understanding of interdependent configuration possibilities. "
) * 12


def facts_of(path: str, head: str, body: str):
    url = f"http://localhost/{path}"
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return SitePage(path=path, url=url, file=path), check_page(PageInput(url=url, html=html)).facts


def test_site_checks_find_links_duplicates_headings_sitemap_and_hard_prose() -> None:
    pages = [
        facts_of(
            "index.html",
            "<title>Home</title>",
            '<h1>Home</h1><h3>Deep</h3><a href="gone.html">Gone page</a>'
            '<a href="a.html#nowhere">A section</a>',
        ),
        facts_of("a.html", "<title>Same</title>", f"<h1>A</h1><p>{PROSE}</p>"),
        facts_of("b.html", "<title>Same</title>", "<h2>No h1</h2>"),
    ]
    index = SiteIndex(
        origin="http://localhost",
        statuses={"/index.html": 200, "/a.html": 200, "/b.html": 200},
    )
    sitemap = ("sitemap.xml", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
               "<url><loc>https://example.org/</loc></url>"
               "<url><loc>https://example.org/old.html</loc></url></urlset>")  # fmt: skip
    found = {(f.rule_id, f.file) for f in site_findings(pages, index, sitemap, 30.0)}
    assert ("broken-link", "index.html") in found
    assert ("broken-anchor", "index.html") in found
    assert {("duplicate-title", "a.html"), ("duplicate-title", "b.html")} <= found
    assert {("heading-order", "index.html"), ("heading-order", "b.html")} <= found
    assert ("readability", "a.html") in found
    assert ("sitemap", "sitemap.xml") in found  # old.html is listed but missing
    assert ("sitemap", "a.html") in found and ("sitemap", "index.html") not in found


def test_reading_ease_scores_plain_prose_above_dense_prose() -> None:
    plain = ("The cat sat on the mat. It was a good day. We went home. " * 15).strip()
    plain_score, _ = reading_ease(plain)
    dense_score, _ = reading_ease(PROSE)
    assert plain_score > 80 > 30 > dense_score


def test_offline_drafts_come_from_the_page_and_land_in_head() -> None:
    need = DraftNeed(
        page="p.html",
        url="/p.html",
        file="p.html",
        needs_title=True,
        needs_description=True,
        heading="Installing the tool",
        first_paragraph="This page shows how to install the tool. " * 8,
    )
    drafts = offline_drafts(need)
    assert {(d.field, d.source) for d in drafts} == {
        ("description", "first-paragraph"),
        ("title", "first-heading"),
    }
    assert len(next(d.text for d in drafts if d.field == "description")) <= 155
    html = "<html>\n<head>\n<title></title>\n</head><body></body></html>\n"
    patched, left = patch_html(html, drafts)
    assert left == [] and "<title>Installing the tool</title>" in patched
    assert '<meta name="description" content="This page shows' in patched
    assert "attune draft (first-paragraph)" in patched
    assert shorten("One. Two three four five six.", 10) == "One."


# --------------------------------------------------------------------------- targets


SITE = {
    "index.html": "<html><head><title>Home</title></head><body><h1>Home</h1>"
    "<p>Welcome to the demo site, which shows every check attune runs.</p>"
    '<a href="guide/">Guide</a> <a href="missing.html">Missing page</a></body></html>',
    "guide/index.html": "<html><head><title>Guide</title>"
    '<meta name="description" content="The guide"></head><body><h1>Guide</h1>'
    '<a href="../index.html">more</a> <a href="../robots.txt">Robots</a></body></html>',
    "robots.txt": "User-agent: *\nDisallow:\n",
}


def write_site(root: Path) -> Path:
    for name, text in SITE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_localhost_site_is_crawled_within_its_origin(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site")
    with lh.serve(root) as base:
        site = crawl_site(f"{base}/", tmp_path / "crawl", max_pages=10)
    statuses = {p.file: p.status for p in site.pages}
    assert statuses == {"index.html": 200, "guide/index.html": 200, "missing.html": 404}
    assert len(site.pages) == 3  # `/` and `/index.html` (linked from the guide) are one page
    assert site.resources == {"/robots.txt": 200} and site.complete
    assert site.robots_status == 200 and "Disallow" in (site.robots or "")
    assert (tmp_path / "crawl" / "guide" / "index.html").is_file()
    assert detect_kind(root) == "site"


def test_only_loopback_urls_are_crawled() -> None:
    with pytest.raises(ValidationError, match="only sites on localhost"):
        SeoOptimizationRequest(target="/tmp", url="http://example.org/")
    request = SeoOptimizationRequest(target="/tmp", url="http://127.0.0.1:8000")
    assert request.url == "http://127.0.0.1:8000/"
    assert SeoOptimizationRequest(target="/tmp", apply=True).fix is True


# --------------------------------------------------------------------------- the flow


def git_site(path: Path) -> Path:
    write_site(path)
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "site"],
    ):
        subprocess.run(command, cwd=path, check=True)
    return path


async def optimize(client: Client, target: Path, **params) -> tuple[object, dict]:
    request = SeoOptimizationRequest(target=str(target), lighthouse="off", **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


async def test_seo_optimization_end_to_end_offline_with_apply(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = git_site(tmp_path / "repo")
    result, progress = await optimize(client, repo, apply=True, out_dir=str(tmp_path / "out"))
    assert result.status == "completed" and result.kind == "site" and result.pages == 2
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 7
    assert result.by_audit["meta-description"] == 1 and result.by_audit["broken-link"] == 1
    assert result.lighthouse == "skipped"
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["llm"]["status"] == "skipped"
    assert "drafts come from each page's own text" in report["llm"]["reason"]
    link = next(f for f in report["findings"] if f["rule_id"] == "link-text")
    assert (link["file"], link["line"]) == ("guide/index.html", 1)
    [draft] = report["drafts"]
    assert (draft["file"], draft["field"], draft["source"], draft["written"]) == (
        "index.html", "description", "first-paragraph", True,
    )  # fmt: skip
    patch = Path(result.artifacts["patch"]).read_text()
    assert '+<meta name="description" content="Welcome to the demo site' in patch
    assert result.applied.status == "committed"
    assert "description" not in (repo / "index.html").read_text()  # the tree is untouched
    shown = subprocess.run(
        ["git", "show", f"{result.applied.branch}:index.html"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "attune draft (first-paragraph)" in shown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == set(result.by_audit)
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Drafts" in markdown and "## Site" in markdown


async def test_seo_optimization_drafts_with_haiku(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_anthropic: FakeAnthropic
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    site = write_site(tmp_path / "site")
    answer = {
        "pages": [{"page": "index.html", "title": None, "description": "Demo site checks."}],
        "confidence": 0.9,
    }
    fake_anthropic.ok(json.dumps(answer))
    result, _ = await optimize(client, site, fix=True)
    assert result.drafts == 1 and result.applied.status == "not-requested"
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["llm"]["status"] == "ok" and report["llm"]["calls_by_tier"] == {"haiku": 1}
    assert report["drafts"][0]["source"] == "haiku"
    assert "Demo site checks." in Path(result.artifacts["patch"]).read_text()
    [request] = fake_anthropic.messages
    assert "index.html" in json.dumps(request.body["messages"])
    assert "description" not in (site / "index.html").read_text()


TOOLS, MISSING = lh.find_tools()


@pytest.mark.skipif(TOOLS is None, reason=f"Lighthouse test: {MISSING}")
def test_lighthouse_agrees_with_the_static_checks(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    html = textwrap.dedent(
        """\
        <!doctype html><html lang="en"><head><title>Demo</title>
        <meta name="viewport" content="width=device-width"></head>
        <body><h1>Demo</h1><a href="other.html">here</a><img src="x.png"></body></html>
        """
    )
    (root / "index.html").write_text(html)
    assert TOOLS is not None
    verdicts, errors = lh.lighthouse_pages(TOOLS, root, [("index.html", "")], 120)
    assert errors == {}
    theirs = verdicts["index.html"]
    with lh.serve(root) as base:
        ours = check_page(PageInput(url=f"{base}/index.html", html=html, robots_status=404))
    for audit in ("document-title", "meta-description", "viewport", "link-text", "image-alt"):
        mine = next(a.result for a in ours.audits if a.audit == audit)
        assert (mine == "fail") == (theirs[audit] == "fail"), audit


def test_cli_runs_seo_optimization_on_a_site(
    cli_env: dict[str, str], tmp_path: Path, sarif_validator: Path
) -> None:
    site = write_site(tmp_path / "site")
    out = tmp_path / "reports"
    done = attune(
        cli_env, "workflow", "run", "seo-optimization", str(site), "--json", "--out", str(out),
        "--param", "lighthouse=off", "--param", "fix=true",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == {
        "report.md",
        "report.json",
        "report.sarif",
        "seo.patch",
    }
    report = json.loads(done.stdout)
    assert report["workflow"] == "seo-optimization" and report["site"]["pages"] == 2
    validation = validate(out / "report.sarif", sarif_validator)
    assert validation.errors == [], validation.output
    assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []


MKDOCS_TOOL = tool("mkdocs")


@pytest.mark.skipif(MKDOCS_TOOL is None, reason="mkdocs is not installed (pip install mkdocs)")
async def test_a_mkdocs_project_is_built_outside_the_project_and_patched_in_markdown(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: Demo\n")
    (project / "docs" / "index.md").write_text(
        "# Demo\n\nDemo turns spreadsheets into reports that anyone can read.\n"
    )
    result, _ = await optimize(client, project, fix=True)
    assert result.kind == "mkdocs" and result.pages >= 1
    assert not (project / "site").exists()  # built under $ATTUNE_HOME, not in the project
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["site"]["built_with"] == "mkdocs build"
    assert result.by_audit["placeholder-description"] == 1  # the theme printed "None"
    assert [(d["file"], d["field"], d["written"]) for d in report["drafts"]] == [
        ("mkdocs.yml", "description", True)
    ], report["drafts"]
    patch = Path(result.artifacts["patch"]).read_text()
    assert (
        '+site_description: "Demo turns spreadsheets into reports that anyone can read."' in patch
    )


async def test_a_docs_project_without_its_tool_is_a_warning(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(targets.sys, "executable", str(tmp_path / "python"))
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "conf.py").write_text("project = 'x'\n")
    (project / "docs" / "_build" / "html").mkdir(parents=True)
    (project / "docs" / "_build" / "html" / "index.html").write_text(SITE["index.html"])
    result, _ = await optimize(client, project)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    codes = [w["code"] for w in report["warnings"]]
    assert codes == ["docs-tool-missing", "docs-prebuilt"], report["warnings"]
    assert "pip install sphinx" in report["warnings"][0]["message"]
    assert result.kind == "sphinx" and result.pages == 1


def test_a_crawl_never_follows_a_redirect_off_its_origin() -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:9/elsewhere")  # another origin
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        status, _, _, _ = targets.fetch(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert status == 302


def test_a_sphinx_description_goes_after_the_file_wide_metadata() -> None:
    draft = Draft(page="p.html", file="p.rst", field="description", text="About p.", source="x")
    patched, _ = patch_rst(":orphan:\n:tocdepth: 2\n\nTitle\n=====\n", [draft])
    assert patched.startswith(":orphan:\n:tocdepth: 2\n\n.. attune draft (x)")
    assert ".. meta::\n   :description: About p.\n\nTitle\n" in patched


def test_a_page_is_found_by_any_of_its_paths() -> None:
    index = SiteIndex(origin="http://x", statuses={"/": 200, "/guide/": 200, "/a/index.html": 200})
    for path in ("/", "/index.html", "/guide/", "/guide", "/guide/index.html", "/a/", "/a"):
        assert index.status(path) == 200, path
    assert index.missing("/nope.html") == "does not exist"
