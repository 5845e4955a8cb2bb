"""The offline engine of research-synthesis: question-focused retrieval, an extractive
summary per source, the claims several sources share and the ones they disagree on.

- Words: lowercased, English stop words removed (sumy's list), Snowball-stemmed (nltk);
  no downloaded data anywhere. sumy wants a tokenizer object; `OfflineTokenizer` is one
  built from our own sentence splitter and nltk's Treebank-style word tokenizer, which
  needs no punkt model (sumy's `Tokenizer("english")` would download it).
- Retrieval: BM25 (rank-bm25's Okapi BM25, k1 1.5, b 0.75) of every sentence against the
  question.
- Summary (`summarize`): sumy's LexRank centrality of each sentence within its source,
  mixed with its BM25 relevance to the question (RELEVANCE_WEIGHT), divided by a power of
  its length (LENGTH_PENALTY), best first, skipping a sentence too similar (TF-IDF cosine
  >= REDUNDANT) to one already kept. The constants were chosen on the benchmark's
  development topics (benchmarks/research_synthesis.py), among a small grid.
  `lexrank_baseline` is sumy's LexRank with its defaults, the benchmark's reference point.
- Shared claims: two sentences of different sources whose TF-IDF cosine is at least
  AGREE (0.5) say the same thing, unless one is negated and the other not or their
  numbers differ (see below); linked sentences form one claim, kept when two or more
  sources back it.
- Contradictions: sentences of different sources on the same topic (cosine >= TOPIC,
  0.5, over the words left once negations and numbers are removed) where
  - negation: exactly one is negated (not, no, never, n't, cannot, without...) and their
    content words mostly coincide (Jaccard >= SAME_WORDS, 0.5), or
  - numbers: the same word stands next to a different number or version in each
    ("Python 3.12" / "Python 3.13", "timeout of 30 s" / "timeout of 60 s").
  Limits: it cannot see paraphrased negation ("fails to"), antonyms ("slow"/"fast"),
  a number far from the word it measures, or a claim and its qualification; a negation
  elsewhere in a long sentence can still trigger it. It flags candidates for a reader;
  it proves nothing.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from activities.research_synthesis.sources import Document, Sentence

AGREE = 0.5
TOPIC = 0.5
SAME_WORDS = 0.5
REDUNDANT = 0.6
RELEVANCE_WEIGHT = 0.2
"""Share of the summary score that comes from the question (BM25); the rest is centrality."""
LENGTH_PENALTY = 0.5
"""The score is divided by (content words) ** LENGTH_PENALTY: a long sentence is central
because it says many things, a summary wants the ones that say one thing well."""
ON_TOPIC_FACTOR = 3
"""When a source has at least this many times `count` sentences sharing a word with the
question, the summary picks among those only. A stricter focus (only sentences scoring
half the best BM25 score) lost ROUGE on the benchmark's topics, so the summary stays a
summary of the source and `retrieve` is the question-focused view."""
LEXRANK_POOL = 150
"""LexRank (sumy, pure Python, quadratic) runs on a source's most question-relevant
sentences, at most this many."""
MIN_WORDS = 4
"""Shorter sentences (headings, fragments) are not summary or claim material."""
# fmt: off
NEGATIONS = frozenset({
    "not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "cannot", "without",
    "n't", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "won't",
    "wouldn't", "can't", "couldn't", "shouldn't", "hasn't", "haven't"
})
# fmt: on
NUMBER = re.compile(r"\b\d+(?:\.\d+)*%?")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:\.\d+)*%?")


@functools.cache
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@functools.cache
def stop_words() -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words("english"))


def terms(text: str, *, keep_numbers: bool = True) -> list[str]:
    """Stemmed content words of a text (numbers kept as they are, or dropped)."""
    stem = _stemmer().stem
    found = []
    for word in WORD.findall(text.lower()):
        if word[0].isdigit():
            if keep_numbers:
                found.append(word)
        elif word not in stop_words() and word not in NEGATIONS and len(word) > 1:
            found.append(stem(word.strip("'-")))
    return found


def is_negated(text: str) -> bool:
    words = re.findall(r"[a-z']+", text.lower())
    return any(w in NEGATIONS or w.endswith("n't") for w in words)


def numbers(text: str) -> frozenset[str]:
    return frozenset(NUMBER.findall(text))


# --------------------------------------------------------------------------- sumy glue


class OfflineTokenizer:
    """What sumy asks of a tokenizer, without nltk's downloadable punkt model."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        from activities.research_synthesis.sources import split_sentences

        return tuple(text for _, text in split_sentences([(1, paragraph)]))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        from sumy.nlp.tokenizers import Tokenizer

        words = _word_tokenizer().tokenize(sentence)
        return tuple(w for w in words if Tokenizer._WORD_PATTERN.match(w))


@functools.cache
def _word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def sumy_document(texts: Sequence[str]):
    """A sumy document of one paragraph holding `texts` as its sentences, in order."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence

    tokenizer = OfflineTokenizer()
    return ObjectDocumentModel([Paragraph([SumySentence(t, tokenizer) for t in texts])])


def _lexrank():
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer

    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = stop_words()
    return summarizer


def lexrank_baseline(texts: Sequence[str], count: int) -> list[int]:
    """Indexes of the sentences sumy's LexRank (default threshold and epsilon, English
    stemmer and stop words) picks, in document order."""
    document = sumy_document(texts)
    chosen = {id(s) for s in _lexrank()(document, count)}
    return [i for i, s in enumerate(document.sentences) if id(s) in chosen]


def lexrank_scores(texts: Sequence[str]) -> list[float]:
    """sumy's LexRank centrality of every sentence (the scores its __call__ ranks by)."""
    if not texts:
        return []
    summarizer = _lexrank()
    words = [summarizer._to_words_set(s) for s in sumy_document(texts).sentences]
    matrix = summarizer._create_matrix(
        words, summarizer.threshold, summarizer._compute_tf(words), summarizer._compute_idf(words)
    )
    import numpy

    with numpy.errstate(invalid="ignore", divide="ignore"):
        scores = summarizer.power_method(matrix, summarizer.epsilon)
    return [0.0 if math.isnan(x) else float(x) for x in scores]  # no similar pair: 0/0


# --------------------------------------------------------------------------- vectors


class TfIdf:
    """Sparse TF-IDF vectors (log-scaled tf, smoothed idf, unit length) over a corpus."""

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        frequency = Counter(t for words in corpus for t in set(words))
        size = len(corpus)
        self.idf = {t: math.log((1 + size) / (1 + n)) + 1 for t, n in frequency.items()}
        self.vectors = [self.vector(words) for words in corpus]

    def vector(self, words: Sequence[str]) -> dict[str, float]:
        counts = Counter(words)
        weights = {t: (1 + math.log(n)) * self.idf.get(t, 1.0) for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


# --------------------------------------------------------------------------- retrieval


class Scored(BaseModel):
    citation: str
    source: str
    text: str
    score: float


def bm25_scores(question: str, texts: Sequence[str]) -> list[float]:
    from rank_bm25 import BM25Okapi

    corpus = [terms(t) or ["\0"] for t in texts]
    if not corpus:
        return []
    query = terms(question)
    return [float(s) for s in BM25Okapi(corpus).get_scores(query)] if query else [0.0] * len(corpus)


def retrieve(question: str, sentences: Sequence[Sentence], top: int) -> list[Scored]:
    """The sentences most relevant to the question, over every source, best first."""
    scores = bm25_scores(question, [s.text for s in sentences])
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    return [
        Scored(
            citation=sentences[i].citation,
            source=sentences[i].source,
            text=sentences[i].text,
            score=round(scores[i], 4),
        )
        for i in ranked[:top]
        if scores[i] > 0
    ]


def summarize(question: str, texts: Sequence[str], count: int) -> list[int]:
    """Indexes of the `count` sentences of one source that best answer the question,
    best first (see the module docstring)."""
    words = [terms(t) for t in texts]
    eligible = [i for i, w in enumerate(words) if len(w) >= MIN_WORDS - 1] or list(
        range(len(texts))
    )
    if not eligible:
        return []
    relevant = dict(zip(eligible, bm25_scores(question, [texts[i] for i in eligible]), strict=True))
    on_topic = [i for i in eligible if relevant[i] > 0]
    if len(on_topic) >= ON_TOPIC_FACTOR * count:
        eligible = on_topic
    if len(eligible) > LEXRANK_POOL:
        eligible = sorted(sorted(eligible, key=lambda i: (-relevant[i], i))[:LEXRANK_POOL])
    central = dict(zip(eligible, lexrank_scores([texts[i] for i in eligible]), strict=True))
    top_c = max(central.values()) or 1.0
    top_r = max(relevant[i] for i in eligible) or 1.0
    score = {
        i: ((1 - RELEVANCE_WEIGHT) * central[i] / top_c + RELEVANCE_WEIGHT * relevant[i] / top_r)
        / len(words[i]) ** LENGTH_PENALTY
        for i in eligible
    }
    vectors = TfIdf(words).vectors
    chosen: list[int] = []
    for i in sorted(eligible, key=lambda i: (-score[i], i)):
        if all(cosine(vectors[i], vectors[j]) < REDUNDANT for j in chosen):
            chosen.append(i)
        if len(chosen) == count:
            break
    return chosen


# --------------------------------------------------------------------------- claims


class Claim(BaseModel):
    text: str = Field(description="The most central sentence of the claim")
    citations: list[str]
    sources: list[str]


class Contradiction(BaseModel):
    rule: str = Field(description="negation or numbers")
    a: Scored
    b: Scored
    similarity: float


def _pairs(sentences: Sequence[Sentence], vectors: list[dict[str, float]], floor: float):
    """Pairs of sentences of different sources whose cosine reaches `floor`; an inverted
    index keeps it far from quadratic on real documents."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, vector in enumerate(vectors):
        for term in vector:
            index[term].append(i)
    for i, vector in enumerate(vectors):
        candidates = {j for t in vector for j in index[t] if j > i}
        for j in sorted(candidates):
            if sentences[i].source == sentences[j].source:
                continue
            similarity = cosine(vector, vectors[j])
            if similarity >= floor:
                yield i, j, similarity


def shared_claims(sentences: Sequence[Sentence]) -> list[Claim]:
    """Claims two or more sources make (linked sentences with cosine >= AGREE)."""
    words = [terms(s.text) for s in sentences]
    vectors = TfIdf(words).vectors
    parent = list(range(len(sentences)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    degree: Counter[int] = Counter()
    for i, j, _ in _pairs(sentences, vectors, AGREE):
        a, b = sentences[i].text, sentences[j].text
        if is_negated(a) != is_negated(b) or numbers_differ(a, b):
            continue  # a candidate contradiction, not agreement
        if len(words[i]) >= MIN_WORDS - 1 and len(words[j]) >= MIN_WORDS - 1:
            parent[find(i)] = find(j)
            degree[i] += 1
            degree[j] += 1
    groups: dict[int, list[int]] = defaultdict(list)
    for i in degree:
        groups[find(i)].append(i)
    claims = []
    for members in groups.values():
        sources = sorted({sentences[i].source for i in members})
        if len(sources) < 2:
            continue
        members.sort(key=lambda i: (-degree[i], i))
        claims.append(
            Claim(
                text=sentences[members[0]].text,
                citations=[sentences[i].citation for i in sorted(members)],
                sources=sources,
            )
        )
    claims.sort(key=lambda c: (-len(c.sources), -len(c.citations), c.text))
    return claims


def number_contexts(text: str) -> dict[str, set[str]]:
    """Stemmed words standing right before or after each number or version."""
    tokens = WORD.findall(text.lower())
    stem = _stemmer().stem
    contexts: dict[str, set[str]] = defaultdict(set)
    for i, token in enumerate(tokens):
        if not token[0].isdigit():
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and not tokens[j][0].isdigit():
                word = tokens[j]
                if word not in stop_words() and len(word) > 1:
                    contexts[stem(word)].add(token)
    return contexts


def numbers_differ(a: str, b: str) -> bool:
    """The same word next to a different number in each, and neither number in both."""
    left, right = number_contexts(a), number_contexts(b)
    for word in left.keys() & right.keys():
        only_left, only_right = left[word] - right[word], right[word] - left[word]
        if only_left and only_right and not (only_left & numbers(b) or only_right & numbers(a)):
            return True
    return False


def contradictions(sentences: Sequence[Sentence]) -> list[Contradiction]:
    """Candidate disagreements between sources (the rule is in the module docstring)."""
    words = [terms(s.text, keep_numbers=False) for s in sentences]
    vectors = TfIdf(words).vectors
    found = []
    for i, j, similarity in _pairs(sentences, vectors, TOPIC):
        a, b = sentences[i], sentences[j]
        if min(len(words[i]), len(words[j])) < MIN_WORDS - 1:
            continue
        both, either = set(words[i]) & set(words[j]), set(words[i]) | set(words[j])
        if is_negated(a.text) != is_negated(b.text) and len(both) >= SAME_WORDS * len(either):
            rule = "negation"
        elif numbers_differ(a.text, b.text):
            rule = "numbers"
        else:
            continue
        found.append(
            Contradiction(
                rule=rule,
                a=Scored(citation=a.citation, source=a.source, text=a.text, score=0),
                b=Scored(citation=b.citation, source=b.source, text=b.text, score=0),
                similarity=round(similarity, 3),
            )
        )
    found.sort(key=lambda c: (-c.similarity, c.a.citation, c.b.citation))
    return found


# --------------------------------------------------------------------------- analysis


class SourceSummary(BaseModel):
    source: str
    documents: int
    sentences: int
    summary: list[Scored]


class Analysis(BaseModel):
    question: str
    relevant: list[Scored] = Field(description="BM25 over every source, best first")
    summaries: list[SourceSummary]
    claims: list[Claim]
    contradictions: list[Contradiction]


def analyse(
    question: str,
    documents: Sequence[Document],
    *,
    summary_sentences: int = 5,
    top_relevant: int = 20,
    max_claims: int = 50,
    max_contradictions: int = 30,
) -> Analysis:
    """The whole offline synthesis of `documents` (grouped by their source). A document
    two sources share (a folder and a file in it) counts for the first one only, so it
    never agrees with or contradicts itself."""
    unique: dict[str, Document] = {}
    for document in documents:
        unique.setdefault(document.name, document)
    documents = list(unique.values())
    by_source: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_source[document.source].append(document)
    everything = [s for d in documents for s in d.sentences]
    summaries = []
    for source, docs in by_source.items():
        sentences = [s for d in docs for s in d.sentences]
        picked = summarize(question, [s.text for s in sentences], summary_sentences)
        scores = bm25_scores(question, [sentences[i].text for i in picked]) if picked else []
        summaries.append(
            SourceSummary(
                source=source,
                documents=len(docs),
                sentences=len(sentences),
                summary=[
                    Scored(
                        citation=sentences[i].citation,
                        source=source,
                        text=sentences[i].text,
                        score=round(score, 4),
                    )
                    for i, score in zip(picked, scores, strict=True)
                ],
            )
        )
    relevant_pool = _relevant_pool(question, everything)
    return Analysis(
        question=question,
        relevant=retrieve(question, everything, top_relevant),
        summaries=summaries,
        claims=shared_claims(relevant_pool)[:max_claims],
        contradictions=contradictions(relevant_pool)[:max_contradictions],
    )


POOL_PER_SOURCE = 400


def _relevant_pool(question: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    """Claims are looked for among each source's sentences most relevant to the question
    (at most POOL_PER_SOURCE of each), so a long git log stays tractable and on topic."""
    by_source: dict[str, list[Sentence]] = defaultdict(list)
    for sentence in sentences:
        by_source[sentence.source].append(sentence)
    pool = []
    for group in by_source.values():
        if len(group) <= POOL_PER_SOURCE:
            pool += group
            continue
        scores = bm25_scores(question, [s.text for s in group])
        best = sorted(range(len(group)), key=lambda i: (-scores[i], i))[:POOL_PER_SOURCE]
        pool += [group[i] for i in sorted(best)]
    return pool
