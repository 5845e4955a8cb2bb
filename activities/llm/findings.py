"""The LLM stage of the code-intelligence flows: which findings go to Claude, with what
prompt. Haiku triages the most severe findings; Sonnet explains the ones it confirms,
Opus where one rule's findings span several modules (the routing policy's multi-file
case, workflows.tiers).

Any flow whose findings are `Finding` lists uses it: the request names the flow, whose
entry in FLOW_PROMPTS says what "real" means for its kind of finding (a bug pattern, a
slow loop, a review comment); an unknown flow gets a generic one. Prompts go to the
artifact store and travel as references, like the audit's (activities.llm.stage, whose
selection, context and answer reading this reuses); the answers land on the findings
with `apply_outcomes`. Nothing here calls Claude.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass

from pydantic import TypeAdapter
from temporalio import activity

from activities.artifacts import ArtifactStore
from activities.llm.stage import (
    CHARS_PER_TOKEN,
    CONTEXT_LINES,
    DESIGN_SPREAD,
    REMEDIATION_CONTEXT_LINES,
    TRIAGE_BATCH,
    _describe,
    _select,
    _system,
    answers_by_fingerprint,
)
from activities.target import target_dir
from workflows.llm_findings_models import FindingsLLMRequest
from workflows.schemas import Finding, LLMPrompt
from workflows.security_audit.models import PromptPlan

FINDINGS = TypeAdapter(list[Finding])
PROMPT = TypeAdapter(LLMPrompt)
EXPLAIN_BATCH = 20
"""Findings per explanation task: one rule's findings, split when there are more."""


@dataclass(frozen=True)
class FlowPrompts:
    """How a flow's findings are judged: `subject` names them, `real` says when one is a
    true positive, `explain` what an explanation must say."""

    subject: str
    real: str
    explain: str


GENERIC = FlowPrompts(
    subject="findings of a static analysis",
    real="A finding is real (true_positive) when the problem it names exists in the code "
    "shown and matters; it is a false_positive when the code shown proves it wrong or "
    "harmless.",
    explain="why it is a problem here, and the concrete change that fixes it.",
)
FLOW_PROMPTS: dict[str, FlowPrompts] = {
    "bug-predict": FlowPrompts(
        subject="findings of bug-predict, a detector of high-precision bug patterns "
        "(mutable default arguments, late-binding closures, comparisons with themselves, "
        "`is` against literals, unreachable code, shadowed builtins, swallowed exceptions, "
        "missing `await`)",
        real="A finding is real (true_positive) when the pattern can make this code behave "
        "wrongly in a way a caller can observe. It is a false_positive when the code shown "
        "makes the pattern harmless: the default is never mutated, the closure runs inside "
        "the loop, the exception is logged or re-raised, the call returns no coroutine.",
        explain="the wrong behaviour the pattern causes here (the input or call sequence "
        "that triggers it), and the smallest change that removes it.",
    ),
    "performance-audit": FlowPrompts(
        subject="findings of performance-audit (ruff PERF, FURB, C4 and ASYNC rules, work "
        "repeated in loops, ORM queries in loops, quadratic membership tests and string "
        "building)",
        real="A finding is real (true_positive) when the slow pattern sits on a path that "
        "runs often or on data that can grow: a loop body, a request handler, the async "
        "event loop. It is a false_positive when the cost cannot matter: a one-off at import "
        "time, a small constant collection, a loop that runs once.",
        explain="what the code costs as its input grows (complexity, blocking time, query "
        "count), and the faster equivalent with the same behaviour.",
    ),
    "code-review": FlowPrompts(
        subject="review comments of code-review on correctness, maintainability "
        "(complexity, duplication, dead code) and clarity",
        real="A comment is real (true_positive) when acting on it makes the code more "
        "correct or clearly easier to maintain. It is a false_positive when it is wrong "
        "about the code, or when the code does otherwise on purpose (dead code that is a "
        "public API or a plugin hook, complexity a dispatch table needs).",
        explain="the concrete risk or cost of leaving the code as it is, and the change to make.",
    ),
    "pr-review": FlowPrompts(
        subject="review comments of pr-review on the changed lines of a pull request",
        real="A comment is real (true_positive) when the change introduces the problem or "
        "makes it worse, so a reviewer should ask for a change. It is a false_positive when "
        "the changed lines are fine in their context.",
        explain="what the change breaks or risks, and what its author should change before "
        "merging.",
    ),
    "refactor-plan": FlowPrompts(
        subject="items of refactor-plan (hotspots, long functions, deep nesting, "
        "duplicated blocks, dead code, long parameter lists)",
        real="An item is real (true_positive) when refactoring it pays off: the code is "
        "hard to change safely, or changes often. It is a false_positive when the measure "
        "misleads: generated code, a flat dispatch table, a deliberate public signature.",
        explain="the refactoring step by step (what to extract, rename, merge or delete), "
        "and what it makes easier.",
    ),
}


def prompts_for(flow: str) -> FlowPrompts:
    return FLOW_PROMPTS.get(flow, GENERIC)


def triage_system(flow: str) -> str:
    voice = prompts_for(flow)
    return _system(
        f"You triage {voice.subject}, reported by attune on a Python code base.\n"
        f"{voice.real}\n"
        "Say uncertain when the code shown is not enough to tell. Give a one-line "
        "rationale that names the evidence. Judge only from the code and facts given; do "
        "not invent code you cannot see. Set `confidence` to how sure you are of the whole "
        "batch, from 0 to 1.\n",
        "triage",
    )


def explanation_system(flow: str) -> str:
    voice = prompts_for(flow)
    return _system(
        f"You explain {voice.subject}, reported by attune on a Python code base, to "
        "the developer who must act on them. For every finding, `remediation` says "
        f"{voice.explain} Keep it short, with a small code example when it helps. List in "
        "`files` every file the change touches. When a task's findings span several "
        "modules, say what they share and give one change that works across them. Do not "
        "invent code you cannot see. Set `confidence` to how sure you are that the "
        "explanations are correct, from 0 to 1.\n",
        "remediation",
    )


def worth_explaining(finding: Finding, verdict: str | None) -> bool:
    """Triage confirmed it, or it is serious and triage did not reject it."""
    if verdict == "true_positive":
        return True
    return verdict != "false_positive" and finding.severity in ("critical", "high")


def explanation_groups(findings: list[Finding]) -> list[list[Finding]]:
    """One rule's findings together (one change may fix them all), at most
    EXPLAIN_BATCH per task, in rule then location order."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=lambda f: (f.rule_id, f.file, f.line)):
        by_rule[finding.rule_id].append(finding)
    return [
        group[start : start + EXPLAIN_BATCH]
        for _, group in sorted(by_rule.items())
        for start in range(0, len(group), EXPLAIN_BATCH)
    ]


class FindingsLLMActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def _findings(self, request: FindingsLLMRequest) -> list[Finding]:
        return [f for ref in request.findings for f in self.store.get(ref, FINDINGS)]

    def _plan(
        self,
        request: FindingsLLMRequest,
        task_id: str,
        kind: str,
        prompt: LLMPrompt,
        group: list[Finding],
    ) -> PromptPlan:
        key = f"runs/{request.run_key}/llm/{request.flow}-{task_id}-prompt.json"
        return PromptPlan(
            task_id=task_id,
            kind=kind,
            output_schema="triage" if kind == "triage" else "remediation",
            prompt=self.store.put(key, prompt, PROMPT),
            findings=len(group),
            files_spanned=len({f.file for f in group}),
            estimated_input_tokens=(len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN,
        )

    @activity.defn(name="plan_findings_triage")
    async def plan_findings_triage(self, request: FindingsLLMRequest) -> list[PromptPlan]:
        """Batches of the most severe, most confident findings, for Haiku."""
        return await asyncio.to_thread(self._triage, request)

    def _triage(self, request: FindingsLLMRequest) -> list[PromptPlan]:
        root = target_dir(request.target)
        chosen = _select(self._findings(request), request.max_findings)
        system = triage_system(request.flow)
        cache: dict[str, list[str]] = {}
        plans = []
        for number, start in enumerate(range(0, len(chosen), TRIAGE_BATCH), 1):
            batch = chosen[start : start + TRIAGE_BATCH]
            items = [_describe(root, f, CONTEXT_LINES, cache) for f in batch]
            user = "Findings to triage:\n" + json.dumps(items, indent=1)
            prompt = LLMPrompt(system=system, user=user)
            plans.append(self._plan(request, f"triage-{number}", "triage", prompt, batch))
        return plans

    @activity.defn(name="plan_findings_explanation")
    async def plan_findings_explanation(self, request: FindingsLLMRequest) -> list[PromptPlan]:
        """The findings triage kept, grouped by rule: Sonnet explains a group within a
        module or two, Opus one that spans DESIGN_SPREAD modules or more."""
        return await asyncio.to_thread(self._explanation, request)

    def _explanation(self, request: FindingsLLMRequest) -> list[PromptPlan]:
        root = target_dir(request.target)
        judged: dict[str, dict] = {}
        for state in request.triage:
            judged.update(answers_by_fingerprint(self.store, state, "triage"))
        kept = [
            f
            for f in _select(self._findings(request), request.max_findings)
            if worth_explaining(f, judged.get(f.fingerprint, {}).get("verdict"))
        ]
        system = explanation_system(request.flow)
        cache: dict[str, list[str]] = {}
        plans = []
        for number, group in enumerate(explanation_groups(kept), 1):
            files = len({f.file for f in group})
            items = [_describe(root, f, REMEDIATION_CONTEXT_LINES, cache) for f in group]
            spread = f", across {files} modules" if files >= DESIGN_SPREAD else ""
            user = f"Findings of rule {group[0].rule_id}{spread} to explain:\n" + json.dumps(
                items, indent=1
            )
            kind = "design" if files >= DESIGN_SPREAD else "explain"
            prompt = LLMPrompt(system=system, user=user)
            plans.append(self._plan(request, f"explain-{number}", kind, prompt, group))
        return plans
