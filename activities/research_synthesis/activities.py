"""research-synthesis's activities: thin typed wrappers around the source readers, the
offline engine, the Claude prompts, the citation check and the report."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter
from temporalio import activity

from activities import reports
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts
from activities.heartbeats import heartbeating
from activities.llm.stage import CHARS_PER_TOKEN
from activities.research_synthesis.engine import Analysis, analyse
from activities.research_synthesis.llm import (
    AnswerCheck,
    SentenceIndex,
    analysis_prompt,
    answer_text,
    check_answer,
    source_material,
    summary_prompt,
    synthesis_prompt,
)
from activities.research_synthesis.report import render_markdown, synthesis_report
from activities.research_synthesis.sources import Document, Sentence, SourceProblem, read_source
from activities.target import target_dir
from workflows.research_synthesis.models import (
    AnalyzeRequest,
    AnalyzeResult,
    CheckRequest,
    CheckResult,
    LLMPlanRequest,
    ReadRequest,
    ReadResult,
    ReportOutcome,
    ReportRequest,
)
from workflows.schemas import LLMPrompt
from workflows.security_audit.models import LLMOutcome, PromptPlan
from workflows.tiers import complex_question

DOCUMENTS = TypeAdapter(list[Document])
SENTENCES = TypeAdapter(list[Sentence])
ANALYSIS = TypeAdapter(Analysis)
CHECKS = TypeAdapter(list[AnswerCheck])
PROMPT = TypeAdapter(LLMPrompt)
ARTIFACTS = RunArtifacts("research-synthesis")
MAX_SKIPPED_SHOWN = 50
FINAL_KINDS = ("synthesis", "analysis")
"""The answer a reader gets: Opus's synthesis when it ran, else Sonnet's analysis."""


def read_one(store: ArtifactStore, request: ReadRequest) -> ReadResult:
    """One source into stored documents; a source that cannot be read is `skipped`."""
    root = target_dir(request.target)
    try:
        documents, skipped = read_source(root, request.source, request.url_timeout_s)
        if len(skipped) > MAX_SKIPPED_SHOWN:  # the result travels in the workflow's history
            more = len(skipped) - MAX_SKIPPED_SHOWN
            skipped = [
                *skipped[:MAX_SKIPPED_SHOWN],
                (request.source, f"{more} more unreadable files"),
            ]
    except SourceProblem as err:
        reason = str(err).removeprefix(f"{request.source}: ")  # the report names the source
        return ReadResult(source=request.source, status="skipped", reason=reason)
    sentences = sum(len(d.sentences) for d in documents)
    if sentences == 0:
        return ReadResult(
            source=request.source, status="skipped", reason="no sentences", skipped=skipped
        )
    key = f"{ARTIFACTS.run_base(request.run_key)}/source-{request.index}.json"
    return ReadResult(
        source=request.source,
        status="ok",
        documents=store.put(key, documents, DOCUMENTS, len(documents)),
        document_count=len(documents),
        sentence_count=sentences,
        skipped=skipped,
    )


def documents_of(store: ArtifactStore, reads: list[ReadResult]) -> list[Document]:
    return [d for r in reads if r.documents is not None for d in store.get(r.documents, DOCUMENTS)]


def analyze(store: ArtifactStore, request: AnalyzeRequest) -> AnalyzeResult:
    documents = documents_of(store, request.reads)
    analysis = analyse(
        request.question,
        documents,
        summary_sentences=request.summary_sentences,
        top_relevant=request.top_relevant,
    )
    sentences = [s for d in documents for s in d.sentences]
    read = sum(1 for r in request.reads if r.status == "ok")
    complex_, why = complex_question(request.question, read)
    base = ARTIFACTS.run_base(request.run_key)
    return AnalyzeResult(
        analysis=store.put(f"{base}/analysis.json", analysis, ANALYSIS),
        sentences=store.put(f"{base}/sentences.json", sentences, SENTENCES, len(sentences)),
        sentence_count=len(sentences),
        claims=len(analysis.claims),
        contradictions=len(analysis.contradictions),
        complex_question=complex_,
        complexity=why,
    )


def answers(store: ArtifactStore, outcomes: list[LLMOutcome]) -> list[tuple[LLMOutcome, str]]:
    """The valid answers of finished tasks, as text."""
    found = []
    for outcome in outcomes:
        if outcome.state.answer is None:
            continue
        text = answer_text(store.read_json(outcome.state.answer)["text"])
        if text is not None:
            found.append((outcome, text))
    return found


def plan_step(store: ArtifactStore, request: LLMPlanRequest) -> list[PromptPlan]:
    """The prompts of one step, stored; the workflow runs each as a TierEscalation."""
    analysis = store.get(request.analysis, ANALYSIS)
    earlier = answers(store, request.earlier)
    summaries = [f"{o.state.task_id}: {text}" for o, text in earlier if o.kind == "summarization"]
    base = f"{ARTIFACTS.run_base(request.run_key)}/llm"
    prompts: list[tuple[str, str, LLMPrompt]] = []
    if request.step == "summaries":
        relevant = [s.citation for s in analysis.relevant]
        for number, read in enumerate(request.reads):
            if read.documents is None:
                continue
            sentences = [s for d in store.get(read.documents, DOCUMENTS) for s in d.sentences]
            own = next(s for s in analysis.summaries if s.source == read.source)
            mine = {s.citation for s in sentences}
            material = source_material(
                [c for c in relevant if c in mine], [s.citation for s in own.summary], sentences
            )
            prompt = summary_prompt(request.question, read.source, material)
            prompts.append((f"summary-{number}", "summarization", prompt))
    elif request.step == "analysis":
        prompts.append(
            ("analysis", "analysis", analysis_prompt(request.question, analysis, summaries))
        )
    else:
        cross = next((text for o, text in earlier if o.kind == "analysis"), "(none)")
        prompt = synthesis_prompt(request.question, analysis, summaries, cross)
        prompts.append(("synthesis", "synthesis", prompt))
    return [
        PromptPlan(
            task_id=task_id,
            kind=kind,
            output_schema="answer",
            prompt=store.put(f"{base}/{task_id}-prompt.json", prompt, PROMPT),
            findings=0,
            files_spanned=1,
            estimated_input_tokens=(len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN,
        )
        for task_id, kind, prompt in prompts
    ]


def check(store: ArtifactStore, request: CheckRequest) -> CheckResult:
    """Every answer's citations held to the sources it was given."""
    index = SentenceIndex(store.get(request.sentences, SENTENCES))
    checks = [
        check_answer(o.state.task_id, o.kind, o.state.answer_tier, text, index)
        for o, text in answers(store, request.outcomes)
    ]
    final = next((c.task_id for kind in FINAL_KINDS for c in checks if c.kind == kind), None)
    citations = [c for a in checks for c in a.citations]
    key = f"{ARTIFACTS.run_base(request.run_key)}/checks.json"
    return CheckResult(
        checks=store.put(key, checks, CHECKS, len(checks)),
        citations=len(citations),
        invalid_citations=sum(1 for c in citations if c.status != "ok"),
        unsupported_claims=sum(1 for a in checks for claim in a.claims if claim.unsupported),
        final_task=final,
    )


def write_report(store: ArtifactStore, request: ReportRequest) -> ReportOutcome:
    analysis = store.get(request.analyzed.analysis, ANALYSIS) if request.analyzed else None
    checks = store.get(request.checked.checks, CHECKS) if request.checked else []
    out_dir = Path(request.out_dir) if request.out_dir else store.run_dir(request.workflow_id)
    paths = reports.artifact_paths(out_dir)
    paths.pop("sarif")
    duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
    report = synthesis_report(request, analysis, checks, paths, duration)
    Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
    reports._atomic_write(Path(paths["markdown"]), render_markdown(report))
    reports._atomic_write(
        Path(paths["json"]), json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    )
    return ReportOutcome(
        artifacts=store.publish(paths),
        warnings=[w["message"] for w in report["warnings"]],
        duration_s=duration,
    )


class ResearchSynthesisActivities:
    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    @activity.defn(name="research_read_source")
    async def read(self, request: ReadRequest) -> ReadResult:
        """Heartbeats while it reads: a folder of PDFs or a long git log takes a while."""
        return await heartbeating(lambda: read_one(self.store, request))

    @activity.defn(name="research_analyze")
    async def analyze(self, request: AnalyzeRequest) -> AnalyzeResult:
        return await heartbeating(lambda: analyze(self.store, request))

    @activity.defn(name="research_plan_llm")
    async def plan_llm(self, request: LLMPlanRequest) -> list[PromptPlan]:
        return await asyncio.to_thread(plan_step, self.store, request)

    @activity.defn(name="research_check_citations")
    async def check_citations(self, request: CheckRequest) -> CheckResult:
        return await asyncio.to_thread(check, self.store, request)

    @activity.defn(name="research_report")
    async def report(self, request: ReportRequest) -> ReportOutcome:
        return await asyncio.to_thread(write_report, self.store, request)
