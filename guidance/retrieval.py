"""Rank topics for a question: a linear classifier over word and character n-grams, with BM25.

The classifier (scikit-learn's linear support-vector classifier, one topic
against the rest, over tf-idf of the reader's features, i.e. stems and synonym
concepts, and of character 2-5-grams, which survive typos and word forms) is
trained at start-up on every topic's title, sample questions and keywords: the
content is the training data, so a new sample question improves the model with
no code change. Questions that no topic answers
(``guidance/data/not-guidance.yaml``) are one more class, so pay, IT or small
talk is recognised as such rather than forced onto the nearest topic. BM25 over
each whole topic (questions, keywords and answer) adds the words the samples
never used.

Topics are ordered by the mean of the two scores, each scaled to its best; that
mean times the classifier's best decision value (mapped onto 0..1) is the
confidence the bot reports, so it is the classifier's own when both agree.
Logistic regression ranked as well on the dev sets but took ten times longer to
train at start-up. The README compares the methods measured (the hand-written
tf-idf this replaced, BM25, a sentence-embedding model, and their combinations).

Inference is done here with the fitted vocabularies and weights rather than
through scikit-learn's ``transform``/``decision_function``, whose per-call checks
cost more than the arithmetic for one short question.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml
from guidance.language import DATA_DIR, Reader
from guidance.linear import Block
from guidance.model import GLOSSARY_TOPIC, Topic

NOT_GUIDANCE_FILE = DATA_DIR / "not-guidance.yaml"
OUTSIDE = "out-of-scope"  # the classifier's class for questions that no topic answers
CHAR_NGRAMS = (2, 5)
MAX_ITERATIONS = 5000


@dataclass(frozen=True)
class Match:
    topic: str
    score: float


@dataclass(frozen=True)
class Ranking:
    """Topics best first, and how much the question said that the knowledge base recognises.

    ``score`` is the confidence in the topic (0..1, see the module docstring). ``evidence`` is
    the summed idf (over whole topics) of the distinct known features: "help with a case please"
    scores a few points, a real question about a topic ten or more, so a vague
    message is not mistaken for a confident match. ``on_topic`` says whether
    any word belongs to the field at all (see language.yaml).
    """

    matches: tuple[Match, ...]
    evidence: float
    on_topic: bool
    outside: bool = False  # the classifier put the question with the examples no topic answers

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def load_examples(path: Path = NOT_GUIDANCE_FILE) -> tuple[str, ...]:
    """The questions no topic answers (``examples:``, a list of texts); ContentError names file and line."""
    data = load_yaml(path)
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list) or not examples:
        line = line_of(data) if isinstance(data, dict) else 1
        raise ContentError(str(path), line, "expected an 'examples:' list of questions")
    for example in examples:
        if not isinstance(example, str) or not example.strip():
            raise ContentError(str(path), line_of(data), f"an example must be a text, not {example!r}")
    return tuple(str(e) for e in examples)


def training_samples(topics: Iterable[Topic]) -> list[tuple[str, str]]:
    """(text, topic id) pairs: titles, sample questions, keywords, and each glossary term asked about."""
    samples = []
    for topic in topics:
        samples += [(text, topic.id) for text in (topic.title, *topic.questions)]
        if topic.keywords:
            samples.append((" ".join(topic.keywords), topic.id))
        for entry in topic.terms:
            samples.append((f"what is {entry.term}", GLOSSARY_TOPIC))
            samples.append((f"what does {entry.expansion} mean", GLOSSARY_TOPIC))
    return samples


class _Unkeyed:
    """Carries a value past the cache's key: equal to any other, so only the fingerprint counts."""

    def __init__(self, value: Reader) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unkeyed)

    def __hash__(self) -> int:
        return 0


@lru_cache(maxsize=4)
def _trained(
    topics: tuple[Topic, ...], reading: str, regularisation: float, outside: tuple[str, ...], reader: _Unkeyed
) -> Index:
    return Index(topics, reader.value, regularisation, outside)


def trained_index(
    topics: tuple[Topic, ...], reader: Reader, regularisation: float, outside: tuple[str, ...] = ()
) -> Index:
    """``Index(...)``, trained once per process for the same content and language data (the
    reader's fingerprint): every app built from the same files shares one fitted model, so
    start-up pays for training once, not once per app."""
    return _trained(tuple(topics), reader.fingerprint, regularisation, tuple(outside), _Unkeyed(reader))


class Index:
    """The trained ranker over every topic, built once per knowledge base."""

    def __init__(
        self, topics: Iterable[Topic], reader: Reader, regularisation: float, outside: Iterable[str] = ()
    ) -> None:
        topics = tuple(topics)
        self._reader = reader
        samples = training_samples(topics) + [(text, OUTSIDE) for text in outside]
        texts, labels = zip(*samples, strict=True)
        words = TfidfVectorizer(analyzer=reader.features, sublinear_tf=True)
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, preprocessor=reader.corrected
        )
        features = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
        model = LinearSVC(C=regularisation, max_iter=MAX_ITERATIONS).fit(features, labels)
        self._topics: tuple[str, ...] = tuple(model.classes_)
        width = len(words.vocabulary_)
        self._word_weights = np.ascontiguousarray(model.coef_[:, :width].T)
        self._char_weights = np.ascontiguousarray(model.coef_[:, width:].T)
        self._bias = model.intercept_
        self._words = Block(words, reader.features)
        self._chars = Block(chars, chars.build_analyzer())
        by_id = {t.id: t for t in topics}
        self._outside = self._topics.index(OUTSIDE) if OUTSIDE in self._topics else None
        self._ids = [i for i in range(len(self._topics)) if i != self._outside]
        documents = [
            [
                f
                for text in (by_id[i].title, *by_id[i].questions, *by_id[i].keywords, by_id[i].answer)
                for f in reader.features(text, correct=False)
            ]
            for i in (self._topics[n] for n in self._ids)
        ]
        self._bm25 = bm25s.BM25()
        self._bm25.index(documents, show_progress=False)
        frequency = Counter(f for document in documents for f in set(document))
        total = len(documents)
        self._idf = {f: math.log((total + 1) / (n + 1)) + 1.0 for f, n in frequency.items()}

    def _confidences(self, text: str) -> np.ndarray:
        """Each topic's decision value, mapped from [-1, 1] (the margins) onto [0, 1]."""
        word_columns, word_values = self._words.vector(text)
        char_columns, char_values = self._chars.vector(text)
        decision = self._bias + word_values @ self._word_weights[word_columns]
        decision = decision + char_values @ self._char_weights[char_columns]
        clipped: np.ndarray = np.clip((decision + 1.0) / 2.0, 0.0, 1.0)
        return clipped

    def rank(self, text: str) -> Ranking:
        """Every topic, best first, with the question's evidence (see the module docstring)."""
        features = self._reader.features(text)
        every = self._confidences(text)
        outside = self._outside is not None and int(np.argmax(every)) == self._outside
        confidences = every[self._ids]
        bm25 = self._bm25.get_scores(features) if features else np.zeros(len(self._ids))
        blended = 0.5 * confidences / max(float(confidences.max()), 1e-9)
        if bm25.max() > 0:
            blended = blended + 0.5 * bm25 / bm25.max()
        order = np.argsort(-blended, kind="stable")
        scores = blended * confidences.max()  # on the classifier's scale: 0..1, its best when both agree
        matches = tuple(Match(self._topics[self._ids[i]], float(scores[i])) for i in order)
        evidence = sum(self._idf.get(f, 0.0) for f in set(features))
        return Ranking(matches, evidence, self._reader.on_topic(features), outside)
