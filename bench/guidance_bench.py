"""How long one guidance answer takes over the full knowledge base (target: under 5 ms).

Questions: every sample question in the content, the public sample (when
../shared is present) and the dev sets. The baseline is the strongest simple
ranker that does the same job: BM25 over whole topics (bm25s, the project's
own reader features), picking the best topic. Each round asks every question
of both, interleaved in a shuffled order, so load on the machine hits both
alike; figures are medians per question with their quartiles and the 95th
percentile, never a best run. ``kb.answer`` does more (emergency check,
glossary, classifier, BM25, "not sure"), so read the ratio with that in mind.

Run: .venv/bin/python -m bench.guidance_bench [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import bm25s

from common.partnership import load_partnership
from guidance.emergency import detect
from guidance.knowledge import KnowledgeBase, load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent


def questions(kb: KnowledgeBase) -> list[str]:
    asked = [q for topic in kb.topics.values() for q in topic.questions]
    paths = [ROOT.parent / "shared" / "samples" / "guidance-public.jsonl"]
    paths += sorted((ROOT / "tests" / "guidance" / "data").glob("dev-*.jsonl"))
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    asked.append(json.loads(line)["q"])
    return asked


def bm25_baseline(kb: KnowledgeBase) -> Callable[[str], str]:
    ids = list(kb.topics)
    documents = [
        [f for text in (t.title, t.answer, *t.questions, *t.keywords) for f in kb.reader.features(text)]
        for t in kb.topics.values()
    ]
    index = bm25s.BM25()
    index.index(documents, show_progress=False)

    def answer(question: str) -> str:
        features = kb.reader.features(question)
        if not features:
            return ""
        scores = index.get_scores(features)
        return ids[int(scores.argmax())]

    return answer


def describe(name: str, spent: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(spent, n=4)
    p95 = statistics.quantiles(spent, n=20)[-1]
    return f"{name:<34} median {median:6.3f} ms  (quartiles {q1:.3f}-{q3:.3f})  p95 {p95:6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    start = time.perf_counter()
    kb = load_knowledge_base(partnership)
    loaded = (time.perf_counter() - start) * 1000
    baseline = bm25_baseline(kb)
    asked = questions(kb)
    calls: dict[str, Callable[[str], object]] = {
        "kb.answer": kb.answer,
        "baseline: BM25 alone": baseline,
        "emergency.detect alone": detect,
    }
    spent: dict[str, list[float]] = {name: [] for name in calls}
    shuffle = random.Random(12)
    for _ in range(args.rounds):
        order = [(q, name) for q in asked for name in calls]
        shuffle.shuffle(order)
        for question, name in order:
            begin = time.perf_counter()
            calls[name](question)
            spent[name].append((time.perf_counter() - begin) * 1000)
    print(
        f"knowledge base: {len(kb.topics)} topics, {len(kb.glossary.entries)} glossary terms; "
        f"loaded (classifier trained) in {loaded:.0f} ms; {len(asked)} questions x {args.rounds} rounds"
    )
    for name, values in spent.items():
        print(describe(name, values))
    ratio = statistics.median(spent["kb.answer"]) / statistics.median(spent["baseline: BM25 alone"])
    median = statistics.median(spent["kb.answer"])
    print(
        f"kb.answer / baseline (medians): {ratio:.2f}x; target < 5 ms: {'met' if median < 5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
