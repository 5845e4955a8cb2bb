"""research-synthesis's report: the section 6 envelope (activities.reports builds it; its
`findings` stay empty, since a synthesis is no list of code issues) plus `question`,
`sources`, `relevant`, `summaries`, `claims`, `contradictions`, `answer` (the checked LLM
answers) and `warnings`; Markdown that reads as the synthesis, every sentence cited."""

from __future__ import annotations

from typing import Any

from activities import reports
from activities.research_synthesis import engine
from activities.research_synthesis.engine import Analysis
from activities.research_synthesis.llm import AnswerCheck
from workflows.research_synthesis.models import ReportRequest
from workflows.schemas import LLMSummary, SkippedFile

METHOD = {
    "retrieval": "BM25 Okapi (rank-bm25) over stemmed content words",
    "summary": f"sumy LexRank centrality x {1 - engine.RELEVANCE_WEIGHT:g} + BM25 relevance x "
    f"{engine.RELEVANCE_WEIGHT:g}, divided by length ** {engine.LENGTH_PENALTY:g}, "
    f"redundancy cut at TF-IDF cosine {engine.REDUNDANT:g}",
    "claims": f"sentences of two or more sources with TF-IDF cosine >= {engine.AGREE:g}",
    "contradictions": f"same topic (cosine >= {engine.TOPIC:g} without negations and numbers) "
    "and a different negation or different numbers/versions: candidates, not proof",
}


def synthesis_report(
    request: ReportRequest,
    analysis: Analysis | None,
    checks: list[AnswerCheck],
    artifacts: dict[str, str],
    duration_s: float,
) -> dict[str, Any]:
    skipped = [
        SkippedFile(path=r.source, reason=r.reason) for r in request.reads if r.status == "skipped"
    ]
    skipped += [
        SkippedFile(path=path, reason=why) for r in request.reads for path, why in r.skipped
    ]
    documents = sum(r.document_count for r in request.reads)
    report = reports.build_report(
        workflow=request.workflow,
        workflow_id=request.workflow_id,
        run_id=request.run_id,
        status="completed",
        target=request.target,
        started_at=request.started_at,
        duration_s=duration_s,
        summary=reports.summarize([], documents, len(skipped)),
        findings=[],
        skipped=skipped,
        llm=request.llm,
        artifacts=artifacts,
    )
    warnings: list[dict[str, Any]] = [
        {"code": "source-skipped", "message": f"{r.source}: {r.reason}"}
        for r in request.reads
        if r.status == "skipped"
    ]
    read = [r for r in request.reads if r.status == "ok"]
    if len(read) < 2:
        warnings.append(
            {
                "code": "too-few-sources",
                "message": f"{len(read)} source(s) read: nothing to compare across sources",
            }
        )
    for check in checks:
        for claim in check.claims:
            for citation in claim.citations:
                if citation.status != "ok":
                    warnings.append({"code": f"citation-{citation.status}",
                                     "message": f"{check.task_id}: [{citation.citation}] "
                                     f"{citation.status} in: {claim.text[:160]}"})  # fmt: skip
            if claim.unsupported:
                message = f"{check.task_id}: no source for: {claim.text[:160]}"
                warnings.append({"code": "unsupported-claim", "message": message})
    checked = request.checked
    report["question"] = request.question
    report["sources"] = [
        {
            "source": r.source,
            "status": r.status,
            "reason": r.reason,
            "documents": r.document_count,
            "sentences": r.sentence_count,
        }
        for r in request.reads
    ]
    report["method"] = METHOD
    if analysis is not None:
        report["relevant"] = [s.model_dump(mode="json") for s in analysis.relevant]
        report["summaries"] = [s.model_dump(mode="json") for s in analysis.summaries]
        report["claims"] = [c.model_dump(mode="json") for c in analysis.claims]
        report["contradictions"] = [c.model_dump(mode="json") for c in analysis.contradictions]
    report["complexity"] = {
        "complex": request.analyzed.complex_question if request.analyzed else False,
        "reason": request.analyzed.complexity if request.analyzed else "",
    }
    report["answer"] = {
        "final": checked.final_task if checked else None,
        "citations": checked.citations if checked else 0,
        "invalid_citations": checked.invalid_citations if checked else 0,
        "unsupported_claims": checked.unsupported_claims if checked else 0,
        "tasks": [c.model_dump(mode="json") for c in checks],
    }
    report["warnings"] = warnings
    return report


def _cite(citations: list[str]) -> str:
    return " ".join(reports._code(c) for c in citations)


def render_markdown(report: dict[str, Any]) -> str:
    out = [
        f"# attune {report['workflow']}: {reports._inline(report['question'])}",
        "",
        "| | |",
        "|---|---|",
        f"| Status | **{report['status']}** |",
        f"| Target | {reports._code(report['target'], in_table=True)} |",
        f"| Workflow id | {reports._code(report['workflow_id'], in_table=True)} |",
        f"| Started | {report['started_at']} |",
        f"| Duration | {reports._duration(report['duration_s'])} |",
        "",
        "## Sources",
        "",
        "| Source | Status | Documents | Sentences |",
        "|---|---|---:|---:|",
    ]
    for s in report["sources"]:
        status = s["status"] if s["status"] == "ok" else f"skipped: {reports._cell(s['reason'])}"
        out.append(f"| {reports._code(s['source'], in_table=True)} | {status} | "
                   f"{s['documents']} | {s['sentences']} |")  # fmt: skip
    out.append("")
    out += _answer(report)
    if "summaries" in report:
        out += ["## Most relevant sentences (BM25)", ""]
        out += [
            f"- {reports._inline(s['text'])} {_cite([s['citation']])}" for s in report["relevant"]
        ]
        out += ["", "## Extractive summary per source", ""]
        for summary in report["summaries"]:
            out += [f"### {reports._inline(summary['source'])}", ""]
            out += [
                f"- {reports._inline(s['text'])} {_cite([s['citation']])}"
                for s in summary["summary"]
            ]
            out.append("")
        out += ["## Claims in two or more sources", ""]
        if not report["claims"]:
            out += ["None found.", ""]
        for claim in report["claims"]:
            out.append(f"- {reports._inline(claim['text'])} ({len(claim['sources'])} sources: "
                       f"{_cite(claim['citations'])})")  # fmt: skip
        out += ["", "## Candidate contradictions", ""]
        if not report["contradictions"]:
            out += ["None found.", ""]
        for c in report["contradictions"]:
            a, b = c["a"], c["b"]
            out.append(f"- **{c['rule']}** (similarity {c['similarity']:g}): "
                       f"{reports._inline(a['text'])} {_cite([a['citation']])} / "
                       f"{reports._inline(b['text'])} {_cite([b['citation']])}")  # fmt: skip
        out.append("")
    out += ["## Method", ""]
    out += [f"- {name}: {text}" for name, text in report["method"].items()]
    out.append("")
    if report["warnings"]:
        out += ["## Warnings", ""]
        out += [f"- `{w['code']}`: {reports._inline(w['message'])}" for w in report["warnings"]]
        out.append("")
    llm = reports._markdown_llm(LLMSummary.model_validate(report["llm"]))
    out += ["## LLM (Haiku per source, Sonnet across sources, Opus synthesis)", *llm[1:]]
    out += ["## Artifacts", ""]
    out += [
        f"- {name}: {reports._code(path)}" for name, path in sorted(report["artifacts"].items())
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def _answer(report: dict[str, Any]) -> list[str]:
    answer = report["answer"]
    complexity = report["complexity"]
    out = ["## Answer", ""]
    final = next((t for t in answer["tasks"] if t["task_id"] == answer["final"]), None)
    if final is None:
        llm = report["llm"]
        why = llm["reason"] or (
            "no task gave a valid answer" if llm["status"] == "ok" else llm["status"]
        )
        out += [f"No LLM answer ({reports._inline(why)}); the offline synthesis below stands.", ""]
        return out
    out.append(f"By {final['tier']} ({final['kind']}; the question is "
               f"{'complex' if complexity['complex'] else 'not complex'}: "
               f"{reports._inline(complexity['reason'])}). "
               f"{answer['citations']} citations checked, {answer['invalid_citations']} invalid, "
               f"{answer['unsupported_claims']} claims without a source.")  # fmt: skip
    out.append("")
    for claim in final["claims"]:
        bad = [c["citation"] for c in claim["citations"] if c["status"] != "ok"]
        mark = " **(no source)**" if claim["unsupported"] else ""
        mark += f" **(citation not backed: {', '.join(bad)})**" if bad else ""
        out.append(f"> {reports._inline(claim['text'])}{mark}")
        out.append(">")
    out.append("")
    others = [t for t in answer["tasks"] if t["task_id"] != answer["final"]]
    if others:
        out += ["### Per-source and intermediate answers", ""]
        for task in others:
            out += [f"- {task['task_id']} ({task['tier']}): {reports._inline(task['answer'])}"]
        out.append("")
    return out
