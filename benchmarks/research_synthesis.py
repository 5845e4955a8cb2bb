"""Benchmark: research-synthesis's offline summary against sumy's LexRank, in one run.

    python benchmarks/research_synthesis.py [--data DIR] [--sentences N] [--json]

Data: the Opinosis development topics in ../shared/benchmarks/summaries (each topic ~100
review sentences, one per line; 4-5 human summaries each). For every topic both methods
pick N sentences (default 2, about the length of the human summaries): attune's engine
(`engine.summarize`, the topic name as the question: "battery-life_amazon_kindle" ->
"battery life amazon kindle") and sumy's LexRankSummarizer with its defaults (threshold
0.1, epsilon 0.1, English stemmer and stop words). Both read the same sentences (the
file's lines) through the same offline tokenizer, so only the selection differs.

Scores: ROUGE-1 and ROUGE-2 from the `rouge-score` package, stemming on, F-measure and
recall, each averaged over a topic's human summaries, then over the topics.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from rouge_score import rouge_scorer

from activities.research_synthesis.engine import lexrank_baseline, summarize

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "summaries"
"""Beside the checkout, as in a clone next to shared/; elsewhere pass --data."""
METRICS = ("rouge1", "rouge2")


def topics(data: Path) -> list[tuple[str, list[str], list[str]]]:
    """(topic, its sentences, its human summaries) for every topic with gold summaries."""
    found = []
    for path in sorted((data / "topics").glob("*.txt.data")):
        topic = path.name.removesuffix(".txt.data")
        gold_dir = data / "gold" / topic
        if not gold_dir.is_dir():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        sentences = [" ".join(line.split()) for line in text.splitlines()]
        gold = [
            p.read_bytes().decode("utf-8", errors="replace") for p in sorted(gold_dir.glob("*"))
        ]
        found.append((topic, [s for s in sentences if s], gold))
    return found


def question_of(topic: str) -> str:
    return " ".join(topic.replace("-", " ").replace("_", " ").split())


def scores(scorer: rouge_scorer.RougeScorer, summary: str, gold: list[str]) -> dict[str, float]:
    """F and recall of each metric, averaged over the human summaries."""
    each = [scorer.score(reference, summary) for reference in gold]
    result = {}
    for metric in METRICS:
        result[f"{metric}_f"] = statistics.fmean(s[metric].fmeasure for s in each)
        result[f"{metric}_r"] = statistics.fmean(s[metric].recall for s in each)
    return result


def run(data: Path, count: int) -> dict[str, object]:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    rows = []
    for topic, sentences, gold in topics(data):
        ours = summarize(question_of(topic), sentences, count)
        base = lexrank_baseline(sentences, count)
        rows.append(
            {
                "topic": topic,
                "attune": scores(scorer, " ".join(sentences[i] for i in ours), gold),
                "lexrank": scores(scorer, " ".join(sentences[i] for i in base), gold),
            }
        )
    keys = [f"{m}_{k}" for m in METRICS for k in ("f", "r")]
    mean = {
        method: {k: round(statistics.fmean(r[method][k] for r in rows), 4) for k in keys}
        for method in ("attune", "lexrank")
    }
    return {"topics": len(rows), "sentences": count, "mean": mean, "per_topic": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sentences", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.data, args.sentences)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    mean = result["mean"]
    print(f"{result['topics']} topics, {result['sentences']} sentences per summary")
    print("| method | ROUGE-1 F | ROUGE-1 R | ROUGE-2 F | ROUGE-2 R |")
    print("|---|---:|---:|---:|---:|")
    for method in ("attune", "lexrank"):
        m = mean[method]
        print(f"| {method} | {m['rouge1_f']:.4f} | {m['rouge1_r']:.4f} | "
              f"{m['rouge2_f']:.4f} | {m['rouge2_r']:.4f} |")  # fmt: skip


if __name__ == "__main__":
    main()
