"""Socratic routing: a goal in plain words becomes the workflow(s) that serve it.

`classify` is pure and deterministic, so the Router workflow can call it and replay
it; it scores phrases and stemmed keywords per route and only commits when one route
clearly wins, otherwise it writes the narrowing question a person (or Haiku) answers.
Routes that name a workflow attune does not have yet are said so plainly, with the
nearest one that exists, rather than guessed into something else.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter
from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ChildWorkflowError

from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.artifacts import ArtifactStore
    from activities.llm.outputs import RouteAnswer, parse_answer, schema_instructions
    from workflows.catalog import CATALOG
    from workflows.schemas import ArtifactRef, EscalationState, LLMPrompt, LLMTask
    from workflows.tiers import start_tier
    from workflows.wire import ATTUNE_AWAITING, ATTUNE_STAGE, ATTUNE_TARGET, ATTUNE_WORKFLOW

ROUTER = "Router"
QUESTION_QUERY = "question"
ANSWER_SIGNAL = "answer"
ROUTE_SCHEMA = "route"
ROUTING_KIND = "routing"
MAX_QUESTIONS = 3

KNOWN_WORKFLOWS: frozenset[str] = frozenset(
    {"security-audit", "release-prep", "quality-checks", *CATALOG}
)
FUTURE_WORKFLOWS: frozenset[str] = frozenset(
    {
        "test-generation",
        "performance-audit",
        "bug-predict",
        "code-review",
        "document-gen",
        "refactor-plan",
        "research-synthesis",
        "dependency-check",
        "pr-review",
        "seo-optimization",
    }
)
UTILITIES: dict[str, str] = {
    "telemetry": "attune telemetry",
    "compose": "attune compose",
    "dashboard": "attune dashboard",
    "auth": "attune auth status",
}
NEAREST: dict[str, str | None] = {
    "test-generation": "quality-checks",
    "performance-audit": "quality-checks",
    "bug-predict": "quality-checks",
    "code-review": "quality-checks",
    "refactor-plan": "quality-checks",
    "pr-review": "quality-checks",
    "dependency-check": "security-audit",
    "document-gen": None,
    "research-synthesis": None,
    "seo-optimization": None,
}
DESCRIPTIONS: dict[str, str] = {
    "security-audit": "find vulnerabilities, secrets and risky code",
    "release-prep": "go/no-go release checks, then your approval",
    "quality-checks": "run every quality check as one report",
    "test-generation": "write pytest tests",
    "performance-audit": "find slow code and performance anti-patterns",
    "bug-predict": "rank the code most likely to have bugs",
    "code-review": "review files or a diff",
    "document-gen": "write documentation",
    "refactor-plan": "plan a refactoring",
    "research-synthesis": "research a question and synthesise sources",
    "dependency-check": "check dependencies for outdated or vulnerable packages",
    "pr-review": "review a pull request",
    "seo-optimization": "improve a site's SEO",
    "telemetry": "usage, cost and savings of recent runs",
    "compose": "compose an agent team into a workflow spec",
    "dashboard": "what runs now, what waits for you",
    "auth": "credentials, models and prices",
}
ROUTES: tuple[str, ...] = tuple(DESCRIPTIONS)
STARTERS = ("security-audit", "quality-checks", "release-prep", "telemetry")
"""What to offer someone whose goal matched nothing: the commonest ways in."""

# Keywords are stemmed like the goal; a trailing `*` matches any word with that prefix.
# Multi-word keywords are phrases over the goal's content words (stop words removed).
# fmt: off
KEYWORDS: dict[str, dict[str, float]] = {
    "security-audit": {
        "secur*": 3, "insecur*": 3, "vulnerab*": 3, "exploit*": 3, "inject*": 3, "cve": 3,
        "cwe": 3, "owasp": 3, "xss": 3, "csrf": 3, "ssrf": 3, "taint*": 3, "hardcod*": 2,
        "secret*": 3, "password*": 2, "credential*": 1.5, "leak*": 2, "bandit": 3, "sanitiz*": 2,
        "attack*": 2, "safe": 1, "audit": 1, "scan": 1, "security audit": 2,
    },
    "release-prep": {
        "releas*": 3, "ship*": 2.5, "publish*": 2, "go no go": 3, "changelog": 1.5,
        "version bump": 2, "bump version": 2, "tag": 1, "cut": 0.5, "prepar*": 0.5, "deploy*": 1.5,
        "launch*": 1.5,
    },
    "quality-checks": {
        "quality": 3, "quality check": 1, "lint*": 3, "ruff": 2.5, "mypy": 2.5, "type check": 2.5,
        "typecheck*": 2.5, "style": 1.5, "code smell": 2.5, "all check": 3, "every check": 3,
        "check everyth": 3, "ci": 1, "pre commit": 2, "health": 1.5, "check": 0.5, "clean": 0.5,
        "improv*": 1,
    },
    "test-generation": {
        "test*": 1, "unittest*": 2, "generat* test": 3, "test generat*": 3, "writ* test": 3,
        "creat* test": 3, "add test": 3, "unit test": 2.5, "test coverage": 2.5, "coverage": 2,
        "pytest": 1.5, "missing test": 3, "given when then": 3, "test for": 1,
    },
    "performance-audit": {
        "performanc*": 3, "perf": 3, "slow*": 3, "speed*": 2.5, "fast*": 2, "bottleneck*": 3,
        "profil*": 3, "latenc*": 3, "optimiz*": 2, "efficien*": 2, "hot path": 2.5,
        "memory usage": 2, "cpu": 2, "throughput": 2.5, "sluggish": 3,
    },
    "bug-predict": {
        "bug*": 3, "buggy": 3, "predict*": 2, "defect*": 3, "crash*": 2, "fragil*": 2, "risky": 2,
        "error prone": 3, "likely break": 3, "hotspot*": 2, "churn": 2,
    },
    "code-review": {
        "review*": 2, "code review": 1.5, "review code": 1, "feedback": 2, "critiqu*": 2,
        "look over": 2, "second opinion": 2.5, "read over": 2, "improv*": 1,
    },
    "document-gen": {
        "document*": 3, "doc": 3, "docstring*": 3, "readme": 3, "api refer*": 2.5, "explain*": 1.5,
        "comment*": 1.5, "write up": 1,
    },
    "refactor-plan": {
        "refactor*": 4, "restructur*": 3, "clean up": 2, "cleanup": 2, "tech debt": 3,
        "technical debt": 3, "simplif*": 2, "modulariz*": 2.5, "untangl*": 2.5, "reorganiz*": 2.5,
        "architectur*": 2, "spaghetti": 2.5, "improv*": 1,
    },
    "research-synthesis": {
        "research*": 4, "synthes*": 3, "literatur*": 3, "paper*": 2, "summariz*": 2, "sources": 2,
        "investigat*": 1, "state art": 2.5,
    },
    "dependency-check": {
        "dependenc*": 4, "dep": 3, "outdat*": 3, "requirement*": 2, "package*": 1.5, "upgrad*": 2,
        "pip audit": 3, "licens*": 2, "supply chain": 3, "lockfile*": 2, "third party": 2,
        "librar*": 1,
    },
    "pr-review": {
        "pull request": 4, "pr": 3, "merge request": 4, "diff": 2, "changeset*": 2, "branch*": 1,
        "patch": 1,
    },
    "seo-optimization": {
        "seo": 5, "search engin*": 4, "meta tag*": 3, "sitemap*": 3, "googl*": 1.5, "rank*": 1,
        "keyword*": 1.5, "organic traffic": 3,
    },
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
GENERIC_ROUTES = frozenset({"code-review"})
"""Reviews are usually *for* something: a review for security is a security audit."""

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
    r"""(?<![\w/.~-])((?:~|\.{1,2})?/[^\s'"`,;]*|[\w.-]+/[^\s'"`,;]*|[\w-]+\.(?:py|pyi|js|ts|toml|cfg|md))"""
)
SLASH_WORDS = frozenset({"go/no-go", "and/or", "input/output", "yes/no", "read/write", "i/o"})
MONEY = re.compile(r"\$\s?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s?(?:usd|dollars?)\b", re.I)
STEM_RULES = (("ies", "y", 3), ("ing", "", 4), ("ed", "", 4), ("es", "", 3), ("s", "", 3))
"""Suffix, replacement, and how many letters must remain: "speed" keeps its "ed"."""
BRITISH = (("isation", "ization"), ("ise", "ize"), ("ising", "izing"), ("yse", "yze"))

PROMPT = TypeAdapter(LLMPrompt)
CONFIDENT = 0.6
MIN_SCORE = 2.0
MULTI_SCORE = 2.5


class MissingRoute(BaseModel):
    workflow: str
    nearest: str | None


class RouteDecision(BaseModel):
    """What a goal asks for. A question with workflows chosen asks for a parameter
    (the release's repository); a question without asks which route is meant."""

    workflows: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    confidence: float = 0.0
    question: str | None = None
    options: list[str] = Field(default_factory=list)
    missing: list[MissingRoute] = Field(default_factory=list)
    reason: str = ""


class RouteRequest(BaseModel):
    goal: str
    path: str = Field(description="Absolute directory that paths in the goal are relative to")
    answers: list[str] = Field(default_factory=list, description="Answers already given")
    llm_available: bool = False
    answer_timeout_s: int = Field(default=24 * 3600, ge=1)


class RouteRan(BaseModel):
    workflow: str
    workflow_id: str
    status: str


class RouteResult(BaseModel):
    decision: RouteDecision
    ran: list[RouteRan] = Field(default_factory=list)
    message: str


@dataclass(frozen=True)
class _Goal:
    words: tuple[str, ...]
    """Stems of the words that carry meaning: single keywords match these."""
    phrase_words: tuple[str, ...]
    """The same plus a few small words phrases need ("all checks", "tests for")."""
    conjoined: bool


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
    for route, keywords in KEYWORDS.items():
        total = 0.0
        for key, weight in keywords.items():
            parts = key.split()
            if len(parts) > 1:
                hit = _phrase_hits(goal.phrase_words, parts)
            else:
                hit = any(_matches(w, key) for w in goal.words)
            if hit:
                total += weight
        if total:
            scores[route] = total
    specific = max((s for r, s in scores.items() if r not in GENERIC_ROUTES), default=0.0)
    for route in GENERIC_ROUTES & scores.keys():
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
    return [MissingRoute(workflow=w, nearest=NEAREST.get(w)) for w in workflows if w in NEAREST]


def _chosen(
    workflows: list[str], params: dict[str, Any], confidence: float, reason: str
) -> RouteDecision:
    """A decided route; release-prep still asks which repository when none was named."""
    decision = RouteDecision(
        workflows=workflows,
        params=params,
        confidence=round(confidence, 2),
        missing=_missing(workflows),
        reason=reason,
    )
    if "release-prep" in workflows and "path" not in params:
        decision.question = (
            "Which repository should the release cover? Answer with its path, "
            "or '.' for the current directory."
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
            options=list(STARTERS),
            reason=reason,
        )
    listed = "; ".join(f"{r} ({DESCRIPTIONS[r]})" for r in candidates)
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
    ranked = sorted(_scores(parsed).items(), key=lambda item: (-item[1], ROUTES.index(item[0])))
    if not ranked:
        return _asking(params, [], "no route's words appear in the goal", 0.0)
    top, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    shown = ", ".join(f"{r} {s:g}" for r, s in ranked[:4])
    strong = [r for r, s in ranked if s >= MULTI_SCORE and r not in GENERIC_ROUTES]
    rest = max((s for r, s in ranked if r not in strong), default=0.0)
    if parsed.conjoined and len(strong) > 1 and ranked[len(strong) - 1][1] - rest >= 1:
        return _chosen(strong, params, 0.8, f"several clear routes ({shown})")
    confidence = min(best / 3, 1.0) * (0.5 + 0.5 * (best - second) / best)
    if best >= MIN_SCORE and confidence >= CONFIDENT:
        return _chosen([top], params, confidence, f"scores: {shown}")
    floor = max(best / 3, 1.0)
    candidates = [r for r, s in ranked if s >= floor][:4]
    if len(candidates) == 1:
        candidates += [r for r, _ in ranked[1:3]] or [r for r in STARTERS if r not in candidates][
            :2
        ]
    return _asking(params, candidates, f"no clear winner ({shown})", confidence)


def _option(answer: str, options: list[str]) -> str | None:
    text = answer.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    for candidate in (*options, *ROUTES):
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
    routes = [o for o in decision.options if o in DESCRIPTIONS]
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
        elif name in FUTURE_WORKFLOWS:
            nearest = NEAREST.get(name)
            alternative = f"nearest: {nearest}" if nearest else "no close alternative exists"
            parts.append(f"{name} is not available yet; {alternative}")
        elif name not in CATALOG:
            parts.append(f"{name} is not registered in this attune's catalog")
        else:
            parts.append(f"run {name}")
    return "; ".join(parts)


def route_instructions() -> str:
    listed = "\n".join(f"- {name}: {text}" for name, text in DESCRIPTIONS.items())
    return (
        "You route a developer's goal to attune workflows. Pick route names only from "
        f"this list:\n{listed}\n"
        "Answer with the route(s) that serve the goal, best first. When the goal is too "
        "vague to choose, leave `workflows` empty and ask one short narrowing `question` "
        "whose `options` are route names.\n"
        f"{schema_instructions(ROUTE_SCHEMA)}"
    )


class RoutePrompt(BaseModel):
    run_key: str
    number: int
    goal: str
    answers: list[str]
    candidates: list[str]


class RouterActivities:
    """Prompt in, answer out, through the artifact store like every LLM task."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn
    async def write_route_prompt(self, request: RoutePrompt) -> ArtifactRef:
        said = "\n".join(f"- {a}" for a in request.answers) or "(nothing yet)"
        user = (
            f"Goal: {request.goal}\nFollow-up answers:\n{said}\n"
            f"A keyword classifier hesitated between: {', '.join(request.candidates) or 'none'}"
        )
        prompt = LLMPrompt(system=route_instructions(), user=user)
        key = f"runs/{request.run_key}/routing-{request.number}.json"
        return self.store.put(key, prompt, PROMPT)

    @activity.defn
    async def read_route_answer(self, state: EscalationState) -> RouteAnswer | None:
        if state.answer is None:
            return None
        raw = json.loads((self.store.root / state.answer.key).read_text())
        parsed = parse_answer(raw["text"], ROUTE_SCHEMA)
        return None if parsed.answer is None else RouteAnswer.model_validate(parsed.answer)


RETRY = RetryPolicy(maximum_attempts=5)


@workflow.defn(name=ROUTER)
class RouterWorkflow:
    @workflow.init
    def __init__(self, request: RouteRequest) -> None:
        self._asked: RouteDecision | None = None
        self._answers: list[str] = []

    @workflow.query(name=QUESTION_QUERY)
    def question(self) -> dict[str, Any] | None:
        if self._asked is None:
            return None
        return {"question": self._asked.question, "options": self._asked.options}

    @workflow.signal(name=ANSWER_SIGNAL)
    def answer(self, text: str) -> None:
        if self._asked is not None:
            self._answers.append(text)

    @workflow.run
    async def run(self, request: RouteRequest) -> RouteResult:
        workflow.upsert_search_attributes([ATTUNE_WORKFLOW.value_set("router")])
        self._stage("classify")
        decision = decide(request.goal, request.answers)
        text = request.goal
        for answer in request.answers:
            text = f"{text}. {answer}"
        for number in range(1, MAX_QUESTIONS + 1):
            if decision.question is None:
                break
            if not decision.workflows and request.llm_available:
                decision = await self._ask_llm(request, decision, number)
                if decision.question is None:
                    break
            reply = await self._ask_person(decision, request.answer_timeout_s)
            if reply is None:
                self._stage("done")
                return RouteResult(decision=decision, message="no answer came; nothing ran")
            text, decision = refine(decision, text, reply)
        if decision.question is not None:
            decision = settle(decision)
        if not decision.workflows:
            self._stage("done")
            return RouteResult(decision=decision, message=describe(decision))
        self._stage("run")
        runnable = [w for w in decision.workflows if w in CATALOG]
        ran = await asyncio.gather(*(self._run_child(w, decision, request) for w in runnable))
        self._stage("done")
        return RouteResult(decision=decision, ran=list(ran), message=describe(decision, ran))

    async def _ask_person(self, decision: RouteDecision, timeout_s: int) -> str | None:
        self._asked = decision
        seen = len(self._answers)
        self._stage("awaiting-answer", awaiting=True)
        try:
            await workflow.wait_condition(
                lambda: len(self._answers) > seen, timeout=timedelta(seconds=timeout_s)
            )
        except TimeoutError:
            return None
        finally:
            self._asked = None
            self._stage("classify", awaiting=False)
        return self._answers[seen]

    async def _ask_llm(
        self, request: RouteRequest, decision: RouteDecision, number: int
    ) -> RouteDecision:
        """Haiku's pick when it is sure; its question, or ours, when it is not or fails."""
        self._stage("ask-llm")
        info = workflow.info()
        run_key = f"{info.workflow_id}/{info.run_id}"
        prompt = await workflow.execute_activity_method(
            RouterActivities.write_route_prompt,
            RoutePrompt(
                run_key=run_key,
                number=number,
                goal=request.goal,
                answers=[*request.answers, *self._answers],
                candidates=decision.options,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Write the routing prompt",
        )
        try:
            state = await workflow.execute_child_workflow(
                TierEscalationWorkflow.run,
                _llm_task(run_key, number, prompt),
                id=f"{info.workflow_id}-routing-{number}",
                static_summary=f"route: {request.goal[:80]}",
            )
        except ChildWorkflowError:
            return decision
        answer = await workflow.execute_activity_method(
            RouterActivities.read_route_answer,
            state,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Read the routing answer",
        )
        if answer is None:
            return decision
        routes = [w for w in answer.workflows if w in DESCRIPTIONS]
        if routes and not answer.question:
            return _chosen(routes, decision.params, answer.confidence, "chosen by Claude")
        options = [o for o in answer.options if o in DESCRIPTIONS] or decision.options
        if answer.question:
            return RouteDecision(
                params=decision.params,
                question=answer.question,
                options=options,
                confidence=answer.confidence,
                reason="question from Claude",
            )
        return decision

    async def _run_child(
        self, name: str, decision: RouteDecision, request: RouteRequest
    ) -> RouteRan:
        entry = CATALOG[name]
        target = posixpath.normpath(
            posixpath.join(request.path, str(decision.params.get("path", ".")))
        )
        fields = entry.request_type.model_fields
        payload = {k: v for k, v in decision.params.items() if k in fields and k != "target"}
        child_request = entry.request_type.model_validate({**payload, "target": target})
        slug = re.sub(r"[^a-z0-9]+", "-", posixpath.basename(target).lower()).strip("-")
        child_id = f"{name}-{(slug or 'root')[:40].rstrip('-')}-{workflow.uuid4().hex[:8]}"
        try:
            result = await workflow.execute_child_workflow(
                name,
                child_request,
                id=child_id,
                result_type=entry.result_type,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(ATTUNE_WORKFLOW, name),
                        SearchAttributePair(ATTUNE_TARGET, target),
                    ]
                ),
                static_summary=f"{name} of {target}",
            )
        except ChildWorkflowError as err:
            cause = err.cause.message if err.cause else str(err)
            return RouteRan(workflow=name, workflow_id=child_id, status=f"failed: {cause}")
        return RouteRan(
            workflow=name, workflow_id=child_id, status=getattr(result, "status", "completed")
        )

    def _stage(self, stage: str, awaiting: bool | None = None) -> None:
        updates = [ATTUNE_STAGE.value_set(stage)]
        if awaiting:
            updates.append(ATTUNE_AWAITING.value_set("answer"))
        elif awaiting is not None:
            updates.append(ATTUNE_AWAITING.value_unset())
        workflow.upsert_search_attributes(updates)


def _llm_task(run_key: str, number: int, prompt: ArtifactRef) -> LLMTask:
    return LLMTask(
        run_key=run_key,
        task_id=f"routing-{number}",
        kind=ROUTING_KIND,
        prompt=prompt,
        output_schema=ROUTE_SCHEMA,
        start_tier=start_tier(ROUTING_KIND),
        ceiling="sonnet",
        max_tokens=512,
    )
