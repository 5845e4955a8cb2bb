"""Site-level checks over every page's facts: the sitemap against the pages, broken
internal links, duplicate titles and descriptions, heading order and readability.

Readability is the Flesch reading ease, 206.835 - 1.015 (words / sentences) - 84.6
(syllables / words), with syllables counted by pyphen's hyphenation dictionaries (the
syllable counter textstat itself used before it needed NLTK data downloaded at run
time). 60-70 reads as plain English, 30-50 as college level, below 30 as very hard;
technical docs sit lower than prose, so the threshold is a request field.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urldefrag, urlsplit

import pyphen
from pydantic import BaseModel

from activities.seo_optimization.checks import AuditItem, PageFacts
from workflows.schemas import Finding, Severity

MIN_WORDS_FOR_READABILITY = 100
SITEMAP_SHOWN = 20
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")
LOCS = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
PLACEHOLDERS = frozenset({"none", "null", "undefined", "todo", "tbd", "description", "n/a"})
"""Descriptions a template printed from an unset value (MkDocs' themes write "None")."""


def placeholder(description: str | None) -> bool:
    return description is not None and description.strip().casefold() in PLACEHOLDERS


class SitePage(BaseModel):
    """A page of the site: where its HTML is, the URL it is served at, and the file a
    finding names (the HTML itself, its source in a docs project, or its URL path)."""

    path: str
    url: str
    file: str
    status: int = 200


def error_page(page: SitePage) -> bool:
    """A site's not-found page (404.html, as MkDocs, Jekyll and GitHub Pages name it):
    served for missing URLs, never meant to be found itself."""
    return page.status >= 400 or page.path.rsplit("/", 1)[-1] == "404.html"


@cache
def _dictionary() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    return max(1, len(_dictionary().positions(word.lower())) + 1)


def reading_ease(text: str) -> tuple[float, int] | None:
    """(Flesch reading ease, words), or None for text too short to score."""
    words = WORD.findall(text)
    if len(words) < MIN_WORDS_FOR_READABILITY:
        return None
    sentences = max(1, len([s for s in SENTENCE_END.split(text) if WORD.search(s)]))
    total = sum(syllables(w) for w in words)
    score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (total / len(words))
    return round(score, 1), len(words)


def seo_finding(
    rule_id: str,
    severity: Severity,
    file: str,
    item: AuditItem,
    *,
    tool: str = "attune",
    confidence: str = "high",
) -> Finding:
    """A finding of the flow; its fingerprint ignores the line, so it survives edits."""
    digest = hashlib.sha256(f"{rule_id}\0{file}\0{item.message}".encode()).hexdigest()[:16]
    return Finding(
        rule_id=rule_id,
        tool=tool,
        tools=[tool],
        category="seo",
        severity=severity,
        confidence=confidence,  # type: ignore[arg-type]
        file=file,
        line=max(1, item.line),
        message=item.message,
        snippet=item.snippet,
        fingerprint=digest,
    )


@dataclass(frozen=True)
class SiteIndex:
    """Which URL paths of the site answer, and with what status. A crawl stopped by its
    page cap is not `complete`: a path it never fetched is unknown, not missing."""

    origin: str
    statuses: dict[str, int]
    complete: bool = True

    def missing(self, path: str) -> str | None:
        """Why `path` is not a page (does not exist, or its error status), else None."""
        status = self.status(path)
        if status is None:
            return "does not exist" if self.complete else None
        return f"answers HTTP {status}" if status >= 400 else None

    def status(self, path: str) -> int | None:
        path = posixpath.normpath(unquote(path)) if path not in ("", "/") else "/"
        if path != "/" and not path.startswith("/"):
            path = "/" + path
        folder = path.removesuffix("index.html") if path.endswith("/index.html") else None
        candidates = (path, path.rstrip("/") + "/", path.rstrip("/") + "/index.html", folder)
        for candidate in (*candidates, path + ".html"):
            if candidate in self.statuses:
                return self.statuses[candidate]
        return None


def url_path(url: str) -> str:
    path = urlsplit(url).path or "/"
    return unquote(path)


def site_findings(
    pages: list[tuple[SitePage, PageFacts]],
    index: SiteIndex,
    sitemap: tuple[str, str] | None,
    min_reading_ease: float,
) -> list[Finding]:
    """Findings of the checks that need the whole site. `sitemap` is (its file, its XML)."""
    findings: list[Finding] = []
    findings += broken_links(pages, index)
    findings += duplicates(pages)
    for page, facts in pages:
        if placeholder(facts.description):
            message = (
                f"The meta description is the placeholder {facts.description!r}: "
                "Lighthouse passes it, search results show it"
            )
            item = AuditItem(message=message, line=facts.description_line)
            findings.append(seo_finding("placeholder-description", "medium", page.file, item))
        findings += heading_order(page, facts)
        findings += readability(page, facts, min_reading_ease)
    findings += sitemap_coverage(pages, index, sitemap)
    return findings


def broken_links(pages: list[tuple[SitePage, PageFacts]], index: SiteIndex) -> list[Finding]:
    ids = {url_path(p.url): set(f.ids) for p, f in pages}
    findings = []
    for page, facts in pages:
        seen: set[str] = set()
        for href, line in facts.links:
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != index.origin or href in seen:
                continue
            seen.add(href)
            target, fragment = urldefrag(href)
            what = index.missing(url_path(target))
            if what is not None:
                message = f"Broken internal link: {url_path(target)} {what}"
                findings.append(
                    seo_finding(
                        "broken-link", "medium", page.file, AuditItem(message=message, line=line)
                    )
                )
                continue
            anchors = ids.get(url_path(target))
            if anchors is None:
                anchors = ids.get(url_path(target) + "index.html")
            if fragment and anchors is not None and unquote(fragment) not in anchors:
                message = f"Broken anchor: {url_path(target)} has no #{unquote(fragment)}"
                findings.append(
                    seo_finding(
                        "broken-anchor", "low", page.file, AuditItem(message=message, line=line)
                    )
                )
    return findings


def duplicates(pages: list[tuple[SitePage, PageFacts]]) -> list[Finding]:
    """Pages sharing a title or a description: search results cannot tell them apart."""
    findings = []
    for rule, value, line in (
        ("duplicate-title", lambda f: f.title, lambda f: f.title_line),
        ("duplicate-description", lambda f: f.description or "", lambda f: f.description_line),
    ):
        groups: dict[str, list[tuple[SitePage, PageFacts]]] = defaultdict(list)
        for page, facts in pages:
            if value(facts) and not facts.noindex:
                groups[value(facts).casefold()].append((page, facts))
        for group in groups.values():
            if len(group) < 2:
                continue
            what = "title" if rule == "duplicate-title" else "meta description"
            for page, facts in group:
                others = sorted(p.file for p, _ in group if p is not page)
                shown = ", ".join(others[:3]) + (
                    f" and {len(others) - 3} more" if len(others) > 3 else ""
                )
                message = f"The {what} {value(facts)!r} is also used by {shown}"
                findings.append(
                    seo_finding(
                        rule, "low", page.file, AuditItem(message=message, line=line(facts))
                    )
                )
    return findings


def heading_order(page: SitePage, facts: PageFacts) -> list[Finding]:
    """A heading more than one level below the one before it, and a page without `<h1>`."""
    findings = []
    previous = 0
    for heading in facts.headings:
        if previous and heading.level > previous + 1:
            message = (
                f"Heading level skips from h{previous} to h{heading.level} ({heading.text[:60]!r})"
            )
            findings.append(
                seo_finding(
                    "heading-order", "low", page.file, AuditItem(message=message, line=heading.line)
                )
            )
        previous = heading.level
    if facts.headings and not any(h.level == 1 for h in facts.headings):
        item = AuditItem(message="The page has headings but no <h1>", line=facts.headings[0].line)
        findings.append(seo_finding("heading-order", "low", page.file, item))
    return findings


def readability(page: SitePage, facts: PageFacts, minimum: float) -> list[Finding]:
    scored = reading_ease(facts.text)
    if scored is None or scored[0] >= minimum:
        return []
    score, words = scored
    message = (
        f"Flesch reading ease {score:g} (below {minimum:g}) over {words} words: "
        "shorter sentences and words would read more easily"
    )
    return [seo_finding("readability", "info", page.file, AuditItem(message=message))]


def sitemap_urls(xml: str) -> list[str]:
    """`<loc>` of a sitemap (or sitemap index) document; ValueError when it is not XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        raise ValueError(str(err)) from None
    return [(loc.text or "").strip() for loc in root.iter(LOCS) if (loc.text or "").strip()]


def sitemap_coverage(
    pages: list[tuple[SitePage, PageFacts]],
    index: SiteIndex,
    sitemap: tuple[str, str] | None,
) -> list[Finding]:
    """Pages a sitemap leaves out and sitemap entries with no page, compared by path
    (a sitemap names the public URLs, the checked site may be served elsewhere)."""
    indexable = [(p, f) for p, f in pages if not f.noindex and not error_page(p)]
    if sitemap is None:
        if not indexable:
            return []
        item = AuditItem(message="The site has no sitemap.xml: crawlers find pages only by links")
        return [seo_finding("sitemap", "low", "sitemap.xml", item)]
    name, xml = sitemap
    try:
        listed = sitemap_urls(xml)
    except ValueError as err:
        item = AuditItem(message=f"sitemap.xml is not valid XML: {err}")
        return [seo_finding("sitemap", "medium", name, item)]
    findings = []
    listed_paths = {_page_key(url_path(u)) for u in listed}
    for url in listed[:1000]:
        what = index.missing(url_path(url))
        if what is not None:
            item = AuditItem(message=f"The sitemap lists {url}, which {what}")
            findings.append(seo_finding("sitemap", "medium", name, item))
    missing = [p for p, _ in indexable if _page_key(url_path(p.url)) not in listed_paths]
    for page in missing[:SITEMAP_SHOWN]:
        item = AuditItem(message=f"{url_path(page.url)} is not listed in {name}")
        findings.append(seo_finding("sitemap", "low", page.file, item))
    if len(missing) > SITEMAP_SHOWN:
        item = AuditItem(message=f"{len(missing) - SITEMAP_SHOWN} more pages are not in {name}")
        findings.append(seo_finding("sitemap", "low", name, item))
    return findings


def _page_key(path: str) -> str:
    """`/a/`, `/a/index.html` and `/a/index` name the same page."""
    path = path or "/"
    for suffix in ("index.html", "index.htm"):
        if path.endswith("/" + suffix):
            path = path[: -len(suffix)]
    return path
