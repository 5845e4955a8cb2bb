"""The per-page audits of Lighthouse 12's SEO category, on the page's HTML, without a browser.

Each check follows the rule of the Lighthouse 12.2.3 audit of the same id
(core/audits/seo/*.js, core/audits/viewport.js, and axe-core's `document-title` and
`image-alt` rules behind Lighthouse's audits of those names), on the data Lighthouse's
gatherers collect from the DOM: `head meta` elements with lowercased names, `<a>` elements
with their raw and resolved hrefs, `<link>` elements with whether they sit in `<head>`,
and the `Link`/`X-Robots-Tag` response headers. The page is parsed by lexbor (selectolax),
an HTML5 parser that builds the same tree a browser does; no regex ever reads the HTML.

What a static reading cannot know is said, not guessed: CSS is not applied, so text or
images hidden by a stylesheet count as shown (Lighthouse's innerText and axe skip them).
`structured-data` is a manual audit in Lighthouse; here it checks that every JSON-LD block
parses and names its `@context` and `@type`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

from language_tags import tags
from protego import Protego
from pydantic import BaseModel, Field
from selectolax.lexbor import LexborHTMLParser, LexborNode

Result = Literal["pass", "fail", "na"]

PAGE_AUDITS: tuple[str, ...] = (
    "document-title",
    "meta-description",
    "viewport",
    "http-status-code",
    "crawlable-anchors",
    "link-text",
    "hreflang",
    "canonical",
    "is-crawlable",
    "robots-txt",
    "structured-data",
    "image-alt",
)
"""The audits run on every page, by their Lighthouse ids."""

# core/audits/seo/link-text.js, BLOCKLIST (all its languages).
LINK_TEXT_BLOCKLIST = frozenset(
    {
        "click here", "click this", "go", "here", "information", "learn more", "more",
        "more info", "more information", "right here", "read more", "see more", "start",
        "this", "ここをクリック", "こちらをクリック", "リンク", "続きを読む", "続く",
        "全文表示", "click aquí", "click aqui", "clicka aquí", "clicka aqui", "pincha aquí",
        "pincha aqui", "aquí", "aqui", "más", "mas", "más información", "más informacion",
        "mas información", "mas informacion", "este", "enlace", "este enlace", "empezar",
        "clique aqui", "ir", "mais informação", "mais informações", "mais", "veja mais",
        "여기", "여기를 클릭", "클릭", "링크", "자세히", "자세히 보기", "계속", "이동",
        "전체 보기", "här", "klicka här", "läs mer", "mer", "mer info", "mer information",
        "அடுத்த பக்கம்", "மறுபக்கம்", "முந்தைய பக்கம்", "முன்பக்கம்", "மேலும் அறிக",
        "மேலும் தகவலுக்கு", "மேலும் தரவுகளுக்கு", "தயவுசெய்து இங்கே அழுத்தவும்",
        "இங்கே கிளிக் செய்யவும்", "اطلاعات بیشتر", "اطلاعات", "این", "اینجا بزنید",
        "اینجا کلیک کنید", "اینجا", "برو", "بیشتر بخوانید", "بیشتر بدانید", "بیشتر", "شروع",
    }
)  # fmt: skip
# core/audits/seo/is-crawlable.js
BOT_USER_AGENTS: tuple[str | None, ...] = (
    None,
    "Googlebot",
    "bingbot",
    "DuckDuckBot",
    "archive.org_bot",
)
ROBOTS_BLOCKING = frozenset({"noindex", "none"})
UNAVAILABLE_AFTER = "unavailable_after"
# core/audits/seo/robots-txt.js
ROBOTS_DIRECTIVES = frozenset(
    {
        "user-agent", "disallow", "allow", "sitemap", "crawl-delay", "clean-param", "host",
        "request-rate", "visit-time", "noindex",
    }
)  # fmt: skip
SITEMAP_SCHEMES = frozenset({"https", "http", "ftp"})
# metaviewport-parser 0.3.0, the parser behind core/computed/viewport-meta.js
VIEWPORT_SEPARATORS = frozenset(" \n\t,;=")
VIEWPORT_PROPERTIES = frozenset(
    {
        "width", "height", "initial-scale", "minimum-scale", "maximum-scale", "user-scalable",
        "shrink-to-fit", "viewport-fit", "interactive-widget",
    }
)  # fmt: skip
VIEWPORT_WORDS = frozenset({"yes", "no", "device-width", "device-height"})
INTERACTIVE_WIDGET = frozenset({"resizes-visual", "resizes-content", "overlays-content"})
PRESENTATIONAL = frozenset({"presentation", "none"})
SNIPPET_CHARS = 200


class AuditItem(BaseModel):
    """One thing an audit found wrong on a page, at a line of its HTML."""

    message: str
    line: int = 1
    snippet: str = ""


class AuditOutcome(BaseModel):
    audit: str
    result: Result
    items: list[AuditItem] = Field(default_factory=list)


class Heading(BaseModel):
    level: int
    text: str
    line: int


class PageFacts(BaseModel):
    """What the site-level checks and the drafts need from a page."""

    title: str = ""
    title_line: int = 0
    description: str | None = None
    description_line: int = 0
    headings: list[Heading] = Field(default_factory=list)
    links: list[tuple[str, int]] = Field(
        default_factory=list, description="Resolved same-site hrefs (fragment kept) and lines"
    )
    ids: list[str] = Field(default_factory=list, description="Element ids and anchor names")
    text: str = Field(default="", description="The main content's text, for readability")
    first_paragraph: str = ""
    canonical: str | None = None
    noindex: bool = False


class PageCheck(BaseModel):
    audits: list[AuditOutcome]
    facts: PageFacts


@dataclass
class PageInput:
    """A page as the browser would receive it."""

    url: str
    html: str
    status: int = 200
    headers: dict[str, list[str]] = field(default_factory=dict)
    """Response headers by lowercased name (`link`, `x-robots-tag`)."""
    robots_txt: str | None = None
    """The site's robots.txt when it answered 2xx/3xx with content; None otherwise."""
    robots_status: int | None = None
    """The robots.txt request's status; None when it could not be fetched at all."""


class TagLines(HTMLParser):
    """Source lines of each tag's start tags, in document order: lexbor builds the tree,
    Python's tokenizer says where in the file the k-th `<a>` (or `<img>` ...) starts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: dict[str, list[int]] = defaultdict(list)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.lines[tag].append(self.getpos()[0])

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.lines[tag].append(self.getpos()[0])


class Page:
    """The parsed page and the lookups every audit shares."""

    def __init__(self, page: PageInput) -> None:
        self.input = page
        self.url = page.url
        self.tree = LexborHTMLParser(page.html)
        self._lines = TagLines(page.html).lines
        self._order: dict[str, dict[int, int]] = {}

    def line(self, node: LexborNode) -> int:
        """The source line of `node`'s start tag (1 when the parser implied the tag)."""
        tag = node.tag or ""
        order = self._order.get(tag)
        if order is None:
            order = {n.mem_id: i for i, n in enumerate(self.tree.css(tag))}
            self._order[tag] = order
        lines = self._lines.get(tag, [])
        index = order.get(node.mem_id, -1)
        return lines[index] if 0 <= index < len(lines) else 1

    def snippet(self, node: LexborNode) -> str:
        html = node.html or ""
        start = html.split(">", 1)[0] + ">" if ">" in html else html
        return start[:SNIPPET_CHARS]

    def head_metas(self) -> list[LexborNode]:
        """`head meta`, as Lighthouse's MetaElements gatherer selects them."""
        return self.tree.css("head meta")

    def meta_named(self, name: str) -> LexborNode | None:
        return next(
            (m for m in self.head_metas() if (m.attributes.get("name") or "").lower() == name),
            None,
        )

    def links(self) -> list[tuple[LexborNode, str, bool]]:
        """`<link>` elements with their lowercased rel and whether they are in `<head>`."""
        found = []
        for link in self.tree.css("link"):
            rel = (link.attributes.get("rel") or "").lower()
            found.append((link, rel, _inside(link, "head")))
        return found


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _attr(node: LexborNode, name: str) -> str | None:
    value = node.attributes.get(name)
    return value if value is not None else (None if name not in node.attributes else "")


def collapse(text: str) -> str:
    return " ".join(text.split())


def resolve(href: str, base: str) -> str | None:
    """The WHATWG-resolved URL, or None when the URL parser would throw."""
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and not parts.hostname:
        return None
    return joined


def same_document(href: str, url: str) -> bool:
    return urldefrag(href)[0] == urldefrag(url)[0]


# --------------------------------------------------------------------------- audits


def document_title(page: Page) -> AuditOutcome:
    """axe `document-title`: `document.title` (the first HTML `<title>`) is not blank."""
    title = _document_title(page)
    if title is not None and collapse(title.text(deep=True)):
        return AuditOutcome(audit="document-title", result="pass")
    where = page.line(title) if title is not None else 1
    message = "The page has no <title>" if title is None else "The page's <title> is empty"
    return AuditOutcome(
        audit="document-title", result="fail", items=[AuditItem(message=message, line=where)]
    )


def _document_title(page: Page) -> LexborNode | None:
    return next((t for t in page.tree.css("title") if not _inside(t, "svg")), None)


def meta_description(page: Page) -> AuditOutcome:
    meta = page.meta_named("description")
    if meta is None:
        item = AuditItem(message='The page has no <meta name="description">')
        return AuditOutcome(audit="meta-description", result="fail", items=[item])
    if not (meta.attributes.get("content") or "").strip():
        item = AuditItem(
            message="The meta description is empty",
            line=page.line(meta),
            snippet=page.snippet(meta),
        )
        return AuditOutcome(audit="meta-description", result="fail", items=[item])
    return AuditOutcome(audit="meta-description", result="pass")


def parse_viewport(content: str) -> dict[str, float | str | None]:
    """metaviewport-parser's `parseMetaViewPortContent`: the valid properties, a number
    where `parseFloat` reads one, a keyword, or None for an invalid value."""
    props: dict[str, float | str | None] = {}
    i, n = 0, len(content)
    while i < n:
        while i < n and content[i] in VIEWPORT_SEPARATORS:
            i += 1
        if i >= n:
            break
        start = i
        while i < n and content[i] not in VIEWPORT_SEPARATORS:
            i += 1
        if i >= n or content[i] in ",;":
            continue
        name = content[start:i]
        while i < n and content[i] not in ",;=":
            i += 1
        if i >= n or content[i] in ",;":
            continue
        while i < n and content[i] in " \n\t=":
            i += 1
        if i >= n or content[i] in ",;":
            continue
        start = i
        while i < n and content[i] not in VIEWPORT_SEPARATORS:
            i += 1
        if name in VIEWPORT_PROPERTIES:
            props[name] = _viewport_value(name, content[start:i])
    return props


def _viewport_value(name: str, value: str) -> float | str | None:
    number = _parse_float(value)
    if number is not None:
        return number
    word = value.lower()
    if (
        word in VIEWPORT_WORDS
        or (name == "viewport-fit" and word in ("auto", "cover"))
        or (name == "interactive-widget" and word in INTERACTIVE_WIDGET)
    ):
        return word
    return None


def _parse_float(text: str) -> float | None:
    """JavaScript's parseFloat: the longest numeric prefix, or None (NaN)."""
    text = text.lstrip()
    end, seen_digit, seen_dot, seen_exp = 0, False, False, False
    if end < len(text) and text[end] in "+-":
        end += 1
    best = None
    while end < len(text):
        char = text[end]
        if char.isdigit() and char.isascii():
            seen_digit = True
        elif char == "." and not seen_dot and not seen_exp:
            seen_dot = True
        elif char in "eE" and seen_digit and not seen_exp:
            seen_exp = True
            if end + 1 < len(text) and text[end + 1] in "+-":
                end += 1
        else:
            break
        end += 1
        if seen_digit:
            try:
                best = float(text[:end])
            except ValueError:
                continue
    if best is None and text[: len("infinity") + 1].lstrip("+-").startswith("Infinity"):
        return math.inf
    return best


def viewport(page: Page) -> AuditOutcome:
    """core/computed/viewport-meta.js: a viewport tag with a width or an initial-scale
    that is not below 1."""
    meta = page.meta_named("viewport")
    if meta is None:
        item = AuditItem(message='The page has no <meta name="viewport">')
        return AuditOutcome(audit="viewport", result="fail", items=[item])
    props = parse_viewport(meta.attributes.get("content") or "")
    initial = _js_number(props.get("initial-scale", ...))
    width = props.get("width")
    if (initial is not None and initial < 1) or not (width or initial):
        item = AuditItem(
            message="The viewport sets neither a width nor an initial-scale of at least 1",
            line=page.line(meta),
            snippet=page.snippet(meta),
        )
        return AuditOutcome(audit="viewport", result="fail", items=[item])
    return AuditOutcome(audit="viewport", result="pass")


def _js_number(value: object) -> float | None:
    """`Number(value)`: None stands for NaN (a missing or keyword value); null is 0."""
    if value is ...:
        return None
    if value is None:
        return 0.0
    return value if isinstance(value, float) else None


def http_status_code(page: Page) -> AuditOutcome:
    status = page.input.status
    if 400 <= status <= 599:
        item = AuditItem(message=f"The page answered HTTP {status}")
        return AuditOutcome(audit="http-status-code", result="fail", items=[item])
    return AuditOutcome(audit="http-status-code", result="pass")


def crawlable_anchors(page: Page) -> AuditOutcome:
    """core/audits/seo/crawlable-anchors.js, anchor by anchor."""
    items = []
    for anchor in page.tree.css("a"):
        attrs = anchor.attributes
        raw = "".join((attrs.get("href") or "").split())
        if (attrs.get("role") or "").strip() or raw.startswith("mailto:"):
            continue
        if raw == "" and attrs.get("id"):
            continue
        reason = None
        if raw.startswith("file:"):
            reason = "links to a file: URL"
        elif (attrs.get("name") or "").strip():
            continue
        elif "href" not in attrs:
            reason = "has no href"
        elif _javascript_void(raw):
            reason = "uses javascript:void(0) as its href"
        elif resolve(raw, page.url) is None:
            reason = "has an href that is not a valid URL"
        if reason:
            items.append(
                AuditItem(
                    message=f"A link {reason}, so crawlers cannot follow it",
                    line=page.line(anchor),
                    snippet=page.snippet(anchor),
                )
            )
    return _outcome("crawlable-anchors", items)


def _javascript_void(raw: str) -> bool:
    """`/javascript:void(\\(|)0(\\)|)/` of crawlable-anchors.js, as a substring test."""
    at = raw.find("javascript:void")
    while at != -1:
        rest = raw[at + len("javascript:void") :]
        rest = rest.removeprefix("(")
        if rest.startswith("0"):
            return True
        at = raw.find("javascript:void", at + 1)
    return False


def link_text(page: Page) -> AuditOutcome:
    items = []
    for anchor in page.tree.css("a"):
        attrs = anchor.attributes
        if "href" not in attrs or "nofollow" in (attrs.get("rel") or "").lower().split():
            continue
        href = resolve(attrs.get("href") or "", page.url) or (attrs.get("href") or "")
        lowered = href.lower()
        if lowered.startswith(("javascript:", "mailto:")) or same_document(href, page.url):
            continue
        text = collapse(anchor.text(deep=True))
        if text.lower() in LINK_TEXT_BLOCKLIST:
            items.append(
                AuditItem(
                    message=f'The link text "{text}" does not say where the link goes',
                    line=page.line(anchor),
                    snippet=page.snippet(anchor),
                )
            )
    return _outcome("link-text", items)


def _valid_language(hreflang: str) -> bool:
    if hreflang.lower() == "x-default":
        return True
    primary = hreflang.split("-")[0].lower()
    return 2 <= len(primary) <= 3 and tags.language(primary) is not None


def hreflang(page: Page) -> AuditOutcome:
    items = []
    for link, _rel, in_head, raw, lang in _alternates(page):
        if not in_head:
            continue
        reasons = []
        if not _valid_language(lang):
            reasons.append(f"unexpected language code {lang!r}")
        if not raw.lower().startswith(("http:", "https:")):
            reasons.append(f"relative href {raw!r}")
        if reasons:
            where = page.line(link) if link is not None else 1
            snippet = page.snippet(link) if link is not None else f"Link: <{raw}>"
            items.append(
                AuditItem(
                    message=f"hreflang link: {'; '.join(reasons)}", line=where, snippet=snippet
                )
            )
    return _outcome("hreflang", items)


def _alternates(page: Page) -> list[tuple[LexborNode | None, str, bool, str, str]]:
    """rel=alternate links with an hreflang, from the DOM and the Link headers; the
    third value is True unless the element sits in the body."""
    found: list[tuple[LexborNode | None, str, bool, str, str]] = []
    for link, rel, in_head in page.links():
        lang = link.attributes.get("hreflang") or ""
        if rel == "alternate" and lang:
            found.append((link, rel, in_head, link.attributes.get("href") or "", lang))
    for header in _link_headers(page):
        if header.get("rel", "").lower() == "alternate" and header.get("hreflang"):
            found.append((None, "alternate", True, header["uri"], header["hreflang"]))
    return found


def _link_headers(page: Page) -> list[dict[str, str]]:
    """`Link: <uri>; rel="x"; hreflang="y", ...` headers, split into their parameters."""
    parsed = []
    for value in page.input.headers.get("link", []):
        for part in _split_outside_angles(value, ","):
            pieces = _split_outside_angles(part, ";")
            uri = pieces[0].strip()
            if not (uri.startswith("<") and uri.endswith(">")):
                continue
            entry = {"uri": uri[1:-1]}
            for piece in pieces[1:]:
                key, _, val = piece.partition("=")
                entry[key.strip().lower()] = val.strip().strip('"')
            parsed.append(entry)
    return parsed


def _split_outside_angles(value: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in value:
        depth += char == "<"
        depth -= char == ">"
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def canonical(page: Page) -> AuditOutcome:
    """core/audits/seo/canonical.js."""
    urls: list[str] = []
    hreflang_urls: set[str] = set()
    relative = None
    entries = [
        (link, rel, link.attributes.get("href") or "", link.attributes.get("hreflang") or "")
        for link, rel, in_head in page.links()
        if in_head
    ] + [
        (None, h.get("rel", "").lower(), h["uri"], h.get("hreflang", ""))
        for h in _link_headers(page)
    ]
    for link, rel, raw, lang in entries:
        if rel == "canonical":
            if not raw:
                continue
            if not _absolute(raw):
                relative = relative or (link, raw)
            else:
                resolved = resolve(raw, page.url)
                if resolved and resolved not in urls:
                    urls.append(resolved)
        elif rel == "alternate" and raw and lang:
            resolved = resolve(raw, page.url)
            if resolved:
                hreflang_urls.add(resolved)
    if relative is not None:
        return _fail_canonical(page, relative[0], f"the canonical URL {relative[1]!r} is relative")
    if not urls:
        return AuditOutcome(audit="canonical", result="na")
    if len(urls) > 1:
        return _fail_canonical(page, None, f"conflicting canonical URLs: {', '.join(urls)}")
    target = urlsplit(urls[0])
    base = urlsplit(page.url)
    if page.url in hreflang_urls and urls[0] in hreflang_urls and page.url != urls[0]:
        return _fail_canonical(
            page, None, f"the canonical points to another hreflang location ({urls[0]})"
        )
    if (
        (target.scheme, target.netloc) == (base.scheme, base.netloc)
        and (target.path or "/") == "/"
        and (base.path or "/") != "/"
    ):
        return _fail_canonical(page, None, "the canonical points to the site's root")
    return AuditOutcome(audit="canonical", result="pass")


def _absolute(raw: str) -> bool:
    """`new URL(raw)` without a base succeeds: a scheme, and a host for http(s)."""
    parts = urlsplit(raw.strip())
    if not parts.scheme or not parts.scheme[0].isalpha():
        return False
    return parts.scheme not in ("http", "https") or bool(parts.netloc)


def _fail_canonical(page: Page, link: LexborNode | None, message: str) -> AuditOutcome:
    if link is None:
        link = next((lk for lk, rel, head in page.links() if rel == "canonical" and head), None)
    item = AuditItem(
        message=f"Invalid rel=canonical: {message}",
        line=page.line(link) if link is not None else 1,
        snippet=page.snippet(link) if link is not None else "",
    )
    return AuditOutcome(audit="canonical", result="fail", items=[item])


def _blocking(directives: str, now: datetime) -> bool:
    for directive in (d.strip().lower() for d in directives.split(",")):
        if directive in ROBOTS_BLOCKING:
            return True
        name, _, when = directive.partition(":")
        if name == UNAVAILABLE_AFTER and when and (date := _date(when)) and date < now:
            return True
    return False


def _date(text: str) -> datetime | None:
    text = text.strip()
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            value = parse(text)
        except (ValueError, TypeError, IndexError):
            continue
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def is_crawlable(page: Page, now: datetime | None = None) -> AuditOutcome:
    """Blocked only when every bot Lighthouse asks for is blocked, by a robots meta tag
    (its own or `robots`), an X-Robots-Tag header or robots.txt."""
    now = now or datetime.now(UTC)
    robots = Protego.parse(page.input.robots_txt) if page.input.robots_txt else None
    blocked: list[str] = []
    generic: list[AuditItem] = []
    for agent in BOT_USER_AGENTS:
        reasons = []
        meta = page.meta_named(agent.lower()) if agent else None
        meta = meta or page.meta_named("robots")
        if meta is not None and _blocking(meta.attributes.get("content") or "", now):
            reasons.append(
                AuditItem(
                    message="The robots meta tag blocks indexing "
                    f"({meta.attributes.get('content')})",
                    line=page.line(meta),
                    snippet=page.snippet(meta),
                )
            )
        for value in page.input.headers.get("x-robots-tag", []):
            prefix, sep, rest = value.partition(":")
            named = prefix.strip() if sep and "," not in prefix else None
            if named is not None and named.lower() == UNAVAILABLE_AFTER:
                named = None
            if named is not None and named != agent:
                continue
            directives = rest if named is not None else value
            if _blocking(directives, now):
                reasons.append(AuditItem(message=f"X-Robots-Tag: {value} blocks indexing"))
        if robots is not None and not robots.can_fetch(page.url, agent or "*"):
            reasons.append(AuditItem(message="robots.txt disallows this page"))
        if reasons:
            blocked.append(agent or "*")
        if agent is None:
            generic = reasons
    if len(blocked) == len(BOT_USER_AGENTS):
        return AuditOutcome(audit="is-crawlable", result="fail", items=generic)
    return AuditOutcome(audit="is-crawlable", result="pass")


def robots_txt_errors(content: str) -> list[AuditItem]:
    """core/audits/seo/robots-txt.js `validateRobots`: one item per bad line."""
    errors = []
    in_group = False
    for number, raw in enumerate(content.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        problem = None
        if not colon:
            problem = "Syntax not understood"
        elif name not in ROBOTS_DIRECTIVES:
            problem = "Unknown directive"
        elif name == "sitemap":
            parts = urlsplit(value)
            if not parts.scheme or not _absolute(value):
                problem = "Invalid sitemap URL"
            elif parts.scheme.lower() not in SITEMAP_SCHEMES:
                problem = "Invalid sitemap URL protocol"
        elif name == "user-agent" and not value:
            problem = "No user-agent specified"
        elif name in ("allow", "disallow"):
            if value and value[0] not in "/*":
                problem = 'Pattern should either be empty, start with "/" or "*"'
            elif "$" in value and value.index("$") != len(value) - 1:
                problem = '"$" should only be used at the end of the pattern'
        if problem:
            errors.append(AuditItem(message=f"robots.txt: {problem}", line=number, snippet=raw))
            continue
        if name == "user-agent":
            in_group = True
        elif not in_group and name in ("allow", "disallow"):
            errors.append(
                AuditItem(message="robots.txt: No user-agent specified", line=number, snippet=raw)
            )
    return errors


def robots_txt(page: Page) -> AuditOutcome:
    status = page.input.robots_status
    if status is None:
        item = AuditItem(message="robots.txt could not be downloaded")
        return AuditOutcome(audit="robots-txt", result="fail", items=[item])
    if status >= 500:
        item = AuditItem(message=f"robots.txt answered HTTP {status}")
        return AuditOutcome(audit="robots-txt", result="fail", items=[item])
    if status >= 400 or not page.input.robots_txt:
        return AuditOutcome(audit="robots-txt", result="na")
    return _outcome("robots-txt", robots_txt_errors(page.input.robots_txt))


def structured_data(page: Page) -> AuditOutcome:
    """Every `<script type="application/ld+json">` parses and has `@context` and `@type`."""
    items = []
    blocks = [
        s
        for s in page.tree.css("script")
        if (s.attributes.get("type") or "").strip().lower() == "application/ld+json"
    ]
    for script in blocks:
        text = script.text(deep=True)
        try:
            data = json.loads(text)
        except ValueError as err:
            items.append(
                AuditItem(
                    message=f"JSON-LD does not parse: {err}",
                    line=page.line(script),
                    snippet=collapse(text)[:SNIPPET_CHARS],
                )
            )
            continue
        for problem in _jsonld_problems(data):
            items.append(
                AuditItem(
                    message=f"JSON-LD: {problem}",
                    line=page.line(script),
                    snippet=collapse(text)[:SNIPPET_CHARS],
                )
            )
    if not blocks:
        return AuditOutcome(audit="structured-data", result="na")
    return _outcome("structured-data", items)


def _jsonld_problems(data: object) -> list[str]:
    nodes = data if isinstance(data, list) else [data]
    problems = []
    for node in nodes:
        if not isinstance(node, dict):
            problems.append("a top-level value is not an object")
            continue
        if "@context" not in node:
            problems.append("an object has no @context")
        graph = node.get("@graph")
        members = graph if isinstance(graph, list) else [node]
        if not all(isinstance(m, dict) and "@type" in m for m in members):
            problems.append("an object has no @type")
    return problems


def image_alt(page: Page) -> AuditOutcome:
    """axe `image-alt`: each shown `<img>` has an alt (not only spaces), an aria-label,
    an aria-labelledby naming text, a title, or a presentational role."""
    images = [i for i in page.tree.css("img") if not _hidden(i)]
    if not images:
        return AuditOutcome(audit="image-alt", result="na")
    items = []
    for image in images:
        attrs = image.attributes
        alt = _attr(image, "alt")
        if alt is not None and alt and not alt.strip():
            reason = "its alt text is only spaces"
        elif (
            alt is not None
            or (attrs.get("aria-label") or "").strip()
            or _labelled_by(page, attrs.get("aria-labelledby") or "")
            or (attrs.get("title") or "").strip()
            or (attrs.get("role") or "").strip().lower() in PRESENTATIONAL
        ):
            continue
        else:
            reason = "it has no alt attribute"
        items.append(
            AuditItem(
                message=f"An image has no text alternative: {reason}",
                line=page.line(image),
                snippet=page.snippet(image),
            )
        )
    return _outcome("image-alt", items)


def _hidden(node: LexborNode) -> bool:
    """Hidden for everyone as far as the HTML says: `hidden`, inline display:none or
    visibility:hidden, or aria-hidden on the element or an ancestor."""
    current: LexborNode | None = node
    while current is not None and current.tag not in ("html", "-document"):
        attrs = current.attributes
        style = "".join((attrs.get("style") or "").lower().split())
        if (
            "hidden" in attrs
            or (attrs.get("aria-hidden") or "").strip().lower() == "true"
            or "display:none" in style
            or (current is node and "visibility:hidden" in style)
        ):
            return True
        current = current.parent
    return False


def _labelled_by(page: Page, ids: str) -> bool:
    for ident in ids.split():
        target = page.tree.css_first(f'[id="{ident}"]') if '"' not in ident else None
        if target is not None and collapse(target.text(deep=True)):
            return True
    return False


def _outcome(audit: str, items: list[AuditItem]) -> AuditOutcome:
    return AuditOutcome(audit=audit, result="fail" if items else "pass", items=items)


# --------------------------------------------------------------------------- facts


MAIN_CONTENT = ("main", "[role=main]", "article", "div.body", "div.md-content", "div.rst-content")
NOT_CONTENT = ("script", "style", "nav", "header", "footer", "noscript", "template", "pre")


def page_facts(page: Page) -> PageFacts:
    title_node = _document_title(page)
    meta = page.meta_named("description")
    headings = [
        Heading(level=int(h.tag[1]), text=collapse(h.text(deep=True)), line=page.line(h))
        for h in page.tree.css("h1, h2, h3, h4, h5, h6")
    ]
    links = []
    for anchor in page.tree.css("a"):
        href = anchor.attributes.get("href")
        if href and not href.strip().lower().startswith(("javascript:", "mailto:", "tel:")):
            resolved = resolve(href.strip(), page.url)
            if resolved:
                links.append((resolved, page.line(anchor)))
    ids = [n.attributes.get("id") or "" for n in page.tree.css("[id]")]
    ids += [n.attributes.get("name") or "" for n in page.tree.css("a[name]")]
    text, first = _main_text(page)
    robots = page.meta_named("robots")
    return PageFacts(
        title=collapse(title_node.text(deep=True)) if title_node is not None else "",
        title_line=page.line(title_node) if title_node is not None else 0,
        description=None if meta is None else collapse(meta.attributes.get("content") or ""),
        description_line=page.line(meta) if meta is not None else 0,
        headings=headings,
        links=links,
        ids=[i for i in ids if i],
        text=text,
        first_paragraph=first,
        canonical=next(
            (
                resolve(link.attributes.get("href") or "", page.url)
                for link, rel, head in page.links()
                if rel == "canonical" and head and link.attributes.get("href")
            ),
            None,
        ),
        noindex=robots is not None
        and _blocking(robots.attributes.get("content") or "", datetime.now(UTC)),
    )


def _main_text(page: Page) -> tuple[str, str]:
    """The main content's prose (code, navigation and scripts left out) and its first
    paragraph of at least a few words."""
    root = None
    for selector in MAIN_CONTENT:
        root = page.tree.css_first(selector)
        if root is not None:
            break
    root = root or page.tree.body
    if root is None:
        return "", ""
    clone = LexborHTMLParser(root.html or "")
    for selector in NOT_CONTENT:
        for node in clone.css(selector):
            node.decompose()
    paragraphs = [collapse(p.text(deep=True)) for p in clone.css("p")]
    first = next((p for p in paragraphs if len(p.split()) >= 5), "")
    body = clone.body
    blocks = [collapse(n.text(deep=True)) for n in clone.css("p, li, dd, td, h1, h2, h3, h4")]
    text = "\n".join(b for b in blocks if b) or (collapse(body.text(deep=True)) if body else "")
    return text, first


CHECKS = {
    "document-title": document_title,
    "meta-description": meta_description,
    "viewport": viewport,
    "http-status-code": http_status_code,
    "crawlable-anchors": crawlable_anchors,
    "link-text": link_text,
    "hreflang": hreflang,
    "canonical": canonical,
    "is-crawlable": is_crawlable,
    "robots-txt": robots_txt,
    "structured-data": structured_data,
    "image-alt": image_alt,
}


def check_page(page_input: PageInput) -> PageCheck:
    """Every per-page audit of the page, and the facts the site-level checks use."""
    page = Page(page_input)
    return PageCheck(audits=[CHECKS[audit](page) for audit in PAGE_AUDITS], facts=page_facts(page))
