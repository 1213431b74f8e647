"""How staff's words are read before retrieval: spelling, typos, synonyms, acronyms, stems.

Driven by ``guidance/data/language.yaml``, with the project's shared text
normalisation (``text``: the shorthand file, the stemmer and the typo
corrector); the glossary adds its acronyms and expansions as synonym groups,
so "LADO" and "local authority designated officer" meet without anyone
listing both.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml, strip_lines
from guidance.model import GlossaryEntry
from text.shorthand import expand, fold
from text.stemming import stem
from text.typos import TypoCorrector, one_edit_apart

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGE_FILE = DATA_DIR / "language.yaml"

_WORD = re.compile(r"[a-z0-9]+(?:['&][a-z0-9]+)*")
_NOT_TEXT = re.compile(r"[^a-z0-9'& ]+")
_BRACKETS = re.compile(r"\([^)]*\)")
GROUP_MARK = "#"
LONG_WORD = 10


@dataclass(frozen=True)
class Tuning:
    """Retrieval knobs, kept with the language data so they are tuned without code changes."""

    regularisation: float
    sure_threshold: float
    nearest_minimum: float
    nearest_count: int
    typo_min_length: int
    high_score: float
    min_evidence: float
    clear_margin: float


@dataclass(frozen=True)
class Language:
    """The contents of language.yaml, checked."""

    stopwords: frozenset[str]
    speaker_patterns: tuple[str, ...]
    suffixes: tuple[tuple[str, str], ...]
    groups: Mapping[str, tuple[str, ...]]
    definition_patterns: tuple[str, ...]
    terms_that_are_words: frozenset[str]
    generic_groups: frozenset[str]
    domain_words: frozenset[str]
    tuning: Tuning
    messages: Mapping[str, str]


def load_language(path: Path = LANGUAGE_FILE) -> Language:
    """Read and check language.yaml; ContentError names file and line."""
    where = str(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(where, 1, "expected a mapping at the top level")
    for key in (
        "stopwords",
        "suffixes",
        "groups",
        "definition_patterns",
        "retrieval",
        "messages",
    ):
        if key not in data:
            raise ContentError(where, line_of(data), f"missing '{key}'")
    plain = strip_lines(data)
    groups = {str(name): tuple(str(p).lower() for p in phrases) for name, phrases in plain["groups"].items()}
    for name, phrases in groups.items():
        if not phrases:
            raise ContentError(where, line_of(data["groups"]), f"synonym group '{name}' is empty")
    patterns = tuple(str(p) for p in plain["definition_patterns"])
    for pattern in patterns:
        if "{term}" not in pattern:
            raise ContentError(where, line_of(data), f"definition pattern without {{term}}: {pattern}")
        try:
            re.compile(pattern.replace("{term}", "(?P<term>x)"))
        except re.error as exc:
            raise ContentError(where, line_of(data), f"definition pattern is not a regex: {exc}") from exc
    knobs = plain["retrieval"]
    try:
        tuning = Tuning(
            regularisation=float(knobs["regularisation"]),
            sure_threshold=float(knobs["sure_threshold"]),
            nearest_minimum=float(knobs["nearest_minimum"]),
            nearest_count=int(knobs["nearest_count"]),
            typo_min_length=int(knobs["typo_min_length"]),
            high_score=float(knobs["high_score"]),
            min_evidence=float(knobs["min_evidence"]),
            clear_margin=float(knobs["clear_margin"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(where, line_of(data["retrieval"]), f"retrieval settings: {exc}") from exc
    messages = {str(k): str(v) for k, v in plain["messages"].items()}
    for key in ("not_sure", "no_match", "danger_reminder"):
        if key not in messages:
            raise ContentError(where, line_of(data["messages"]), f"missing message '{key}'")
    return Language(
        stopwords=frozenset(str(w).lower() for w in plain["stopwords"]),
        speaker_patterns=_speaker_patterns(where, line_of(data), plain),
        suffixes=tuple((str(a), str(b)) for a, b in plain["suffixes"]),
        groups=groups,
        definition_patterns=patterns,
        terms_that_are_words=frozenset(str(t).lower() for t in plain.get("terms_that_are_words") or []),
        generic_groups=frozenset(str(g) for g in plain.get("generic_groups") or []),
        domain_words=frozenset(str(w).lower() for w in plain.get("domain_words") or []),
        tuning=tuning,
        messages=messages,
    )


def _speaker_patterns(where: str, line: int | None, plain: dict[str, Any]) -> tuple[str, ...]:
    names = (re.escape(str(role).lower()) for role in plain.get("speaker_roles") or [])
    roles = sorted(names, key=len, reverse=True)
    patterns = []
    for pattern in plain.get("speaker_patterns") or []:
        full = str(pattern).replace("{role}", "(?:" + "|".join(roles) + ")")
        try:
            re.compile(full)
        except re.error as exc:
            raise ContentError(where, line, f"speaker pattern is not a regex: {exc}") from exc
        patterns.append(full)
    return tuple(patterns)


def _alternation(phrases: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(phrases), key=len, reverse=True)
    if not ordered:
        return None
    body = "|".join(re.escape(p) for p in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


class Reader:
    """Turns a text into retrieval features: stems of content words plus ``#group`` concepts.

    Built once per knowledge base; ``corpus`` is every text the knowledge base
    holds, which is the vocabulary typos are corrected against.
    """

    def __init__(self, language: Language, glossary: Iterable[GlossaryEntry], corpus: Iterable[str]) -> None:
        self.language = language
        glossary = tuple(glossary)
        corpus = tuple(corpus)
        # What the reader's output depends on: two readers with one fingerprint read alike.
        self.fingerprint = repr((language, glossary, corpus))
        # A glossary term that is also shorthand ("CP") stays the term: the glossary explains it.
        self._terms = frozenset(n.lower() for e in glossary for n in (e.term, *e.aliases))
        groups: dict[str, set[str]] = {}
        for name, phrases in language.groups.items():
            for phrase in phrases:
                groups.setdefault(self.clean(phrase), set()).add(GROUP_MARK + name)
        for entry in glossary:
            names = [entry.term, *entry.aliases]
            concept = GROUP_MARK + "term-" + entry.term.lower()
            phrases = [_BRACKETS.sub("", entry.expansion)]
            phrases += [n for n in names if n.lower() not in language.terms_that_are_words]
            for phrase in phrases:
                cleaned = self.clean(phrase)
                if cleaned:
                    groups.setdefault(cleaned, set()).add(concept)
        self._groups = groups
        self._group_pattern = _alternation(groups)
        self._speaker = [re.compile(p) for p in language.speaker_patterns]
        counts: Counter[str] = Counter()
        for text in corpus:
            counts.update(_WORD.findall(self.clean(text)))
        for phrase in groups:
            counts.update(_WORD.findall(phrase))
        counts.update(language.stopwords)
        self._known = frozenset(counts)
        self._typos = TypoCorrector(
            (word for word, _ in counts.most_common() if len(word) >= 3 and word.isalpha()),
            shortest=language.tuning.typo_min_length,
            allowed=one_edit_apart(LONG_WORD),
            same_first_letter=True,
        )
        self._known_stems = frozenset(stem(word) for word in self._known)
        self._anchors = frozenset(stem(word.replace("'", "")) for word in language.domain_words)
        self._generic = frozenset(GROUP_MARK + name for name in language.generic_groups)

    def spelled(self, text: str) -> str:
        """Folded, shorthand written out (``text/shorthand.yaml``), US suffixes made UK;
        punctuation kept (sentences still show)."""
        text = expand(text, self._terms)
        for us, uk in self.language.suffixes:
            if us in text:
                text = re.sub(rf"(?<=[a-z]){us}\b", uk, text)
        return text

    def clean(self, text: str) -> str:
        """``spelled``, then punctuation to spaces."""
        return " ".join(_NOT_TEXT.sub(" ", self.spelled(text)).split())

    def _fix(self, word: str) -> str:
        """The vocabulary word a typo most likely meant, or the word itself."""
        if word in self._known or not word.isalpha() or stem(word) in self._known_stems:
            return word  # known, a number, or another form of a known word ("changing" beside "change")
        return self._typos.correct(word)

    def corrected(self, text: str) -> str:
        """``clean`` with misspelt words replaced by the nearest word the knowledge base knows."""
        return " ".join(self._fix(word) for word in self.clean(text).split())

    def on_topic(self, features: Iterable[str]) -> bool:
        """True when some feature belongs to the field: a domain word or a non-generic synonym group."""
        return any(
            f in self._anchors or (f.startswith(GROUP_MARK) and f not in self._generic) for f in features
        )

    def features(self, text: str, *, correct: bool = True) -> list[str]:
        """Stems of content words and the concepts (synonym groups) the text mentions."""
        for pattern in self._speaker:
            text = pattern.sub(" ", fold(text))
        cleaned = self.corrected(text) if correct else self.clean(text)
        found: list[str] = []
        if self._group_pattern is not None:
            for match in self._group_pattern.finditer(cleaned):
                found.extend(sorted(self._groups[match.group(0)]))
        for word in _WORD.findall(cleaned):
            if word.endswith("'s"):
                word = word[:-2]
            if word in self.language.stopwords or (len(word) < 2 and not word.isdigit()):
                continue
            found.append(stem(word.replace("'", "")))
        return found
