"""research-synthesis: the source readers, the offline engine, the routing policy and the
citation check on small real texts (a PDF made with fpdf2, a git repository and an issue
export made by the test, a page served on loopback), then the flow end to end on the real
dev server, offline and with the fake Messages API, and through the CLI."""

from __future__ import annotations

import json
import re
import socket
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from activities.research_synthesis.engine import (
    analyse,
    contradictions,
    lexrank_baseline,
    retrieve,
    shared_claims,
    summarize,
)
from activities.research_synthesis.llm import SentenceIndex, check_answer
from activities.research_synthesis.sources import (
    Sentence,
    SourceProblem,
    git_log,
    read_file,
    read_issues,
    read_source,
    read_text,
    split_sentences,
)
from activities.research_synthesis.validate import check_request
from starter import runner
from tests.fake_anthropic import FakeAnthropic
from tests.test_bug_predict import GitRepo
from tests.test_cli import attune
from tests.test_mcp import call, mcp_session, poll, refused
from worker import running_worker
from workflows.registry import registry
from workflows.research_synthesis.models import ResearchSynthesisRequest
from workflows.tiers import complex_question, start_tier
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["research-synthesis"]

GUIDE_MD = textwrap.dedent(
    """\
    # Retries

    The worker retries a failed activity five times.
    Each retry waits longer than the one before, e.g. two seconds and then four.

    ```python
    retry = RetryPolicy(maximum_attempts=5)
    ```

    - A [heartbeat](https://example.org/hb) tells the server the activity is alive.
    - Timeouts are set per activity.
    """
)
NOTES_RST = textwrap.dedent(
    """\
    Operations
    ==========

    The worker does not retry a failed activity on its own.
    The server keeps the history of every workflow for 30 days.

    .. code-block:: python

       print("not prose")

    Use ``attune worker`` to start it::

        attune worker --queue attune

    A heartbeat tells the server the activity is alive.
    """
)
PAGE_HTML = textwrap.dedent(
    """\
    <html><head><title>Operations</title><script>var x = "not prose.";</script></head>
    <body>
    <nav><a href="/">Home</a></nav>
    <h1>Retention</h1>
    <p>The server keeps the history of every workflow
    for 90 days.</p>
    <ul><li>Archival moves old histories to <b>cheap storage</b>.</li></ul>
    </body></html>
    """
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def cited(documents: list[Any]) -> dict[str, str]:
    return {s.citation: s.text for d in documents for s in d.sentences}


# --------------------------------------------------------------------------- readers


def test_sentences_keep_their_first_line_across_wrapped_lines_and_abbreviations() -> None:
    lines = [(1, "Retries wait longer, e.g. two"), (2, "seconds. Then four!"), (3, None),
             (4, "Dr. Ada wrote it. 3.12 is the version.")]  # fmt: skip
    assert list(split_sentences(lines)) == [
        (1, "Retries wait longer, e.g. two seconds."),
        (2, "Then four!"),
        (4, "Dr. Ada wrote it."),
        (4, "3.12 is the version."),
    ]


def test_markdown_drops_headings_code_and_markup_and_keeps_file_lines() -> None:
    doc = read_text("guide.md", "docs", "markdown", GUIDE_MD)
    assert [(s.line, s.text) for s in doc.sentences] == [
        (3, "The worker retries a failed activity five times."),
        (4, "Each retry waits longer than the one before, e.g. two seconds and then four."),
        (10, "A heartbeat tells the server the activity is alive."),
        (11, "Timeouts are set per activity."),
    ]
    assert doc.sentences[0].citation == "guide.md:3"


def test_markdown_setext_headings_rules_html_and_placeholders() -> None:
    text = textwrap.dedent(
        """\
        Title
        =====

        Reports go to runs/<id>/report.md when <b>done</b>.

        ---

        Subtitle
        --------
        The end is near.
        <div align="center"><img src="logo.png"></div>
        """
    )
    doc = read_text("a.md", "a", "markdown", text)
    assert [(s.line, s.text) for s in doc.sentences] == [
        (4, "Reports go to runs/<id>/report.md when done."),
        (10, "The end is near."),
    ]


def test_rst_drops_titles_directives_and_literal_blocks() -> None:
    doc = read_text("notes.rst", "notes", "rst", NOTES_RST)
    texts = [(s.line, s.text) for s in doc.sentences]
    assert texts == [
        (4, "The worker does not retry a failed activity on its own."),
        (5, "The server keeps the history of every workflow for 30 days."),
        (11, "Use attune worker to start it:"),
        (15, "A heartbeat tells the server the activity is alive."),
    ]


def test_html_blocks_are_located_on_their_raw_lines_without_scripts_or_navigation() -> None:
    doc = read_text("ops.html", "ops.html", "html", PAGE_HTML)
    assert [(s.line, s.text) for s in doc.sentences] == [
        (5, "The server keeps the history of every workflow for 90 days."),
        (7, "Archival moves old histories to cheap storage."),
    ]


def test_pdf_pages_are_documents_of_their_own(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in ("The first page talks about retries.", "Heartbeats keep activities alive."):
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(tmp_path / "paper.pdf"))
    documents = read_file(tmp_path, tmp_path / "paper.pdf", "paper.pdf")
    assert cited(documents) == {
        "paper.pdf#page=1:1": "The first page talks about retries.",
        "paper.pdf#page=2:1": "Heartbeats keep activities alive.",
    }
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(SourceProblem, match="not a readable PDF"):
        read_file(tmp_path, tmp_path / "broken.pdf", "broken.pdf")


def test_issue_export_cites_issue_title_body_and_comments() -> None:
    export = [
        {
            "number": 12,
            "title": "Retries never stop",
            "body": "Steps to reproduce.\n\nThe worker retries a failed activity forever.",
            "comments": [{"body": "Confirmed on 1.2.", "user": {"login": "ann"}}],
        }
    ]
    documents = read_issues("issues.json", "issues.json", export)
    assert cited(documents) == {
        "issues.json#12:1": "Retries never stop.",
        "issues.json#12:2": "Steps to reproduce.",
        "issues.json#12:4": "The worker retries a failed activity forever.",
        "issues.json#12/c1:1": "Confirmed on 1.2.",
    }
    with pytest.raises(SourceProblem, match="not an issue export"):
        read_issues("x.json", "x.json", [{"title": "no number"}])


def test_git_log_cites_each_commit_by_its_sha(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Retry failed activities five times", {"a.txt": "1"})
    repo.commit("Stop retrying on bad input\n\nA 400 answer never succeeds later.", {"a.txt": "2"})
    sha = repo.git("rev-parse", "HEAD").strip()[:12]
    documents = git_log(repo.path, "repo:git-log")
    assert documents[0].name == f"git:{sha}"
    assert cited(documents)[f"git:{sha}:1"] == "Stop retrying on bad input."
    assert cited(documents)[f"git:{sha}:3"] == "A 400 answer never succeeds later."
    with pytest.raises(SourceProblem, match="not a git repository"):
        git_log(tmp_path, "repo:git-log")


@pytest.fixture
def page_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE_HTML.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ops.html"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


def test_read_source_folders_urls_and_what_it_cannot_read(tmp_path: Path, page_server: str) -> None:
    root = write(tmp_path / "proj", {"docs/guide.md": GUIDE_MD, "docs/notes.rst": NOTES_RST})
    (root / "docs" / "blob.txt").write_bytes(b"\0\1\2binary")
    documents, skipped = read_source(root, "docs", 5)
    assert [d.name for d in documents] == ["docs/guide.md", "docs/notes.rst"]
    assert skipped == [("docs/blob.txt", "docs/blob.txt: a binary file")]
    page, _ = read_source(root, page_server, 5)
    assert cited(page)[f"{page_server}:5"].startswith("The server keeps the history")
    with pytest.raises(SourceProblem, match="unreachable"):
        read_source(root, closed_port_url(), 5)
    with pytest.raises(SourceProblem, match="outside the target"):
        read_source(root, "../elsewhere", 5)
    with pytest.raises(SourceProblem, match="none found"):
        read_source(root, "repo:changelog", 5)


# --------------------------------------------------------------------------- engine


def sentences_of(source: str, *texts: str) -> list[Sentence]:
    return [
        Sentence(text=text, doc=f"{source}.md", line=n, source=source)
        for n, text in enumerate(texts, 1)
    ]


def test_retrieval_ranks_the_sentences_that_answer_the_question() -> None:
    pool = sentences_of(
        "a",
        "The cafeteria serves soup on Mondays.",
        "Temporal retries a failed activity with backoff.",
        "Activities that fail are retried by Temporal until the policy gives up.",
    )
    ranked = retrieve("how does Temporal retry a failed activity", pool, 5)
    assert [s.citation for s in ranked][:2] == ["a.md:2", "a.md:3"]
    assert "a.md:1" not in {s.citation for s in ranked}


def test_summary_is_central_on_topic_and_not_redundant() -> None:
    texts = [
        "The battery lasts about two weeks with wireless off.",
        "Battery life is about two weeks when the wireless is off.",
        "With wireless on the battery lasts a few days.",
        "The screen is easy to read in sunlight.",
        "I bought it for my mother as a gift last year.",
        "Charging the battery takes about four hours from empty.",
    ]
    picked = summarize("battery life", texts, 2)
    assert len(picked) == 2
    assert not {0, 1} <= set(picked), "two near-copies kept"
    assert all("battery" in texts[i].lower() for i in picked)
    assert len(lexrank_baseline(texts, 2)) == 2


def test_shared_claims_need_two_sources_and_contradictions_follow_the_rule() -> None:
    pool = [
        *sentences_of(
            "docs",
            "The worker retries a failed activity five times by default.",
            "The server keeps workflow history for 30 days of retention.",
        ),
        *sentences_of(
            "log",
            "By default the worker retries a failed activity five times.",
            "The server keeps workflow history for 90 days of retention.",
        ),
        *sentences_of("issues", "The worker never retries a failed activity by default."),
    ]
    claims = shared_claims(pool)
    assert [(c.sources, c.citations) for c in claims] == [
        (["docs", "log"], ["docs.md:1", "log.md:1"])
    ]
    found = {(c.rule, c.a.citation, c.b.citation) for c in contradictions(pool)}
    assert ("numbers", "docs.md:2", "log.md:2") in found
    negations = {("negation", "docs.md:1", "issues.md:1"), ("negation", "log.md:1", "issues.md:1")}
    assert negations <= found
    assert not any(rule == "negation" and "docs.md:1" in (a, b) and "log.md:1" in (a, b)
                   for rule, a, b in found)  # fmt: skip


def test_routing_policy_for_research_tasks() -> None:
    assert start_tier("summarization") == "haiku"
    assert start_tier("analysis") == "sonnet"
    assert start_tier("synthesis") == "opus"
    assert complex_question("What port does the server use?", 2) == (
        False, "one factual question over 2 sources",
    )  # fmt: skip
    assert complex_question("Should we use Postgres or SQLite?", 2)[0]
    assert complex_question("What is it? And who wrote it?", 2) == (True, "asks several questions")
    assert complex_question("What port does it use?", 4) == (True, "spans 4 sources")


def test_citations_are_held_to_the_sources() -> None:
    index = SentenceIndex(
        sentences_of(
            "docs",
            "The worker retries a failed activity five times.",
            "Heartbeats tell the server the activity is alive.",
        )
    )
    answer = (
        "The worker retries failed activities five times [docs.md:1]. "
        "Heartbeats keep the activity alive [docs.md:2; docs.md:40]. "
        "Retries are tuned by the operator [nowhere.md:3]. "
        "The cafeteria serves soup [docs.md:1]. "
        "Workers scale horizontally without any limit."
    )
    check = check_answer("analysis", "analysis", "sonnet", answer, index)
    verdicts = [[(c.citation, c.status) for c in claim.citations] for claim in check.claims]
    assert verdicts == [
        [("docs.md:1", "ok")],
        [("docs.md:2", "ok"), ("docs.md:40", "no-such-line")],
        [("nowhere.md:3", "unknown-document")],
        [("docs.md:1", "unrelated")],
        [],
    ]
    assert [c.unsupported for c in check.claims] == [False, False, False, False, True]


# --------------------------------------------------------------------------- request


def test_request_takes_one_or_many_sources_and_refuses_bad_ones(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"a.md": GUIDE_MD})
    with pytest.raises(ValidationError, match="at least 2"):
        ResearchSynthesisRequest(target=str(root), question="why?", sources="a.md")
    with pytest.raises(ValidationError, match="given twice"):
        ResearchSynthesisRequest(target=str(root), question="why?", sources=["a.md", "a.md"])
    with pytest.raises(ValidationError, match="unknown source"):
        ResearchSynthesisRequest(target=str(root), question="why?", sources=["a.md", "repo:x"])
    default = ResearchSynthesisRequest(target=str(root), question="What is it?")
    assert default.sources == ["repo:docs", "repo:changelog", "repo:git-log"]
    check_request(default)
    outside = ResearchSynthesisRequest(target=str(root), question="why?", sources=["a.md", "../b"])
    with pytest.raises(ValueError, match="outside the target"):
        check_request(outside)
    missing = ResearchSynthesisRequest(target=str(root), question="why?", sources=["a.md", "b.md"])
    with pytest.raises(ValueError, match="does not exist"):
        check_request(missing)


# --------------------------------------------------------------------------- the flow


def project(path: Path) -> GitRepo:
    repo = GitRepo(path)
    readme = "# Demo\n\nThe worker retries a failed activity five times.\n"
    files = {"docs/guide.md": GUIDE_MD, "notes.rst": NOTES_RST, "ops.html": PAGE_HTML}
    write(path, {**files, "README.md": readme})
    repo.commit("The server keeps workflow history for 30 days", {})
    return repo


async def synthesis_run(client: Client, request: ResearchSynthesisRequest):
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


async def test_offline_synthesis_end_to_end(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    root = project(tmp_path / "proj").path
    request = ResearchSynthesisRequest(
        target=str(root),
        question="How does the worker retry a failed activity?",
        sources=["docs", "notes.rst", "ops.html", "repo:git-log", closed_port_url()],
    )
    result, progress = await synthesis_run(client, request)
    assert result.status == "completed"
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 4
    assert [s.status for s in result.sources] == ["ok", "ok", "ok", "ok", "skipped"]
    assert "unreachable" in result.sources[-1].reason
    assert result.llm.status == "skipped" and "ANTHROPIC_API_KEY" in result.llm.reason
    assert result.claims >= 1 and result.contradictions >= 1
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert {"workflow", "workflow_id", "run_id", "status", "target", "started_at",
            "duration_s", "summary", "findings", "llm", "artifacts", "warnings",
            "skipped"} <= set(report)  # fmt: skip
    assert report["findings"] == [] and "sarif" not in report["artifacts"]
    assert [w["code"] for w in report["warnings"]] == ["source-skipped"]
    assert report["skipped"][0]["path"] == request.sources[-1]
    top = [s["citation"] for s in report["relevant"][:3]]
    assert {"docs/guide.md:3", "notes.rst:4"} <= set(top), report["relevant"]
    claims = {tuple(c["sources"]): c["citations"] for c in report["claims"]}
    assert claims.keys() == {("docs", "notes.rst"), ("notes.rst", "repo:git-log")}
    assert claims["docs", "notes.rst"] == ["docs/guide.md:10", "notes.rst:15"]
    assert claims["notes.rst", "repo:git-log"][0] == "notes.rst:5"
    rules = {(c["rule"], c["a"]["citation"], c["b"]["citation"]) for c in report["contradictions"]}
    sha = next(c for c in claims["notes.rst", "repo:git-log"] if c.startswith("git:"))
    assert rules == {
        ("negation", "docs/guide.md:3", "notes.rst:4"),
        ("numbers", "notes.rst:5", "ops.html:5"),
        ("numbers", "ops.html:5", sha),
    }
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "No LLM answer (ANTHROPIC_API_KEY is not set)" in markdown
    assert "`docs/guide.md:3`" in markdown and "## Candidate contradictions" in markdown


def answer_with_citations(fake: FakeAnthropic) -> None:
    """Haiku and Opus cite the first two lines of material they were shown; Sonnet also
    makes up one citation and one claim with no source."""

    def respond(body: dict[str, Any]) -> None:
        user = body["messages"][0]["content"]
        shown = re.findall(r"^\[([^\]]+)\] (.*)$", user, re.MULTILINE)
        text = " ".join(f"{t.rstrip('.')} [{c}]." for c, t in shown[:2])
        if "You analyse several sources" in body["system"][0]["text"]:
            text += " Retries are tuned by the operator [nowhere.md:3]."
            text += " Workers scale horizontally without any limit at all."
        fake.ok(json.dumps({"answer": text, "confidence": 0.9}))

    fake.responder = respond


async def test_synthesis_with_claude_checks_every_citation(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_anthropic: FakeAnthropic
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    answer_with_citations(fake_anthropic)
    root = project(tmp_path / "proj").path
    request = ResearchSynthesisRequest(
        target=str(root),
        question="Why should the worker retry a failed activity?",
        sources=["docs", "notes.rst"],
        max_cost_usd=1.0,
    )
    result, _ = await synthesis_run(client, request)
    models = [m.body["model"] for m in fake_anthropic.messages]
    assert [m.split("-")[1] for m in models] == ["haiku", "haiku", "sonnet", "opus"]
    assert result.complex_question and result.llm.status == "ok"
    assert result.llm.calls_by_tier == {"haiku": 2, "sonnet": 1, "opus": 1}
    assert result.invalid_citations == 1 and result.unsupported_claims == 1
    assert result.citations == 9
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["answer"]["final"] == "synthesis"
    codes = [w["code"] for w in report["warnings"]]
    assert codes == ["citation-unknown-document", "unsupported-claim"]
    synthesis = next(t for t in report["answer"]["tasks"] if t["task_id"] == "synthesis")
    assert synthesis["tier"] == "opus"
    assert all(c["status"] == "ok" for claim in synthesis["claims"] for c in claim["citations"])
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "By opus (synthesis; the question is complex: asks for a judgement" in markdown
    assert "nowhere.md:3" in markdown


def test_cli_refuses_a_source_outside_the_target(cli_env: dict[str, str], tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"a.md": GUIDE_MD})
    done = attune(
        cli_env, "workflow", "run", "research-synthesis", str(root),
        "--param", "question=why?", "--param", "sources=a.md", "--param", "sources=../b.md",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"source '../b.md' is outside the target {root}")


async def test_over_mcp_through_workflow_run(cli_env: dict[str, str], tmp_path: Path) -> None:
    root = project(tmp_path / "proj").path
    params = {"question": "How does the worker retry a failed activity?"}
    async with mcp_session(cli_env, tmp_path, wait_budget_s=120) as (session, _):
        text = await refused(
            session, "workflow_run", name="research-synthesis", path=str(root),
            params={**params, "sources": ["docs", "../elsewhere"]},
        )  # fmt: skip
        assert "outside the target" in text
        run = await call(
            session, "workflow_run", name="research-synthesis", path=str(root),
            params={**params, "sources": ["docs", "notes.rst"]},
        )  # fmt: skip
        done = await poll(session, run["workflow_id"], lambda s: s["status"] != "running")
    assert done["status"] == "completed", done
    report = json.loads(Path(done["report_paths"]["json"]).read_text())
    assert [s["status"] for s in report["sources"]] == ["ok", "ok"]
    assert report["relevant"][0]["citation"] in {"docs/guide.md:3", "notes.rst:4"}


def test_a_document_in_two_sources_counts_once() -> None:
    guide = read_text("docs/guide.md", "docs", "markdown", GUIDE_MD)
    again = guide.model_copy(update={"source": "docs/guide.md"})
    analysis = analyse("How are activities retried?", [guide, again])
    assert [s.source for s in analysis.summaries] == ["docs"]
    assert analysis.claims == [] and analysis.contradictions == []
