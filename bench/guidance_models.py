"""Which topic ranker: accuracy on the dev and held-out questions, time per question, install size.

Ranks topics alone (no emergency, glossary or "not sure" logic) for every
answerable question of the dev-* sets and of the frozen held-out set, with:
(a) a linear classifier over tf-idf of the reader's features and character
2-5-grams (LinearSVC, as shipped, and logistic regression), trained on the
topics' sample questions; (b) BM25 over whole topics; (c) a sentence-embedding
model (all-MiniLM-L6-v2, int8 ONNX on onnxruntime) scoring each topic by its
nearest sample question, when the model and a tokenizer file are given; and
the combinations (each score scaled to its best, then averaged).

Run: .venv/bin/python -m bench.guidance_models [--onnx model.onnx --tokenizer tokenizer.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from common.partnership import load_partnership
from guidance.knowledge import load_knowledge_base
from guidance.retrieval import training_samples

ROOT = Path(__file__).resolve().parent.parent

DATA = ROOT / "tests" / "guidance" / "data"
SKIP = {"out-of-scope", "immediate-danger"}
Scores = Callable[[str], dict[str, float]]


def labelled(pattern: str) -> list[dict]:
    rows = [
        json.loads(line)
        for path in sorted(DATA.glob(pattern))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if r.get("topic") and r["topic"] not in SKIP]


def scaled(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else scores


def blend(*rankers: Scores) -> Scores:
    def scores(text: str) -> dict[str, float]:
        parts = [scaled(r(text)) for r in rankers]
        return {k: sum(p.get(k, 0.0) for p in parts) / len(parts) for k in parts[0]}

    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", type=Path, help="all-MiniLM-L6-v2 as ONNX")
    parser.add_argument("--tokenizer", type=Path, help="its tokenizer.json")
    args = parser.parse_args()
    kb = load_knowledge_base(load_partnership(ROOT / "config" / "partnership.example.yaml"))
    reader = kb.reader
    texts, labels = zip(*training_samples(kb.topics.values()), strict=True)

    def linear(model) -> Scores:
        words = TfidfVectorizer(analyzer=reader.features, sublinear_tf=True)
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=reader.corrected
        )
        fitted = model.fit(hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr(), labels)

        def scores(text: str) -> dict[str, float]:
            row = hstack([words.transform([text]), chars.transform([text])]).tocsr()
            values = fitted.decision_function(row)[0]
            return dict(zip(fitted.classes_, np.clip((values + 1) / 2, 0, None) + 1e-9, strict=True))

        return scores

    def bm25(text: str) -> dict[str, float]:
        features = reader.features(text)  # the shipped index holds the BM25 model: use it directly
        values = kb.index._bm25.get_scores(features) if features else np.zeros(len(kb.index._ids))
        return dict(zip([kb.index._topics[i] for i in kb.index._ids], values, strict=True))

    rankers: dict[str, Scores] = {
        "(a) LinearSVC word+char": linear(LinearSVC(C=kb.language.tuning.regularisation)),
        "(a') logistic regression word+char": linear(LogisticRegression(C=10, max_iter=3000)),
        "(b) BM25": bm25,
    }
    rankers["(a)+(b) as shipped"] = blend(rankers["(a) LinearSVC word+char"], bm25)
    if args.onnx and args.tokenizer:
        rankers.update(embedding_rankers(args.onnx, args.tokenizer, texts, labels, rankers))
    sets = {"dev": labelled("dev-*.jsonl"), "held-out": labelled("heldout-questions.jsonl")}
    sets["held-out hard"] = [r for r in sets["held-out"] if r.get("hard")]
    print(
        "| ranker | "
        + " | ".join(f"{k} ({len(v)})" for k, v in sets.items())
        + " | ms/question (median, IQR) |"
    )
    print("|---|" + "---|" * (len(sets) + 1))
    for name, ranker in rankers.items():
        cells, spent = [], []
        for rows in sets.values():
            right = 0
            for row in rows:
                start = time.perf_counter()
                scores = ranker(row["q"])
                spent.append((time.perf_counter() - start) * 1000)
                right += max(scores, key=scores.__getitem__) == row["topic"]
            cells.append(f"{100 * right / len(rows):.1f}%")
        q1, median, q3 = statistics.quantiles(spent, n=4)
        print(f"| {name} | " + " | ".join(cells) + f" | {median:.2f} ({q1:.2f}-{q3:.2f}) |")


def embedding_rankers(onnx: Path, tokenizer: Path, texts, labels, rankers) -> dict[str, Scores]:
    import onnxruntime
    from tokenizers import Tokenizer

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(tokenizer))
    tok.enable_truncation(128)
    tok.enable_padding()

    def embed(batch: list[str]) -> np.ndarray:
        encoded = tok.encode_batch(batch)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feeds)[0]
        vectors = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    matrix = np.vstack([embed(list(texts[i : i + 64])) for i in range(0, len(texts), 64)])
    owner = np.array(labels)
    topics = sorted(set(labels))

    def nearest(text: str) -> dict[str, float]:
        similarity = matrix @ embed([text])[0]
        return {t: float(similarity[owner == t].max()) for t in topics}

    svm = rankers["(a) LinearSVC word+char"]
    return {
        "(c) MiniLM int8 nearest question": nearest,
        "(a)+(c)": blend(svm, nearest),
        "(a)+(b)+(c)": blend(svm, rankers["(b) BM25"], nearest),
    }


if __name__ == "__main__":
    main()
