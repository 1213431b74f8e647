"""A fitted scikit-learn tf-idf vectoriser and linear model, applied by hand to one short text.

scikit-learn's ``transform``/``decision_function`` check their input on every call,
which costs more than the arithmetic for one message; these classes keep the
fitted vocabularies, idf and weights and do only the arithmetic. Used by the
topic ranker and the emergency model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


class Block:
    """One fitted tf-idf vectoriser: text -> (columns, l2-normalised sublinear tf-idf weights)."""

    def __init__(self, vectoriser: TfidfVectorizer, analyse: Callable[[str], list[str]]) -> None:
        self._columns: Mapping[str, int] = vectoriser.vocabulary_
        self._idf = vectoriser.idf_
        self._analyse = analyse

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(f for f in self._analyse(text) if f in self._columns)
        columns = np.fromiter((self._columns[f] for f in counts), dtype=np.int64, count=len(counts))
        weights = np.fromiter((1.0 + math.log(n) for n in counts.values()), dtype=float, count=len(counts))
        weights *= self._idf[columns]
        norm = float(np.linalg.norm(weights))
        return columns, weights / norm if norm else weights
