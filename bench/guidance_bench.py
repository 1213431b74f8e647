"""How long one guidance answer takes over the full knowledge base (target: under 5 ms mean).

Questions: every sample question in the content, the public sample (when
../shared is present) and our dev set, each asked once on a freshly loaded
knowledge base (typo look-ups not yet cached), then again (warm). A naive
baseline runs in the same process on the same questions: for each topic,
count the question's words found as substrings of the topic's text, pick
the best. Machines are noisy, so read the ratio as well as the milliseconds.

Run: .venv/bin/python bench/guidance_bench.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.partnership import load_partnership  # noqa: E402 - after the path set-up above
from guidance.emergency import detect  # noqa: E402
from guidance.knowledge import KnowledgeBase, load_knowledge_base  # noqa: E402


def questions(kb: KnowledgeBase) -> list[str]:
    asked = [q for topic in kb.topics.values() for q in topic.questions]
    for path in (
        ROOT.parent / "shared" / "samples" / "guidance-public.jsonl",
        ROOT / "tests" / "guidance" / "data" / "dev-questions.jsonl",
    ):
        if path.exists():
            asked += [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return asked


def naive_baseline(kb: KnowledgeBase) -> Callable[[str], str]:
    texts = {
        t.id: " ".join((t.title, t.answer, *t.questions, *t.keywords)).lower() for t in kb.topics.values()
    }

    def answer(question: str) -> str:
        words = question.lower().split()
        return max(texts, key=lambda topic_id: sum(word in texts[topic_id] for word in words))

    return answer


def timed(call: Callable[[str], object], asked: list[str]) -> list[float]:
    spent = []
    for question in asked:
        start = time.perf_counter()
        call(question)
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def describe(name: str, spent: list[float]) -> str:
    p95 = statistics.quantiles(spent, n=20)[-1]
    return f"{name:<34} mean {statistics.fmean(spent):7.3f} ms   p95 {p95:7.3f} ms   max {max(spent):7.3f} ms"


def main() -> None:
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    start = time.perf_counter()
    kb = load_knowledge_base(partnership)
    loaded = (time.perf_counter() - start) * 1000
    asked = questions(kb)
    cold = timed(kb.answer, asked)
    warm = timed(kb.answer, asked)
    danger = timed(detect, asked)
    baseline = timed(naive_baseline(kb), asked)
    print(
        f"knowledge base: {len(kb.topics)} topics, {len(kb.glossary.entries)} glossary terms; "
        f"loaded in {loaded:.0f} ms; {len(asked)} questions"
    )
    print(describe("kb.answer, first pass (cold)", cold))
    print(describe("kb.answer, second pass (warm)", warm))
    print(describe("emergency.detect alone", danger))
    print(describe("baseline: naive substring scan", baseline))
    ratio = statistics.fmean(cold) / statistics.fmean(baseline)
    print(
        f"kb.answer (cold) / baseline: {ratio:.2f}x; target mean < 5 ms: "
        f"{'met' if statistics.fmean(cold) < 5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
