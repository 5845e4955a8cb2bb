"""Reading research-synthesis sources into sentences that know where they come from.

Every reader returns `Document`s: a name (the citation's left part: a path relative to
the target, `git:<sha>`, `issues.json#12`, `paper.pdf#page=3`, a URL) and its sentences,
each with the line it starts on in that document. A citation is `name:line`.

Markup is removed line by line, so line numbers stay those of the file: Markdown
list markers, emphasis, links and fenced code; reST directives and literal blocks;
headings and section titles name topics and claim nothing, so they are not sentences
(an issue's title and a commit's subject are); HTML through selectolax (paragraphs, list
items, cells, definitions, quotes), whose text blocks are located
back in the raw file by their first words (a block whose words cannot be found keeps the
line of the block before it: entities and tags inside the first words hide them).
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, Field

DOC_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "text",
                ".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "issues"}  # fmt: skip
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "_build", "build"}
MAX_FILE_BYTES = 5_000_000
MAX_SENTENCE_CHARS = 600
GIT_LOG_LIMIT = 500
CHANGELOG_NAMES = ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "RELEASE_NOTES")

# fmt: off
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "vs", "cf", "al", "mr", "mrs", "ms", "dr", "prof", "st", "no", "fig",
    "eq", "approx", "dept", "inc", "ltd", "jr", "sr"
})
# fmt: on
SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[`*_]*[A-Z0-9])|[.!?]+[\"')\]]*$")


class Sentence(BaseModel):
    text: str
    doc: str = Field(description="The document the citation names")
    line: int = Field(ge=1, description="The line the sentence starts on")
    source: str = Field(description="The source (as given) it was read from")

    @property
    def citation(self) -> str:
        return f"{self.doc}:{self.line}"


class Document(BaseModel):
    name: str
    source: str
    kind: str
    sentences: list[Sentence]


class SourceProblem(Exception):
    """A source that cannot be read: reported as a warning, the run goes on."""


# --------------------------------------------------------------------------- sentences


def split_sentences(lines: Iterable[tuple[int, str | None]]) -> Iterator[tuple[int, str]]:
    """Sentences with their first line, from (line number, cleaned text) pairs; None or an
    empty text ends a paragraph, and no sentence runs across paragraphs."""
    paragraph: list[tuple[int, str]] = []
    for number, text in [*lines, (0, None)]:
        if text and text.strip():
            paragraph.append((number, text.strip()))
            continue
        yield from _paragraph_sentences(paragraph)
        paragraph = []


def _paragraph_sentences(paragraph: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    if not paragraph:
        return
    text, starts = "", []
    for number, line in paragraph:
        starts.append((len(text), number))
        text += line + " "
    begin = 0
    for match in SENTENCE_END.finditer(text):
        end = match.end()
        words = text[begin : match.start()].split()
        last = words[-1].lower().rstrip(".") if words else ""
        if last in ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        yield from _emit(text, begin, end, starts)
        begin = end
    yield from _emit(text, begin, len(text), starts)


def _emit(
    text: str, begin: int, end: int, starts: list[tuple[int, int]]
) -> Iterator[tuple[int, str]]:
    chunk = text[begin:end]
    stripped = " ".join(chunk.split())
    if not any(c.isalnum() for c in stripped):
        return
    offset = begin + (len(chunk) - len(chunk.lstrip()))
    line = next(number for start, number in reversed(starts) if start <= offset)
    yield line, stripped[:MAX_SENTENCE_CHARS]


# --------------------------------------------------------------------------- markup

MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+)")
MD_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)")
RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")
RST_ROLE = re.compile(r":[\w:-]+:`([^`<]*?)(?:\s*<[^>]*>)?`")
RST_LINK = re.compile(r"`([^`<]+?)\s*<[^>]*>`_+")
HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|code|del|details|div|em|i|img|ins|kbd|mark|p|s|small|span|strong|sub|"
    r"summary|sup|u)\b[^<>]*/?>",
    re.IGNORECASE,
)
"""Inline HTML inside Markdown; a placeholder such as `<id>` is text and stays."""
MD_RULE = re.compile(r"^\s{0,3}([-*_=])(\s*\1){2,}\s*$")


def markdown_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """Prose lines of Markdown; code fences, tables and HTML comments become breaks."""
    fence = None
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        following = lines[number] if number < len(lines) else ""
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            yield number, None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            yield number, None
            continue
        block = stripped.startswith(("|", "<!--")) or HTML_TAG.match(stripped) is not None
        if block or raw.startswith("    ") or MD_RULE.match(raw):
            yield number, None  # a table, HTML, indented code, a rule or an underline
            continue
        if stripped and re.match(r"^\s{0,3}(=+|-+)\s*$", following):
            yield number, None  # a setext heading
            continue
        heading = bool(re.match(r"^\s{0,3}#{1,6}\s", raw))
        line = MD_PREFIX.sub("", raw)
        line = MD_EMPHASIS.sub("", MD_LINK.sub(r"\1", line))
        line = HTML_TAG.sub("", line)
        if heading:  # a heading names a topic, it claims nothing: not a sentence
            yield number, None
        elif MD_PREFIX.match(raw):  # a list item starts a new sentence
            yield number, None
            yield number, line
        else:
            yield number, line


def rst_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """Prose lines of reStructuredText; directives and literal blocks become breaks."""
    lines = text.splitlines()
    literal_indent: int | None = None
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                yield number, None
                continue
            literal_indent = None
        following = lines[number] if number < len(lines) else ""
        if RST_UNDERLINE.match(stripped) or stripped.startswith(".."):
            if stripped.startswith(".."):
                literal_indent = indent
            yield number, None
            continue
        if stripped and RST_UNDERLINE.match(following.strip()):
            yield number, None  # a section title: not a sentence
            continue
        line = RST_LINK.sub(r"\1", RST_ROLE.sub(r"\1", raw))
        line = line.replace("``", "").replace("**", "").replace("*", "")
        line = re.sub(r"^\s*([-*+]|\d+\.|#\.)\s+", "", line)
        if stripped.endswith("::"):
            line = line.rstrip(":") + ":"
            literal_indent = indent
        if re.match(r"^\s*([-*+]|\d+\.|#\.)\s+", raw):
            yield number, None
        yield number, line


def text_lines(text: str) -> Iterator[tuple[int, str | None]]:
    return ((number, line) for number, line in enumerate(text.splitlines(), 1))


HTML_BLOCKS = "p, li, td, th, dt, dd, blockquote, pre, figcaption"


def html_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """The innermost text blocks of a page (selectolax), each at the line where its first
    words appear in the raw HTML; scripts, styles and navigation are left out."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    for node in tree.css("script, style, nav, noscript, template"):
        node.decompose()
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    position, line = 0, 1
    for node in tree.css(HTML_BLOCKS):
        if len(node.css(HTML_BLOCKS)) > 1 and node.tag != "pre":
            continue  # an outer block (lexbor's css() includes the node): inner ones carry the text
        block = " ".join(node.text(deep=True).split())
        if not block or node.tag == "pre":
            continue
        head = re.escape(" ".join(block.split()[:3])).replace(r"\ ", r"\s+(?:<[^>]+>\s*)*")
        found = re.compile(head).search(text, position)
        if found is not None:
            position = found.start()
            line = _line_of(line_starts, position)
        yield line, None
        label = node.tag in ("th", "dt") and not block.endswith((".", "?", "!", ":"))
        yield line, block + ("." if label else "")
        yield line, None


def _line_of(line_starts: list[int], offset: int) -> int:
    low, high = 0, len(line_starts)
    while low + 1 < high:
        middle = (low + high) // 2
        if line_starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low + 1


LINE_READERS = {
    "markdown": markdown_lines,
    "rst": rst_lines,
    "text": text_lines,
    "html": html_lines,
}


def read_text(name: str, source: str, kind: str, text: str) -> Document:
    """A document of any line-based kind (markdown, rst, text, html)."""
    sentences = [
        Sentence(text=sentence, doc=name, line=line, source=source)
        for line, sentence in split_sentences(LINE_READERS[kind](text))
    ]
    return Document(name=name, source=source, kind=kind, sentences=sentences)


def read_pdf(name: str, source: str, path: Path) -> list[Document]:
    """One document per page (`file.pdf#page=N`), lines counted within the page's text."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, OSError) as err:
        raise SourceProblem(f"{name}: not a readable PDF ({err})") from err
    return [
        read_text(f"{name}#page={number}", source, "text", text)
        for number, text in enumerate(pages, 1)
        if text.strip()
    ]


def read_issues(name: str, source: str, data: object) -> list[Document]:
    """GitHub's issue export: one issue object or a list of them (`number`, `title`,
    `body`, and `comments` as a list of objects with a `body`). Each issue is a document
    `name#N`, its title on line 1 and its body from line 2; comment K is `name#N/cK`."""
    issues = data if isinstance(data, list) else [data]
    documents = []
    for issue in issues:
        if not isinstance(issue, dict) or "number" not in issue:
            raise SourceProblem(f"{name}: not an issue export (objects with a `number`)")
        doc = f"{name}#{issue['number']}"
        title = str(issue.get("title") or "").strip()
        text = (title + ("" if title.endswith((".", "?", "!")) else ".")) + "\n"
        text += str(issue.get("body") or "")
        documents.append(read_text(doc, source, "markdown", text))
        comments = issue.get("comments")
        for number, comment in enumerate(comments if isinstance(comments, list) else [], 1):
            if isinstance(comment, dict) and comment.get("body"):
                documents.append(
                    read_text(f"{doc}/c{number}", source, "markdown", str(comment["body"]))
                )
    return documents


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_file(root: Path, path: Path, source: str) -> list[Document]:
    """One file, by its suffix; the name is its path relative to `root`."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    kind = DOC_SUFFIXES.get(path.suffix.lower(), "text")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SourceProblem(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    if kind == "pdf":
        return read_pdf(name, source, path)
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        raise SourceProblem(f"{name}: a binary file")
    text = _decode(data)
    if kind == "issues":
        try:
            return read_issues(name, source, json.loads(text))
        except ValueError as err:
            raise SourceProblem(f"{name}: not valid JSON ({err})") from err
    return [read_text(name, source, kind, text)]


def documents_under(root: Path, folder: Path) -> list[Path]:
    """Readable documents below `folder`, sorted, without VCS, venv and build folders."""
    found = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        if path.is_file() and path.suffix.lower() in DOC_SUFFIXES and path.suffix != ".json":
            found.append(path)
    return found


def repo_docs(root: Path) -> list[Path]:
    """The repository's docs: README files at its top and everything under docs/ or doc/."""
    top = [p for p in sorted(root.iterdir()) if p.is_file() and p.name.upper().startswith("README")]
    folders = [root / name for name in ("docs", "doc") if (root / name).is_dir()]
    return top + [path for folder in folders for path in documents_under(root, folder)]


def changelogs(root: Path) -> list[Path]:
    return [
        path
        for path in sorted(root.iterdir())
        if path.is_file() and path.stem.upper().replace("-", "_") in CHANGELOG_NAMES
    ]


def git_log(root: Path, source: str, limit: int = GIT_LOG_LIMIT) -> list[Document]:
    """Each commit message is a document `git:<sha12>`: its subject on line 1."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", f"-n{limit}", "--no-merges", "--format=%H%x00%B%x1e"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (subprocess.CalledProcessError, OSError) as err:
        raise SourceProblem(f"git log: not a git repository with commits ({root})") from err
    documents = []
    for record in out.split("\x1e"):
        sha, _, message = record.strip().partition("\0")
        if not sha:
            continue
        subject, _, body = message.partition("\n")
        subject = subject.strip()
        text = subject + ("" if subject.endswith((".", "?", "!")) else ".") + "\n" + body
        documents.append(read_text(f"git:{sha[:12]}", source, "markdown", text))
    return documents


def fetch_url(url: str, timeout_s: float) -> Document:
    """A page or text file over HTTP(S); anything that goes wrong is a SourceProblem."""
    request = urllib.request.Request(url, headers={"User-Agent": "attune-research-synthesis"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data = response.read(MAX_FILE_BYTES + 1)
            content_type = response.headers.get_content_type()
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise SourceProblem(f"{url}: unreachable ({err})") from err
    if len(data) > MAX_FILE_BYTES:
        raise SourceProblem(f"{url}: larger than {MAX_FILE_BYTES} bytes")
    kind = "html" if "html" in content_type else "markdown" if url.endswith(".md") else "text"
    return read_text(url, url, kind, _decode(data))


REPO_SOURCES = ("repo:docs", "repo:changelog", "repo:git-log")


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def resolve_path(root: Path, source: str) -> Path:
    """A path source inside the target, or ValueError in one line."""
    path = (root / source).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"source {source!r} is outside the target {root}")
    if not path.exists():
        raise ValueError(f"source {source!r} does not exist under {root}")
    return path


def read_source(
    root: Path, source: str, timeout_s: float
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every document of one source, as given on the command line, and the files of it
    that could not be read (path, reason). A source with nothing readable raises."""
    if is_url(source):
        return [fetch_url(source, timeout_s)], []
    if source == "repo:git-log":
        return git_log(root, source), []
    if source in ("repo:docs", "repo:changelog"):
        paths = repo_docs(root) if source == "repo:docs" else changelogs(root)
        if not paths:
            raise SourceProblem(f"{source}: none found in {root}")
    else:
        try:
            path = resolve_path(root, source)
        except ValueError as err:
            raise SourceProblem(str(err)) from err
        paths = documents_under(root, path) if path.is_dir() else [path]
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        try:
            documents += read_file(root, path, source)
        except (SourceProblem, OSError) as err:
            if len(paths) == 1:
                raise SourceProblem(str(err)) from err
            skipped.append((path.relative_to(root).as_posix(), str(err)))
    return documents, skipped
