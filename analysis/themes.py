"""Coding free text into themes from codebooks the board can edit (analysis/codebooks/*.yaml).

A codebook lists themes, each with weighted keywords: phrases of words where
a trailing ``*`` matches any ending ("supervis*" matches supervision and
supervisor). A text scores the weights of the distinct keywords it contains;
a theme is given when its score reaches the codebook's ``threshold`` and is
at least ``relative`` of the best theme's score. Single-category codebooks
(impact questions) give only the best theme. When nothing reaches the
threshold the text gets the codebook's ``fallback`` theme: with confidence 0
("uncoded" in the review list) unless the fallback's own keywords ("none",
"nothing to add") say it is meant to be empty.

Practitioners answer on phones, so before matching the coder writes out the
project's shorthand (``text/shorthand.yaml``: "sw" -> social worker), folds
plurals (``text.stemming.singular``: keywords are whole words with explicit
``*`` prefixes, so a full stem would merge words they keep apart) and mends
single-letter typos of codebook words ("actualy", "happend") with the
project's typo corrector (``text.typos``). A
keyword inside a longer phrase of another theme gives way to it. Weight-1
keywords are hints: a theme resting only on hints needs one more than the
threshold, except in a one- or two-word answer ("time", "staff"), where the
hint is the whole point and the threshold is 1.

Confidence is score / (score + threshold): 0.5 at the threshold, rising
towards 1 as more evidence agrees.

A learned backstop codes what the keywords leave uncoded: a one-vs-rest linear
classifier (scikit-learn's LinearSVC over tf-idf of words, word pairs and
character 2-5-grams) trained on the codebook's keywords, the hand-coded
answers in ``_examples.yaml`` and the analysts' overrides, so every override
also teaches it. Its codes carry a confidence below 0.5, so they are listed by
``analysis themes review``; nothing it is unsure of (no positive decision) is
coded. On the held-out one_change answers it added about one point of
micro-F1 to the keywords alone (README, "Theme coding").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from common.errors import ContentError
from common.schema import At, Schema, Text, context_of, ids_once, parse
from common.yamlfile import load_yaml
from text.shorthand import expand
from text.stemming import singular
from text.typos import TypoCorrector

CODEBOOK_DIR = Path(__file__).resolve().parent / "codebooks"
EXAMPLES_FILE = "_examples.yaml"
BACKSTOP_CEILING = 0.5  # backstop codes stay below this confidence, so review lists them
_WORD = re.compile(r"[a-z0-9]+")
_SHORT_ANSWER = 2  # words: an answer this short may rest on a hint
_FUZZY_MIN = 6  # letters: shorter words are too easily another real word to be mended
_ID = re.compile(r"^[a-z][a-z0-9-]*$")
MAX_CACHED_WORDS = 100_000  # distinct words' stems remembered per codebook (bounded for a long-running bot)


def _unquoted(text: str) -> str:
    return text.lower().replace("’", "'").replace("'", "")


def words(text: str) -> tuple[str, ...]:
    """Lower-case word stems of a text; apostrophes join ("don't" -> "dont")."""
    return tuple(singular(w) for w in _WORD.findall(_unquoted(text)))


def _is_short(text: str) -> bool:
    return len(_WORD.findall(text.lower())) <= _SHORT_ANSWER


@dataclass(frozen=True)
class Keyword:
    """A phrase as word stems; a stem ending in ``*`` is a prefix."""

    text: str
    parts: tuple[str, ...]
    weight: float

    def matches_at(self, stems: Sequence[str], start: int) -> bool:
        if start + len(self.parts) > len(stems):
            return False
        return all(_part_matches(p, stems[start + k]) for k, p in enumerate(self.parts))


def _part_matches(part: str, stem: str) -> bool:
    return stem.startswith(part[:-1]) if part.endswith("*") else stem == part


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    covers: str
    keywords: tuple[Keyword, ...]


@dataclass(frozen=True)
class Coded:
    """The themes of one text, best first, and how sure the coder is (0 = uncoded)."""

    themes: tuple[str, ...]
    confidence: float
    overridden: bool = False


@dataclass(frozen=True)
class Codebook:
    id: str
    title: str
    item: str
    themes: tuple[Theme, ...]
    fallback: str
    threshold: float
    relative: float
    single: bool
    examples: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def taught(self, overrides: Mapping[str, tuple[str, ...]]) -> Codebook:
        """This codebook with analysts' overrides (text key -> themes) added to its examples."""
        extra = tuple(
            (text, themes) for text, themes in overrides.items() if set(themes) <= set(self.theme_ids)
        )
        return replace(self, examples=self.examples + extra) if extra else self

    @cached_property
    def _backstop(self) -> _Backstop:
        keywords = [(k.text.replace("*", ""), (t.id,)) for t in self.themes for k in t.keywords]
        return _Backstop([*keywords, *self.examples], self.fallback)

    @cached_property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def label(self, theme_id: str) -> str:
        return next((t.label for t in self.themes if t.id == theme_id), theme_id)

    @cached_property
    def _index(self) -> tuple[dict[str, list[tuple[str, Keyword]]], dict[str, list[tuple[str, Keyword]]]]:
        """Keywords by their first word: exact words, and prefixes (a first word ending in ``*``)."""
        exact: dict[str, list[tuple[str, Keyword]]] = {}
        prefix: dict[str, list[tuple[str, Keyword]]] = {}
        for theme in self.themes:
            for keyword in theme.keywords:
                first = keyword.parts[0]
                index, key = (prefix, first[:-1]) if first.endswith("*") else (exact, first)
                index.setdefault(key, []).append((theme.id, keyword))
        return exact, prefix

    @cached_property
    def _vocabulary(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Every whole word the keywords use, and every prefix (without its ``*``)."""
        parts = [p for theme in self.themes for k in theme.keywords for p in k.parts]
        exact = frozenset(p for p in parts if not p.endswith("*"))
        prefixes = tuple(sorted({p[:-1] for p in parts if p.endswith("*")}))
        return exact, prefixes

    @cached_property
    def _typos(self) -> TypoCorrector:
        """Mends towards whole codebook words of six letters or more, only when exactly one is
        one edit away. Prefix keywords are not mended towards: too many real words sit one
        letter from a prefix (professional, process*)."""
        exact, _ = self._vocabulary
        return TypoCorrector((w for w in exact if len(w) >= _FUZZY_MIN), shortest=_FUZZY_MIN, unique=True)

    def _mend(self, word: str) -> str:
        """The codebook word a mistyped word was meant to be, or the word itself."""
        exact, prefixes = self._vocabulary
        if word in exact or word.startswith(prefixes):
            return word
        return self._typos.correct(word)

    @cached_property
    def _stem_of(self) -> dict[str, str]:
        """Word as typed -> its stem as the keywords see it, worked out once per distinct word
        (an answer's words are mostly the same few thousand, so coding costs per text, not per word)."""
        return {}

    def _stem(self, word: str) -> str:
        known = self._stem_of.get(word)
        if known is None:
            if len(self._stem_of) > MAX_CACHED_WORDS:
                self._stem_of.clear()
            known = self._stem_of[word] = self._mend(singular(word))
        return known

    def stems(self, text: str) -> tuple[str, ...]:
        """The text's word stems as the keywords see them: shorthand expanded, typos mended."""
        return tuple(self._stem(w) for w in _WORD.findall(_unquoted(expand(text))))

    @cached_property
    def _starting(self) -> dict[str, list[tuple[str, Keyword]]]:
        """Keywords that may start at a word, by word (worked out once per distinct word)."""
        return {}

    def _candidates(self, stem: str) -> list[tuple[str, Keyword]]:
        known = self._starting.get(stem)
        if known is None:
            exact, prefix = self._index
            known = list(exact.get(stem, ()))
            for end in range(1, len(stem) + 1):
                known.extend(prefix.get(stem[:end], ()))
            self._starting[stem] = known
        return known

    @cached_property
    def _by_pair(self) -> dict[tuple[str, str | None], list[tuple[str, Keyword]]]:
        """Keywords whose first two words match a word and the next (None at the end)."""
        return {}

    def _pair_candidates(self, pair: tuple[str, str | None]) -> list[tuple[str, Keyword]]:
        if len(self._by_pair) > MAX_CACHED_WORDS:
            self._by_pair.clear()
        known = self._by_pair[pair] = [
            (theme_id, keyword)
            for theme_id, keyword in self._candidates(pair[0])
            if len(keyword.parts) == 1 or (pair[1] is not None and _part_matches(keyword.parts[1], pair[1]))
        ]
        return known

    def _matches(self, stems: Sequence[str]) -> list[tuple[int, int, str, Keyword]]:
        """Every keyword occurrence as (start, end, theme id, keyword)."""
        # candidates already match the first two words, so only longer phrases need checking further
        by_pair = self._by_pair
        found: list[tuple[int, int, str, Keyword]] = []
        if not stems:
            return found
        for start, pair in enumerate(zip(stems, (*stems[1:], None), strict=True)):
            candidates = by_pair.get(pair)
            if candidates is None:
                candidates = self._pair_candidates(pair)
            for theme_id, keyword in candidates:
                if len(keyword.parts) <= 2 or keyword.matches_at(stems, start):
                    found.append((start, start + len(keyword.parts), theme_id, keyword))
        return found

    def _evidence(self, stems: Sequence[str]) -> dict[str, list[float]]:
        matches = self._matches(stems)
        weights: dict[str, list[float]] = {tid: [] for tid in self.theme_ids}
        phrases = any(end - start > 1 for start, end, _, _ in matches)  # else nothing is inside a longer one
        seen: set[int] = set()
        for start, end, theme_id, keyword in matches:
            inside_longer = phrases and any(
                s <= start and end <= e and e - s > end - start and t != theme_id for s, e, t, _ in matches
            )
            if not inside_longer and id(keyword) not in seen:
                seen.add(id(keyword))
                weights[theme_id].append(keyword.weight)
        return weights

    def evidence(self, text: str) -> dict[str, list[float]]:
        """The weights of each theme's distinct keywords present in the text.

        A keyword inside a longer phrase of another theme does not count:
        "strategy meeting" is about meetings, not about a strategy*.
        """
        return self._evidence(self.stems(text))

    def _scores(self, text: str, short: bool) -> dict[str, float]:
        evidence = self.evidence(text)
        if short:
            return {tid: sum(w) for tid, w in evidence.items()}
        return {tid: sum(w) - (1.0 if w and max(w) <= 1 else 0.0) for tid, w in evidence.items()}

    def scores(self, text: str) -> dict[str, float]:
        """Each theme's score: the sum of the weights of its distinct keywords present.

        A theme resting only on weight-1 hints loses one point (it needs one
        hint more than the threshold), except in an answer of one or two words.
        """
        return self._scores(text, _is_short(text))

    def _by_keywords(self, text: str) -> Coded | None:
        """The themes the keywords give one text, or None when only the backstop can say."""
        short = _is_short(text)
        scores = self._scores(text, short)
        threshold = min(self.threshold, 1.0) if short else self.threshold
        # In a multi-theme codebook the fallback ("other") means "none of the
        # rest", so it never joins another theme; in a single-category one it
        # is a real category and competes like any other.
        fallback_score = scores.get(self.fallback, 0.0) if self.single else scores.pop(self.fallback, 0.0)
        best = max(scores.values(), default=0.0)
        if best < threshold:
            if fallback_score >= threshold:
                return Coded((self.fallback,), round(fallback_score / (fallback_score + self.threshold), 3))
            return None
        ranked = sorted(
            (tid for tid, s in scores.items() if s >= threshold and s >= self.relative * best),
            key=lambda tid: -scores[tid],
        )
        chosen = ranked[:1] if self.single else ranked
        weakest = scores[chosen[-1]]
        return Coded(tuple(chosen), round(weakest / (weakest + self.threshold), 3))

    def code_many(self, texts: Sequence[str]) -> list[Coded]:
        """The themes of each text (see the module docstring for the rule); the texts the
        keywords leave to the backstop go to it in one batch, which costs about what one does."""
        coded = [self._by_keywords(text) for text in texts]
        left = [n for n, c in enumerate(coded) if c is None]
        backstop = iter(self._backstop.code_many([texts[n] for n in left], self.single))
        return [one if one is not None else next(backstop) for one in coded]

    def code(self, text: str) -> Coded:
        """The themes of one text (see the module docstring for the rule)."""
        return self.code_many([text])[0]


class _Backstop:
    """The learned coder for answers the keywords leave uncoded (see the module docstring)."""

    def __init__(self, samples: Sequence[tuple[str, tuple[str, ...]]], fallback: str) -> None:
        self._fallback = fallback
        self._labels = MultiLabelBinarizer()
        targets = self._labels.fit_transform([themes for _, themes in samples])
        self._features = FeatureUnion(
            [
                ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]
        )
        matrix = self._features.fit_transform([text for text, _ in samples])
        self._model = OneVsRestClassifier(LinearSVC()).fit(matrix, targets)

    def code_many(self, texts: Sequence[str], single: bool) -> list[Coded]:
        """Each text coded; one vectorised pass over all of them (features and decisions)."""
        if not texts:
            return []
        decisions = self._model.decision_function(self._features.transform(texts))
        return [self._coded(decision, single) for decision in decisions]

    def _coded(self, decision: np.ndarray, single: bool) -> Coded:
        order = [
            i for i in np.argsort(-decision) if decision[i] > 0 and self._labels.classes_[i] != self._fallback
        ]
        if not order:
            return Coded((self._fallback,), 0.0)
        chosen = order[:1] if single else order
        weakest = float(decision[chosen[-1]])
        confidence = BACKSTOP_CEILING * min(1.0, (weakest + 1.0) / 2.0)
        return Coded(tuple(str(self._labels.classes_[i]) for i in chosen), round(min(confidence, 0.499), 3))


def _keyword(raw: str, weight: float) -> Keyword:
    parts = tuple(
        singular(p[:-1]) + "*" if p.endswith("*") else singular(p)
        for p in (w.lower().replace("'", "") for w in raw.split())
        for p in [re.sub(r"[^a-z0-9*]", "", p)]
        if p
    )
    if not parts or weight <= 0:
        raise At(f"keyword '{raw}' needs some words and a positive weight", raw)
    return Keyword(raw, parts, weight)


class _Theme(Schema):
    id: str
    label: Text | None = None
    covers: Text = ""
    keywords: dict[Text, float] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _hyphenated(cls, theme_id: str) -> str:
        if not _ID.match(theme_id):
            raise ValueError(f"theme id '{theme_id}' should be lower-case-hyphenated")
        return theme_id

    @field_validator("keywords")
    @classmethod
    def _words_and_weights(cls, keywords: dict[str, float]) -> dict[str, float]:
        for text, weight in keywords.items():
            _keyword(text, weight)
        return keywords

    def theme(self) -> Theme:
        keywords = tuple(_keyword(text, weight) for text, weight in self.keywords.items())
        return Theme(self.id, self.label or self.id, self.covers, keywords)


class _CodebookFile(Schema):
    id: str | None = None
    title: Text | None = None
    item: str | None = None
    threshold: float = 2
    relative: float = 0.0
    single: bool = False
    themes: tuple[_Theme, ...]
    fallback: str = "other"

    _listed_once = ids_once("themes", "theme id")

    @field_validator("fallback")
    @classmethod
    def _one_of_the_themes(cls, fallback: str, info: ValidationInfo) -> str:
        if fallback not in {theme.id for theme in info.data.get("themes", ())}:
            raise ValueError(f"fallback '{fallback}' is not one of the themes")
        return fallback


def load_codebook(name: str, directory: Path = CODEBOOK_DIR) -> Codebook:
    """Load and check one codebook; ContentError names file and line."""
    path = directory / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(codebook_names(directory))
        raise ContentError(str(path), None, f"no codebook '{name}' (known: {known})")
    data = parse(_CodebookFile, load_yaml(path), str(path))
    themes = tuple(theme.theme() for theme in data.themes)
    return Codebook(
        examples=load_examples(name, [theme.id for theme in themes], directory),
        id=data.id or name,
        title=data.title or name,
        item=data.item or name,
        themes=themes,
        fallback=data.fallback,
        threshold=data.threshold,
        relative=data.relative,
        single=data.single,
    )


class _Example(Schema):
    text: str
    themes: tuple[Text, ...]


class _ExamplesFile(Schema):
    """``_examples.yaml``: hand-coded answers per codebook id; a codebook's own are checked as it loads."""

    examples: dict[str, tuple[_Example, ...]]

    @field_validator("examples")
    @classmethod
    def _of_the_codebooks_themes(
        cls, books: dict[str, tuple[_Example, ...]], info: ValidationInfo
    ) -> dict[str, tuple[_Example, ...]]:
        context = context_of(info)
        name, theme_ids = context["codebook"], context["themes"]
        for index, example in enumerate(books.get(name, ())):
            if not set(example.themes) <= theme_ids:
                raise At(f"an example of '{name}' needs a text and its theme ids", name, index)
        return books


def load_examples(
    name: str, theme_ids: Sequence[str], directory: Path = CODEBOOK_DIR
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A codebook's hand-coded answers from ``_examples.yaml`` (none if absent); ContentError
    names file and line of an example with a theme the codebook does not have."""
    path = directory / EXAMPLES_FILE
    if not path.exists():
        return ()
    context = {"codebook": name, "themes": set(theme_ids)}
    data = parse(_ExamplesFile, load_yaml(path), str(path), context)
    return tuple((example.text, example.themes) for example in data.examples.get(name, ()))


def codebook_names(directory: Path = CODEBOOK_DIR) -> list[str]:
    """Codebooks in the directory (files starting with ``_`` hold shared data, not codebooks)."""
    return sorted(p.stem for p in directory.glob("*.yaml") if not p.stem.startswith("_"))


def code_texts(
    codebook: Codebook, texts: Iterable[str], overrides: Mapping[str, tuple[str, ...]] | None = None
) -> list[Coded]:
    """Code many texts; an analyst's override (keyed by :func:`override_key`) wins."""
    overrides = overrides or {}
    codebook = codebook.taught(overrides)
    texts = list(texts)
    chosen = [overrides.get(override_key(text)) for text in texts] if overrides else [None] * len(texts)
    left = [n for n, themes in enumerate(chosen) if not themes]
    coded = dict(zip(left, codebook.code_many([texts[n] for n in left]), strict=True))
    return [Coded(themes, 1.0, overridden=True) if themes else coded[n] for n, themes in enumerate(chosen)]


def override_key(text: str) -> str:
    """Overrides are keyed by the text's words, so spacing and case do not matter."""
    return " ".join(words(text))


def code_column(
    texts: pd.Series, codebook: Codebook, overrides: Mapping[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """Code a column of free text (NA = not answered) into one boolean column per theme.

    Returns a frame on the same index: a nullable boolean per theme id (NA
    where there was no text), ``confidence``, ``overridden`` and ``answer``
    (the same number for identical texts, -1 for none). Identical texts are
    coded once.
    """
    which, unique = pd.factorize(texts, use_na_sentinel=True)
    answered = which >= 0
    coded = code_texts(codebook, [str(t) for t in unique], overrides)
    ids = codebook.theme_ids
    # one row per distinct text plus a last all-false row that unanswered rows (-1) pick up
    hits = np.zeros((len(unique) + 1, len(ids)), bool)
    for row, c in enumerate(coded):
        hits[row, [ids.index(tid) for tid in c.themes]] = True
    per_row = hits[which]
    out: dict[str, object] = {
        tid: pd.arrays.BooleanArray(per_row[:, col], ~answered) for col, tid in enumerate(ids)
    }
    out["confidence"] = np.append([c.confidence for c in coded], np.nan)[which]
    out["overridden"] = np.append(np.array([c.overridden for c in coded], dtype=bool), False)[which]
    out["answer"] = which
    return pd.DataFrame(out, index=texts.index)
