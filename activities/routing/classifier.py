"""The goal classifier: a goal in plain words becomes the flow(s) that serve it.

It scores phrases and stemmed keywords per route and only commits when one route
clearly wins; otherwise it writes the narrowing question a person (or Haiku)
answers. Routes are the registry's flows (built or planned: a planned flow is said
to be not available yet, with its nearest built alternative) and attune's utility
commands. Everything here is pure; the Router workflow calls it through an activity,
so new vocabulary never changes how a waiting run replays.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from activities.llm.outputs import RouteAnswer
from workflows.registry import Flow, registry
from workflows.router.models import (
    MissingRoute,
    RouteDecision,
    RouteRan,
    RouteStep,
    RouteStepResult,
)

MAX_QUESTIONS = 3

UTILITIES: dict[str, str] = {
    "telemetry": "attune telemetry",
    "compose": "attune compose",
    "dashboard": "attune dashboard",
    "auth": "attune auth status",
}
UTILITY_DESCRIPTIONS: dict[str, str] = {
    "telemetry": "usage, cost and savings of recent runs",
    "compose": "compose an agent team into a workflow spec",
    "dashboard": "what runs now, what waits for you",
    "auth": "credentials, models and prices",
}
# Keywords are stemmed like the goal; a trailing `*` matches any word with that prefix.
# Multi-word keywords are phrases over the goal's content words (stop words removed);
# a keyword starting `re:` is a regular expression over the goal as written.
# fmt: off
UTILITY_KEYWORDS: dict[str, dict[str, float]] = {
    "telemetry": {
        "cost*": 4, "usage": 3, "spend*": 3, "spent": 3, "token*": 2, "bill*": 3, "telemetr*": 5,
        "how much": 2, "money": 2.5, "saving*": 2, "budget": 1, "cache hit": 2, "dollar*": 2.5,
        "pric*": 1, "expens*": 2.5,
    },
    "compose": {
        "agent team": 5, "team agent": 5, "compos*": 4, "custom workflow": 4, "own workflow": 4,
        "new workflow": 3, "build agent": 3, "multi agent": 4, "spec": 2, "crew": 2.5,
        "orchestrat*": 2, "team": 1.5, "agent": 1.5,
    },
    "dashboard": {
        "dashboard": 5, "running": 2, "run now": 2, "active": 2, "pending": 2.5, "approv*": 2,
        "waiting": 2, "in progress": 2.5, "status": 1.5, "overview": 2, "what happen*": 2.5,
    },
    "auth": {
        "auth": 4, "authenticat*": 4, "api key": 5, "login": 3, "log in": 3, "credential*": 1.5,
        "which model": 3, "model": 1, "anthropic": 2, "subscription": 2.5, "sign in": 3,
    },
}
# fmt: on
STARTER_UTILITY = "telemetry"
"""Offered with the built flows to someone whose goal matched nothing."""


@dataclass(frozen=True)
class Routes:
    """Every route's words and description, from the registry and the utilities."""

    keywords: dict[str, dict[str, float]]
    descriptions: dict[str, str]
    flows: dict[str, Flow]

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.descriptions)

    @property
    def generic(self) -> frozenset[str]:
        """Routes whose words usually ask for something more specific."""
        return frozenset(n for n, f in self.flows.items() if f.generic_route)

    @property
    def starters(self) -> list[str]:
        """What to offer someone whose goal matched nothing: the built flows."""
        return [*[n for n, f in self.flows.items() if f.built][:3], STARTER_UTILITY]


@functools.cache
def routes() -> Routes:
    flows = {f.name: f for f in registry() if f.vocabulary and (f.listed or f.planned)}
    return Routes(
        keywords={**{n: dict(f.vocabulary) for n, f in flows.items()}, **UTILITY_KEYWORDS},
        descriptions={
            **{n: f.description or f.summary for n, f in flows.items()},
            **UTILITY_DESCRIPTIONS,
        },
        flows=flows,
    )


# fmt: off
STOP_WORDS = frozenset({
    "a", "about", "all", "also", "an", "and", "any", "are", "at", "be", "by", "can", "could",
    "did", "do", "does", "from", "how", "i", "in", "into", "is", "it", "its", "just", "let",
    "like", "me", "my", "need", "of", "on", "or", "our", "please", "should", "so", "some", "that",
    "the", "then", "these", "this", "those", "to", "up", "us", "want", "we", "what", "what's",
    "whats", "will", "with", "would", "you", "your",
})
# fmt: on
KEEP_IN_PHRASES = frozenset({"all", "every", "up", "in", "how", "what", "for", "when", "then"})
PATH_TOKEN = re.compile(
    r"""(?<![\w/.~-])((?:~|\.{1,2})?/[^\s'"`,;]*|[\w.-]+/[^\s'"`,;]*|[\w-]+\.(?:py|pyi|js|ts|toml|cfg|md|txt|in|lock|json|ya?ml|ini))"""
)
SLASH_WORDS = frozenset({"go/no-go", "and/or", "input/output", "yes/no", "read/write", "i/o"})
MONEY = re.compile(r"\$\s?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s?(?:usd|dollars?)\b", re.I)
STEM_RULES = (("ies", "y", 3), ("ing", "", 4), ("ed", "", 4), ("es", "", 3), ("s", "", 3))
"""Suffix, replacement, and how many letters must remain: "speed" keeps its "ed"."""
BRITISH = (("isation", "ization"), ("ise", "ize"), ("ising", "izing"), ("yse", "yze"))

CONFIDENT = 0.6
MIN_SCORE = 2.0
MULTI_SCORE = 2.5


@dataclass(frozen=True)
class _Goal:
    words: tuple[str, ...]
    """Stems of the words that carry meaning: single keywords match these."""
    phrase_words: tuple[str, ...]
    """The same plus a few small words phrases need ("all checks", "tests for")."""
    conjoined: bool
    text: str
    """The goal as written, for `re:` keywords (version numbers, file names)."""


def _stem(word: str) -> str:
    """Crude on purpose: the same folding runs on keywords and goals, so it only has to
    map a word's common inflections together, not find its linguistic root."""
    word = word.lower().replace("'", "")
    for british, american in BRITISH:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
    for suffix, replacement, keep in STEM_RULES:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            if suffix == "es" and not word.endswith(("sses", "xes", "ches", "shes")):
                continue
            return word[: -len(suffix)] + replacement
    return word


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9+']+", text.lower())


def _parse(goal: str) -> _Goal:
    raw = _words(goal)
    return _Goal(
        words=tuple(_stem(w) for w in raw if w not in STOP_WORDS),
        phrase_words=tuple(_stem(w) for w in raw if w not in STOP_WORDS or w in KEEP_IN_PHRASES),
        conjoined=any(w in ("and", "plus", "then", "also") for w in raw),
        text=goal,
    )


def _close(word: str, target: str) -> bool:
    """One edit (insert, delete, substitute or swap) apart: light typo tolerance."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1 or min(len(word), len(target)) < 5:
        return False
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and word[i] == target[j] and word[j] == target[i]
    short, long_ = sorted((word, target), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _matches(word: str, key: str) -> bool:
    if key.endswith("*"):
        prefix = key[:-1]
        if word.startswith(prefix):
            return True
        return len(prefix) >= 5 and any(
            _close(word[:n], prefix) for n in (len(prefix) - 1, len(prefix), len(prefix) + 1)
        )
    return _close(word, _stem(key)) if len(key) >= 5 else word == _stem(key)


def _phrase_hits(content: tuple[str, ...], phrase: list[str]) -> bool:
    size = len(phrase)
    for start in range(len(content) - size + 1):
        window = content[start : start + size]
        if all(_matches(w, k) for w, k in zip(window, phrase, strict=True)):
            return True
    return False


def _scores(goal: _Goal) -> dict[str, float]:
    scores: dict[str, float] = {}
    for route, keywords in routes().keywords.items():
        total = 0.0
        for key, weight in keywords.items():
            parts = key.split()
            if key.startswith("re:"):
                hit = re.search(key[3:], goal.text, re.IGNORECASE) is not None
            elif len(parts) > 1:
                hit = _phrase_hits(goal.phrase_words, parts)
            else:
                hit = any(_matches(w, key) for w in goal.words)
            if hit:
                total += weight
        if total:
            scores[route] = total
    generic = routes().generic
    specific = max((s for r, s in scores.items() if r not in generic), default=0.0)
    for route in generic & scores.keys():
        if specific >= MIN_SCORE:
            scores[route] *= 0.3
    return scores


def infer_params(goal: str) -> dict[str, Any]:
    """Parameters a goal states outright: a path to work on, a budget, bandit."""
    params: dict[str, Any] = {}
    for found in PATH_TOKEN.finditer(goal):
        path = found.group(1).rstrip(".?!")
        if path.lower() not in SLASH_WORDS:
            params["path"] = path
            break
    if money := MONEY.search(goal):
        params["max_cost_usd"] = float(money.group(1) or money.group(2))
    if re.search(r"\bbandit\b", goal, re.I):
        params["bandit"] = True
    return params


def _missing(workflows: list[str]) -> list[MissingRoute]:
    flows = routes().flows
    return [
        MissingRoute(workflow=w, nearest=flows[w].nearest)
        for w in workflows
        if w in flows and flows[w].planned
    ]


def _chosen(
    workflows: list[str], params: dict[str, Any], confidence: float, reason: str
) -> RouteDecision:
    """A decided route; a flow that works on a repository asks which one when the goal
    named none (a release is of one repository; "." is rarely a guess to make)."""
    decision = RouteDecision(
        workflows=workflows,
        params=params,
        confidence=round(confidence, 2),
        missing=_missing(workflows),
        reason=reason,
    )
    flows = routes().flows
    on_repository = [w for w in workflows if w in flows and flows[w].target == "repository"]
    if on_repository and "path" not in params:
        decision.question = (
            f"Which repository should {' and '.join(on_repository)} work on? Answer with its "
            "path, or '.' for the current directory."
        )
        decision.options = ["."]
    return decision


def _asking(
    params: dict[str, Any], candidates: list[str], reason: str, confidence: float
) -> RouteDecision:
    if not candidates:
        return RouteDecision(
            params=params,
            question="What are you trying to accomplish? For example: audit security, "
            "prepare a release, run all quality checks, show my costs.",
            options=routes().starters,
            reason=reason,
        )
    listed = "; ".join(f"{r} ({routes().descriptions[r]})" for r in candidates)
    return RouteDecision(
        params=params,
        confidence=round(confidence, 2),
        question=f"Which do you mean: {listed}?",
        options=candidates,
        reason=reason,
    )


def classify(goal: str) -> RouteDecision:
    """Route a goal, or ask which route it means when no route clearly wins."""
    parsed = _parse(goal)
    params = infer_params(goal)
    ranked = sorted(
        _scores(parsed).items(), key=lambda item: (-item[1], routes().order.index(item[0]))
    )
    if not ranked:
        return _asking(params, [], "no route's words appear in the goal", 0.0)
    top, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    shown = ", ".join(f"{r} {s:g}" for r, s in ranked[:4])
    strong = [r for r, s in ranked if s >= MULTI_SCORE and r not in routes().generic]
    rest = max((s for r, s in ranked if r not in strong), default=0.0)
    if parsed.conjoined and len(strong) > 1 and ranked[len(strong) - 1][1] - rest >= 1:
        return _chosen(strong, params, 0.8, f"several clear routes ({shown})")
    confidence = min(best / 3, 1.0) * (0.5 + 0.5 * (best - second) / best)
    if best >= MIN_SCORE and confidence >= CONFIDENT:
        return _chosen([top], params, confidence, f"scores: {shown}")
    floor = max(best / 3, 1.0)
    candidates = [r for r, s in ranked if s >= floor][:4]
    if len(candidates) == 1:
        candidates += [r for r, _ in ranked[1:3]] or [
            r for r in routes().starters if r not in candidates
        ][:2]
    return _asking(params, candidates, f"no clear winner ({shown})", confidence)


def _option(answer: str, options: list[str]) -> str | None:
    text = answer.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    for candidate in (*options, *routes().order):
        if text in (candidate, candidate.replace("-", " ")):
            return candidate
    return None


def refine(decision: RouteDecision, goal: str, answer: str) -> tuple[str, RouteDecision]:
    """Fold one answer into the decision; returns the goal text to classify from now on."""
    if decision.workflows and decision.question:
        path = answer.strip() or "."
        return goal, _chosen(decision.workflows, {**decision.params, "path": path}, 1.0, "answered")
    chosen = _option(answer, decision.options)
    if chosen is not None:
        return goal, _chosen([chosen], decision.params, 1.0, f"answered {chosen}")
    widened = f"{goal}. {answer}"
    again = classify(widened)
    again.params = {**decision.params, **again.params}
    return widened, again


def decide(goal: str, answers: list[str]) -> RouteDecision:
    """The decision after the given answers, exactly as the Router workflow reaches it."""
    decision, text = classify(goal), goal
    for answer in answers:
        if decision.question is None:
            break
        text, decision = refine(decision, text, answer)
    return decision


def settle(decision: RouteDecision) -> RouteDecision:
    """Out of questions: take the likeliest option rather than ask a fourth time."""
    if decision.workflows:
        return _chosen(decision.workflows, {"path": ".", **decision.params}, 0.5, "defaulted")
    routes = [o for o in decision.options if o in routes().descriptions]
    if not routes:
        return decision
    return _chosen(routes[:1], {"path": ".", **decision.params}, 0.3, "best guess after answers")


def describe(decision: RouteDecision, ran: list[RouteRan] | None = None) -> str:
    """What attune would do, or did, in plain words: one clause per route."""
    if not decision.workflows:
        return decision.question or "attune could not tell what you want; say it another way"
    done = {r.workflow: r for r in ran or []}
    parts = []
    for name in decision.workflows:
        if name in done:
            parts.append(f"{name} {done[name].status} ({done[name].workflow_id})")
        elif name in UTILITIES:
            parts.append(f"{name} is a utility: run `{UTILITIES[name]}`")
        elif name in routes().flows and routes().flows[name].planned:
            nearest = routes().flows[name].nearest
            alternative = f"nearest: {nearest}" if nearest else "no close alternative exists"
            parts.append(f"{name} is not available yet; {alternative}")
        elif name not in routes().flows:
            parts.append(f"{name} is not registered in this attune's catalog")
        else:
            parts.append(f"run {name}")
    return "; ".join(parts)


def apply_llm_answer(decision: RouteDecision, answer: RouteAnswer | None) -> RouteDecision:
    """Haiku's pick when it names real routes; its question, or ours, otherwise."""
    if answer is None:
        return decision
    known = routes().descriptions
    chosen = [w for w in answer.workflows if w in known]
    if chosen and not answer.question:
        return _chosen(chosen, decision.params, answer.confidence, "chosen by Claude")
    if answer.question:
        return RouteDecision(
            params=decision.params,
            question=answer.question,
            options=[o for o in answer.options if o in known] or decision.options,
            confidence=answer.confidence,
            reason="question from Claude",
        )
    return decision


def step(request: RouteStep) -> RouteStepResult:
    """One routing step of the Router workflow, run as an activity."""
    if request.op == "decide":
        text = ". ".join([request.goal, *request.answers])
        return RouteStepResult(decision=decide(request.goal, request.answers), text=text)
    assert request.decision is not None, f"routing step {request.op} needs a decision"
    if request.op == "refine":
        text, decision = refine(request.decision, request.text, request.reply)
        return RouteStepResult(decision=decision, text=text)
    if request.op == "settle":
        return RouteStepResult(decision=settle(request.decision), text=request.text)
    return RouteStepResult(
        decision=apply_llm_answer(request.decision, request.llm), text=request.text
    )
