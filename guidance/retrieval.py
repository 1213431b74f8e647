"""Rank topics for a question: tf-idf cosine over sample questions and whole topics.

A topic scores by its closest sample question (how staff actually ask) blended
with the whole topic (title, questions, keywords and answer), so a phrasing
nobody wrote down can still land on the right words. The score is a cosine,
0..1, and is the confidence the bot reports.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from guidance.language import Reader
from guidance.model import Topic

UNKNOWN_WORD_SHARE = 0.6  # an unseen word weighs this share of the rarest known word


@dataclass(frozen=True)
class Match:
    topic: str
    score: float


@dataclass(frozen=True)
class Ranking:
    """Topics best first, and how much the question said that the knowledge base recognises.

    ``evidence`` is the summed idf of the distinct known features: "help with a
    case please" scores a few points, a real question about a topic ten or more,
    so a vague message is not mistaken for a confident match. ``on_topic`` says
    whether any word belongs to the field at all (see language.yaml).
    """

    matches: tuple[Match, ...]
    evidence: float
    on_topic: bool

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def _vector(features: Iterable[str], idf: Mapping[str, float], unknown: float) -> dict[str, float]:
    counts = Counter(features)
    vector = {f: (1.0 + math.log(n)) * idf.get(f, unknown) for f, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {f: w / norm for f, w in vector.items()}


class Index:
    """An inverted index over every topic's sample questions and its whole text."""

    def __init__(self, topics: Iterable[Topic], reader: Reader, weight_questions: float) -> None:
        self._reader = reader
        self._weight = weight_questions
        topic_features: dict[str, list[str]] = {}
        question_features: list[tuple[str, list[str]]] = []
        for topic in topics:
            questions = [topic.title, *topic.questions]
            parsed = [reader.features(q, correct=False) for q in questions]
            question_features.extend((topic.id, f) for f in parsed)
            whole = [f for part in parsed for f in part]
            whole += reader.features(" ".join(topic.keywords) + " " + topic.answer, correct=False)
            topic_features[topic.id] = whole
        total = len(topic_features)
        frequency: Counter[str] = Counter()
        for features in topic_features.values():
            frequency.update(set(features))
        self._idf = {f: math.log((total + 1) / (n + 1)) + 1.0 for f, n in frequency.items()}
        self._unknown = UNKNOWN_WORD_SHARE * max(self._idf.values())
        self._topics = list(topic_features)
        self._question_topic: list[str] = []
        self._questions: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, (topic_id, features) in enumerate(question_features):
            self._question_topic.append(topic_id)
            for feature, weight in _vector(features, self._idf, self._unknown).items():
                self._questions[feature].append((number, weight))
        self._whole: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for topic_id, features in topic_features.items():
            for feature, weight in _vector(features, self._idf, self._unknown).items():
                self._whole[feature].append((topic_id, weight))

    def rank(self, text: str) -> Ranking:
        """Every topic with a non-zero score, best first, with the question's evidence."""
        features = self._reader.features(text)
        query = _vector(features, self._idf, self._unknown)
        best_question: dict[str, float] = {}
        by_question: dict[int, float] = defaultdict(float)
        whole: dict[str, float] = defaultdict(float)
        for feature, weight in query.items():
            for number, other in self._questions.get(feature, ()):
                by_question[number] += weight * other
            for topic_id, other in self._whole.get(feature, ()):
                whole[topic_id] += weight * other
        for number, score in by_question.items():
            topic_id = self._question_topic[number]
            if score > best_question.get(topic_id, 0.0):
                best_question[topic_id] = score
        scores = {
            t: self._weight * best_question.get(t, 0.0) + (1 - self._weight) * whole.get(t, 0.0)
            for t in set(best_question) | set(whole)
        }
        matches = sorted((Match(t, s) for t, s in scores.items() if s > 0), key=lambda m: -m.score)
        evidence = sum(self._idf.get(f, 0.0) for f in set(features))
        return Ranking(tuple(matches), evidence, self._reader.on_topic(features))
