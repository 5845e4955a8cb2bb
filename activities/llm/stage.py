"""The LLM stages of an audit: which findings go to Claude, with what prompt, and how
the answers land back on the findings.

Prompts are written to the artifact store and travel as references; the answers are
read back from the raw outputs the call activity stored. Nothing here calls Claude.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pydantic import TypeAdapter
from temporalio import activity

from activities.artifacts import ArtifactStore
from activities.llm.outputs import parse_answer, schema_instructions
from activities.security_audit.baseline import suppress_in_activity
from activities.security_audit.scanning import FINDINGS, stored_batch_results
from activities.target import target_dir
from workflows.schemas import (
    SEVERITY_RANK,
    AnswerRequest,
    ArtifactRef,
    EscalationState,
    Finding,
    LLMPrompt,
    LLMVerdict,
    PromptRequest,
)
from workflows.security_audit.models import LLMOutcome, LLMStageRequest, PromptPlan

PROMPT = TypeAdapter(LLMPrompt)
TRIAGE_BATCH = 40
CONTEXT_LINES = 3
REMEDIATION_CONTEXT_LINES = 8
DESIGN_SPREAD = 3
CHARS_PER_TOKEN = 4

TRIAGE_SYSTEM = """\
You triage findings of a static security audit of a Python code base (attune).
For every finding decide whether it is a real, exploitable or risky issue
(true_positive), a false alarm in this context (false_positive), or whether the code
shown is not enough to tell (uncertain). Give a one-line rationale that names the
evidence. Judge only from the code and facts given; do not invent code you cannot see.
Set `confidence` to how sure you are of the whole batch, from 0 to 1.
"""

REMEDIATION_SYSTEM = """\
You write remediations for confirmed findings of a static security audit of a Python
code base (attune). For every finding give a concrete fix: what to change, the safe
API or pattern to use, and a short code example when it helps. List in `files` every
file the fix touches. Do not invent code you cannot see. Set `confidence` to how sure
you are that the fixes are correct and complete, from 0 to 1.
"""


def _select(findings: list[Finding], limit: int) -> list[Finding]:
    """The most severe, most confident open findings first, up to `limit`: a suppressed
    finding is not worth a model's time."""
    ranked = sorted(
        (f for f in findings if f.is_open),
        key=lambda f: (-SEVERITY_RANK[f.severity], f.confidence != "high", f.file, f.line),
    )
    return ranked[:limit]


def _context(root: Path, finding: Finding, radius: int, cache: dict[str, list[str]]) -> str:
    if finding.file not in cache:
        try:
            text = (root / finding.file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        cache[finding.file] = text.splitlines()
    lines = cache[finding.file]
    start = max(finding.line - 1 - radius, 0)
    end = min(finding.line + radius, len(lines))
    return "\n".join(f"{n + 1:>5} {lines[n]}" for n in range(start, end))


def _describe(root: Path, finding: Finding, radius: int, cache: dict[str, list[str]]) -> dict:
    return {
        "fingerprint": finding.fingerprint,
        "rule": finding.rule_id,
        "tools": finding.tools,
        "cwe": finding.cwe,
        "severity": finding.severity,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "code": _context(root, finding, radius, cache),
    }


def _system(text: str, schema: str) -> str:
    return f"{text}\n{schema_instructions(schema)}"


def answers_by_fingerprint(
    store: ArtifactStore, state: EscalationState, schema: str
) -> dict[str, dict]:
    """The validated items of a task's best answer, keyed by finding fingerprint."""
    if state.answer is None:
        return {}
    raw = store.read_json(state.answer)
    parsed = parse_answer(raw["text"], schema)
    if parsed.answer is None:
        return {}
    items = parsed.answer.get("verdicts") or parsed.answer.get("fixes") or []
    return {item["fingerprint"]: item for item in items}


def apply_outcomes(
    store: ArtifactStore, findings: list[Finding], outcomes: list[LLMOutcome]
) -> list[Finding]:
    """Put verdicts and fixes into each finding's `llm` block; nothing is dropped."""
    verdicts: dict[str, tuple[dict, str]] = {}
    fixes: dict[str, tuple[dict, str]] = {}
    for outcome in outcomes:
        target = verdicts if outcome.kind == "triage" else fixes
        tier = outcome.state.answer_tier or outcome.state.tier
        schema = "triage" if outcome.kind == "triage" else "remediation"
        for fingerprint, item in answers_by_fingerprint(store, outcome.state, schema).items():
            target[fingerprint] = (item, tier)
    for finding in findings:
        verdict, fix = verdicts.get(finding.fingerprint), fixes.get(finding.fingerprint)
        if verdict is None and fix is None:
            continue
        finding.llm = LLMVerdict(
            verdict=verdict[0]["verdict"] if verdict else "uncertain",
            rationale=verdict[0]["rationale"] if verdict else "",
            remediation=fix[0]["remediation"] if fix else None,
            tier=(fix or verdict)[1],
        )
    return findings


class LLMStageActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def _findings(self, request: LLMStageRequest) -> list[Finding]:
        batches = (
            request.batches
            if request.batch_count is None
            else stored_batch_results(self.store, request.run_key, request.batch_count)
        )
        findings = [f for b in batches for f in self.store.get(b.findings, FINDINGS)]
        if request.baseline is not None:
            suppress_in_activity(findings, request.baseline)  # known findings cost no tokens
        return findings

    def _write(self, request: LLMStageRequest, task_id: str, prompt: LLMPrompt) -> tuple:
        ref = self.store.put(f"runs/{request.run_key}/llm/{task_id}-prompt.json", prompt, PROMPT)
        return ref, (len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN

    @activity.defn(name="write_prompt")
    async def write_prompt(self, request: PromptRequest) -> ArtifactRef:
        key = f"runs/{request.run_key}/llm/{request.task_id}-prompt.json"
        return self.store.put(key, request.prompt, PROMPT)

    @activity.defn(name="read_answer")
    async def read_answer(self, request: AnswerRequest) -> dict:
        """The validated answer of a finished LLM task (small: a step's result)."""
        raw = self.store.read_json(request.answer)
        parsed = parse_answer(raw["text"], request.output_schema)
        return parsed.answer or {}

    @activity.defn(name="plan_triage")
    async def plan_triage(self, request: LLMStageRequest) -> list[PromptPlan]:
        root = target_dir(request.target)
        chosen = _select(self._findings(request), request.max_findings)
        cache: dict[str, list[str]] = {}
        system = _system(TRIAGE_SYSTEM, "triage")
        plans = []
        for number, start in enumerate(range(0, len(chosen), TRIAGE_BATCH), 1):
            batch = chosen[start : start + TRIAGE_BATCH]
            items = [_describe(root, f, CONTEXT_LINES, cache) for f in batch]
            user = "Findings to triage:\n" + json.dumps(items, indent=1)
            ref, tokens = self._write(
                request, f"triage-{number}", LLMPrompt(system=system, user=user)
            )
            plans.append(
                PromptPlan(
                    task_id=f"triage-{number}",
                    kind="triage",
                    output_schema="triage",
                    prompt=ref,
                    findings=len(batch),
                    estimated_input_tokens=tokens,
                )
            )
        return plans

    @activity.defn(name="plan_remediation")
    async def plan_remediation(self, request: LLMStageRequest) -> list[PromptPlan]:
        """Critical and high findings not judged false positives: Sonnet writes their fixes,
        Opus where one rule hits several files (a design-level fix)."""
        root = target_dir(request.target)
        judged: dict[str, dict] = {}
        for state in request.triage:
            judged.update(answers_by_fingerprint(self.store, state, "triage"))
        serious = [
            f
            for f in _select(self._findings(request), request.max_findings)
            if f.severity in ("critical", "high")
            and judged.get(f.fingerprint, {}).get("verdict") != "false_positive"
        ]
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in serious:
            by_rule[finding.rule_id].append(finding)
        system = _system(REMEDIATION_SYSTEM, "remediation")
        cache: dict[str, list[str]] = {}
        plans = []
        for number, (rule, group) in enumerate(sorted(by_rule.items()), 1):
            files = len({f.file for f in group})
            items = [_describe(root, f, REMEDIATION_CONTEXT_LINES, cache) for f in group]
            user = f"Findings of rule {rule} to fix:\n" + json.dumps(items, indent=1)
            task_id = f"remediation-{number}"
            ref, tokens = self._write(request, task_id, LLMPrompt(system=system, user=user))
            plans.append(
                PromptPlan(
                    task_id=task_id,
                    kind="design" if files >= DESIGN_SPREAD else "remediation",
                    output_schema="remediation",
                    prompt=ref,
                    findings=len(group),
                    files_spanned=files,
                    estimated_input_tokens=tokens,
                )
            )
        return plans
