"""Fix mode: drafts of missing titles and meta descriptions, written as a unified diff.

A draft comes from Haiku when a key is set, otherwise from the page itself: the
description from its first paragraph, the title from its first heading. Every inserted
line carries a comment saying it is a draft and where it came from, so nothing reaches
a published site unreviewed. Where the text goes depends on the site:

- plain HTML: a `<title>` or `<meta name="description">` in the page's `<head>`, at
  positions the HTML tokenizer reports (no regex edits);
- Sphinx: a `.. meta::` directive at the top of the page's reST source;
- MkDocs: `title:`/`description:` in the page's Markdown front matter (themes such as
  Material read them); the home page's description is `site_description` in mkdocs.yml,
  the only description MkDocs' built-in themes print.

A page whose source cannot take the fix (a generated page, a Sphinx title) keeps its
draft in the report only.
"""

from __future__ import annotations

import difflib
import html
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

from pydantic import BaseModel

TITLE_MAX = 60
DESCRIPTION_MAX = 155


class DraftNeed(BaseModel):
    """A page that lacks a title or a meta description, with what a draft can use."""

    page: str
    url: str
    file: str
    html_path: str = ""
    needs_title: bool = False
    needs_description: bool = False
    title: str = ""
    heading: str = ""
    first_paragraph: str = ""


class Draft(BaseModel):
    page: str
    file: str
    field: str
    text: str
    source: str
    """haiku, first-paragraph or first-heading"""
    written: bool = False
    note: str = ""


def shorten(text: str, limit: int) -> str:
    """Whole sentences up to `limit` characters, else whole words and an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    taken = ""
    for sentence in _sentences(text):
        candidate = f"{taken} {sentence}".strip()
        if len(candidate) > limit:
            break
        taken = candidate
    if taken:
        return taken
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for i, char in enumerate(text):
        if char in ".!?" and (i + 1 == len(text) or text[i + 1] == " "):
            out.append(text[start : i + 1].strip())
            start = i + 1
    if start < len(text):
        out.append(text[start:].strip())
    return out


def offline_drafts(need: DraftNeed) -> list[Draft]:
    drafts = []
    if need.needs_description and need.first_paragraph:
        drafts.append(
            Draft(
                page=need.page,
                file=need.file,
                field="description",
                text=shorten(need.first_paragraph, DESCRIPTION_MAX),
                source="first-paragraph",
            )
        )
    if need.needs_title and need.heading:
        drafts.append(
            Draft(
                page=need.page,
                file=need.file,
                field="title",
                text=shorten(need.heading, TITLE_MAX),
                source="first-heading",
            )
        )
    return drafts


class _HeadPositions(HTMLParser):
    """Offsets in the source of `<head>`'s end, `<title>...</title>` and the meta
    description tag, from the tokenizer."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self._starts = [0]
        for line in text.splitlines(keepends=True):
            self._starts.append(self._starts[-1] + len(line))
        self.head_end: int | None = None
        self.title: tuple[int, int] | None = None
        self._title_open: int | None = None
        self.meta: tuple[int, int] | None = None
        self.feed(text)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        names = {k: (v or "") for k, v in attrs}
        if tag == "head" and self.head_end is None:
            self.head_end = end
        elif tag == "title" and self.title is None and self._title_open is None:
            self._title_open = end
        elif tag == "meta" and names.get("name", "").lower() == "description" and self.meta is None:
            self.meta = (start, end)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title_open is not None and self.title is None:
            self.title = (self._title_open, self._offset())


def _mark(source: str) -> str:
    return f"<!-- attune draft ({source}): review before publishing -->"


def patch_html(text: str, drafts: list[Draft]) -> tuple[str, list[Draft]]:
    """The page with the drafts in its `<head>`; drafts that found no place are returned."""
    edits: list[tuple[int, int, str]] = []
    left = []
    positions = _HeadPositions(text)
    for draft in drafts:
        if draft.field == "title":
            if positions.title is not None:
                start, end = positions.title
                edits.append((start, end, html.escape(draft.text, quote=False)))
            elif positions.head_end is not None:
                at = positions.head_end
                title = html.escape(draft.text, quote=False)
                insert = f"\n{_mark(draft.source)}\n<title>{title}</title>"
                edits.append((at, at, insert))
            else:
                left.append(draft)
                continue
        else:
            tag = f'<meta name="description" content="{html.escape(draft.text, quote=True)}">'
            if positions.meta is not None:
                start, end = positions.meta
                edits.append((start, end, f"{_mark(draft.source)}\n{tag}"))
            elif positions.head_end is not None:
                at = positions.title[1] + len("</title>") if positions.title else positions.head_end
                edits.append((at, at, f"\n{_mark(draft.source)}\n{tag}"))
            else:
                left.append(draft)
                continue
        draft.written = True
    for start, end, insert in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + insert + text[end:]
    return text, left


def patch_rst(text: str, drafts: list[Draft]) -> tuple[str, list[Draft]]:
    """A `.. meta::` directive at the top of a reST page (Sphinx writes it into <head>)."""
    left = [d for d in drafts if d.field != "description"]
    for draft in left:
        draft.note = "Sphinx takes the title from the page's first heading: edit it by hand"
    descriptions = [d for d in drafts if d.field == "description"]
    if not descriptions:
        return text, left
    draft = descriptions[0]
    block = (
        f".. attune draft ({draft.source}): review before publishing\n\n"
        f".. meta::\n   :description: {draft.text}\n\n"
    )
    draft.written = True
    lines = text.splitlines(keepends=True)
    at = _after_file_metadata(lines)
    return "".join(lines[:at]) + block + "".join(lines[at:]), left


def _after_file_metadata(lines: list[str]) -> int:
    """The line after a page's file-wide metadata (`:orphan:`, `:tocdepth: 2` ...), a
    field list Sphinx reads only as the very first thing in the file."""
    at = 0
    while at < len(lines) and lines[at].startswith(":") and lines[at].count(":") >= 2:
        at += 1
        while at < len(lines) and lines[at].startswith((" ", "\t")) and lines[at].strip():
            at += 1
    if at and at < len(lines) and not lines[at].strip():
        at += 1
    return at


def patch_markdown(text: str, drafts: list[Draft]) -> tuple[str, list[Draft]]:
    """`title:` and `description:` in the page's YAML front matter (MkDocs reads both)."""
    lines = [
        f"{d.field}: {_yaml_string(d.text)}"
        f"  # attune draft ({d.source}): review before publishing\n"
        for d in drafts
    ]
    for draft in drafts:
        draft.written = True
    if text.startswith("---\n"):
        return "---\n" + "".join(lines) + text[len("---\n") :], []
    return "---\n" + "".join(lines) + "---\n\n" + text, []


def patch_mkdocs_config(text: str, draft: Draft) -> str:
    """`site_description:` added to mkdocs.yml (its value was unset: the theme printed None)."""
    line = (
        f"site_description: {_yaml_string(draft.text)}"
        f"  # attune draft ({draft.source}): review before publishing\n"
    )
    draft.written = True
    return text + ("" if text.endswith("\n") or not text else "\n") + line


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_patch(
    kind: str, target: Path, site_root: Path, drafts: list[Draft], needs: dict[str, DraftNeed]
) -> tuple[str, int]:
    """The unified diff (paths relative to `target`, git's a/ b/ form) and the number of
    files it changes. Drafts it could not place keep `written=False` and a note."""
    by_file: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        if kind == "mkdocs" and draft.page == "index.html" and draft.field == "description":
            config = next(
                (n for n in ("mkdocs.yml", "mkdocs.yaml") if (target / n).is_file()), None
            )
            if config is not None:
                draft.file = config
        by_file[draft.file].append(draft)
    chunks: list[str] = []
    for file, group in sorted(by_file.items()):
        path = target / file
        if not path.is_file() or not path.resolve().is_relative_to(target.resolve()):
            for draft in group:
                draft.note = "the page has no source file in the target: the draft is in the report"
            continue
        before = path.read_text(encoding="utf-8", errors="surrogateescape")
        if file.endswith((".html", ".htm")):
            after, left = patch_html(before, group)
            for draft in left:
                draft.note = "the page has no <head> tag to put it in"
        elif file.endswith(".rst") and kind == "sphinx":
            after, left = patch_rst(before, group)
        elif file in ("mkdocs.yml", "mkdocs.yaml"):
            after, left = before, []
            for draft in group:
                after = patch_mkdocs_config(after, draft)
        elif file.endswith(".md") and kind == "mkdocs":
            after, left = patch_markdown(before, group)
        else:
            for draft in group:
                draft.note = (
                    f"attune does not edit {Path(file).suffix} sources: the draft is in the report"
                )
            continue
        if after == before:
            continue
        diff = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{file}",
            tofile=f"b/{file}",
        )
        chunks.append("".join(_terminated(diff)))
    return "".join(f"diff --git a/{_name(c)} b/{_name(c)}\n{c}" for c in chunks), len(chunks)


def _terminated(lines) -> list[str]:
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def _name(chunk: str) -> str:
    return chunk.split("\n", 1)[0].removeprefix("--- a/")


def prompt_text(needs: list[DraftNeed]) -> tuple[str, str]:
    """(system, user) of a drafting task for Haiku."""
    system = (
        "You write search-result text for pages of a documentation site. For each page, "
        f"draft what it lacks: a <title> of at most {TITLE_MAX} characters and/or a meta "
        f"description of at most {DESCRIPTION_MAX} characters. Use only facts in the page "
        "text given; plain, specific words; no marketing language, no quotes. Leave a field "
        "null when the page text does not say enough to write it."
    )
    parts = []
    for need in needs:
        wanted = [
            n
            for n, on in (("title", need.needs_title), ("description", need.needs_description))
            if on
        ]
        parts.append(
            f"page: {need.page}\nurl path: {need.url}\nneeds: {', '.join(wanted)}\n"
            f"current title: {need.title or '(none)'}\nfirst heading: {need.heading or '(none)'}\n"
            f"first paragraph: {need.first_paragraph[:800] or '(none)'}\n"
        )
    return system, "\n".join(parts)
