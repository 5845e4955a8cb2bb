"""research-synthesis's Claude tasks and the check of what they answer.

Three steps, each task a TierEscalation child with the shared `answer` schema (free text
plus confidence): Haiku summarises each source (task kind `summarization`), Sonnet
analyses across sources (`analysis`), Opus writes the synthesis (`synthesis`) when the
routing policy calls the question complex (workflows.tiers.complex_question). Every
prompt shows sentences as `[doc:line] text` and asks for those citations after each
sentence; nothing here calls Claude.

`check_answer` holds an answer to its sources: each of its sentences is a claim; every
`[doc:line]` in it must name a document that was read, a line some sentence of it covers,
and that sentence must share content words with the claim (at least two, or all of the
cited sentence's when it has fewer). A claim of four or more content words without any
citation is flagged as unsupported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from activities.llm.outputs import parse_answer, schema_instructions
from activities.research_synthesis.engine import MIN_WORDS, Analysis, terms
from activities.research_synthesis.sources import Sentence, split_sentences
from workflows.schemas import LLMPrompt

CITATION_GROUP = re.compile(r"\[([^\[\]]+)\]")
CITATION = re.compile(r"^\s*(\S.*?):(\d+)\s*$")
SOURCE_SENTENCES = 40
"""Sentences of one source shown to Haiku: its most relevant and its summary."""

RULES = (
    "Cite every sentence you write with the sources' own citations in square brackets "
    "right after it, exactly as given, e.g. [docs/guide.md:12] or [git:0123456789ab:1]; "
    "several are separated by semicolons. Use only citations that appear in the material. "
    "Say so plainly when the material does not answer the question; never invent facts, "
    "sources or line numbers. Put the text, with its citations, in `answer`."
)


def _lines(items: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"[{citation}] {text}" for citation, text in items)


def summary_prompt(question: str, source: str, material: Sequence[tuple[str, str]]) -> LLMPrompt:
    system = (
        "You summarise one source for a researcher who asks a question. Write at most five "
        f"sentences on what this source says about the question. {RULES}\n"
        f"{schema_instructions('answer')}"
    )
    user = f"Question: {question}\n\nSource: {source}\n\n{_lines(material)}\n"
    return LLMPrompt(system=system, user=user)


def analysis_prompt(question: str, analysis: Analysis, summaries: Sequence[str]) -> LLMPrompt:
    system = (
        "You analyse several sources to answer a question: what they agree on, where they "
        "disagree, and what none of them says. Write a short answer (at most twelve "
        f"sentences). {RULES}\n{schema_instructions('answer')}"
    )
    return LLMPrompt(system=system, user=_evidence(question, analysis, summaries))


def synthesis_prompt(
    question: str, analysis: Analysis, summaries: Sequence[str], cross: str
) -> LLMPrompt:
    system = (
        "You write the synthesis a researcher asked for: a direct answer to the question "
        "first, then the reasoning across sources, the disagreements and how much weight "
        "each side deserves, and the open points (at most twenty sentences). "
        f"{RULES}\n{schema_instructions('answer')}"
    )
    user = _evidence(question, analysis, summaries) + f"\nAnalysis across sources:\n{cross}\n"
    return LLMPrompt(system=system, user=user)


def _evidence(question: str, analysis: Analysis, summaries: Sequence[str]) -> str:
    parts = [f"Question: {question}", "", "Most relevant sentences:"]
    parts.append(_lines([(s.citation, s.text) for s in analysis.relevant]))
    for summary in analysis.summaries:
        parts += ["", f"Extractive summary of {summary.source}:"]
        parts.append(_lines([(s.citation, s.text) for s in summary.summary]))
    if summaries:
        parts += ["", "Summaries per source:", *summaries]
    if analysis.claims:
        parts += ["", "Claims found in two or more sources:"]
        parts += [f"- {c.text} [{'; '.join(c.citations[:6])}]" for c in analysis.claims[:15]]
    if analysis.contradictions:
        parts += ["", "Candidate contradictions (same topic, different negation or numbers):"]
        parts += [
            f"- [{c.a.citation}] {c.a.text} / [{c.b.citation}] {c.b.text}"
            for c in analysis.contradictions[:10]
        ]
    return "\n".join(parts) + "\n"


def source_material(
    question_relevant: Sequence[str], summary: Sequence[str], sentences: Sequence[Sentence]
) -> list[tuple[str, str]]:
    """What Haiku reads of one source: the cited sentences, in document order."""
    wanted = list(dict.fromkeys([*summary, *question_relevant]))[:SOURCE_SENTENCES]
    by_citation = {s.citation: s.text for s in sentences}
    return [(c, by_citation[c]) for c in sorted(wanted, key=_order) if c in by_citation]


def _order(citation: str) -> tuple[str, int]:
    doc, _, line = citation.rpartition(":")
    return doc, int(line) if line.isdigit() else 0


def answer_text(raw_text: str) -> str | None:
    parsed = parse_answer(raw_text, "answer")
    return None if parsed.answer is None else str(parsed.answer["answer"])


# --------------------------------------------------------------------------- checks

CitationStatus = Literal["ok", "unknown-document", "no-such-line", "unrelated"]


class CitationCheck(BaseModel):
    citation: str
    status: CitationStatus
    cited_text: str = ""


class ClaimCheck(BaseModel):
    text: str
    citations: list[CitationCheck] = Field(default_factory=list)
    unsupported: bool = Field(default=False, description="A claim with no citation at all")


class AnswerCheck(BaseModel):
    task_id: str
    kind: str
    tier: str | None
    answer: str
    claims: list[ClaimCheck]

    @property
    def citations(self) -> list[CitationCheck]:
        return [c for claim in self.claims for c in claim.citations]


class SentenceIndex:
    """Which sentence covers a document's line: the last one starting at or before it."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.starts: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
        grouped: dict[tuple[str, int], list[str]] = defaultdict(list)
        for s in sentences:
            grouped[(s.doc, s.line)].append(s.text)
        for (doc, line), texts in sorted(grouped.items()):
            self.starts[doc].append((line, texts))
        self.last_line = {
            doc: max(s.line for s in sentences if s.doc == doc) for doc in self.starts
        }

    def covering(self, doc: str, line: int) -> list[str] | None:
        covering = None
        for start, texts in self.starts.get(doc, []):
            if start > line:
                break
            covering = texts
        return covering


def check_citation(index: SentenceIndex, claim_terms: set[str], citation: str) -> CitationCheck:
    match = CITATION.match(citation)
    doc, line = (match.group(1), int(match.group(2))) if match else (citation, 0)
    if doc not in index.starts:
        return CitationCheck(citation=citation, status="unknown-document")
    texts = index.covering(doc, line)
    if texts is None or line > index.last_line[doc] + 5:
        return CitationCheck(citation=citation, status="no-such-line")
    cited = " ".join(texts)
    cited_terms = set(terms(cited))
    shared = claim_terms & cited_terms
    needed = min(2, len(cited_terms))
    status: CitationStatus = "ok" if len(shared) >= needed and shared else "unrelated"
    return CitationCheck(citation=citation, status=status, cited_text=cited[:300])


def check_answer(
    task_id: str, kind: str, tier: str | None, answer: str, index: SentenceIndex
) -> AnswerCheck:
    """Every claim of the answer with the verdict on each of its citations."""
    claims = []
    for _, sentence in split_sentences(enumerate(answer.splitlines(), 1)):
        cited = [
            part.strip()
            for group in CITATION_GROUP.findall(sentence)
            for part in re.split(r"[;,]", group)
            if CITATION.match(part)
        ]
        bare = CITATION_GROUP.sub(" ", sentence)
        claim_terms = set(terms(bare))
        if not cited:
            if len(claim_terms) >= MIN_WORDS:
                claims.append(ClaimCheck(text=sentence, unsupported=True))
            continue
        claims.append(
            ClaimCheck(
                text=sentence,
                citations=[check_citation(index, claim_terms, c) for c in cited],
            )
        )
    return AnswerCheck(task_id=task_id, kind=kind, tier=tier, answer=answer, claims=claims)
