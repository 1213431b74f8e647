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
from typing import Annotated

from pydantic import AfterValidator, field_validator, model_validator

from common.schema import Schema, Text, parse
from common.yamlfile import load_yaml
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


#: Words compared in lower case.
_Lower = Annotated[Text, AfterValidator(str.lower)]


class _Messages(Schema):
    """What the bot says without a confident answer."""

    not_sure: Text
    no_match: Text
    danger_reminder: Text


class _LanguageFile(Schema):
    stopwords: tuple[_Lower, ...]
    speaker_patterns: tuple[Text, ...] = ()
    speaker_roles: tuple[_Lower, ...] = ()
    suffixes: tuple[tuple[Text, Text], ...]
    groups: dict[Text, tuple[_Lower, ...]]
    definition_patterns: tuple[Text, ...]
    generic_groups: tuple[Text, ...] = ()
    domain_words: tuple[_Lower, ...] = ()
    retrieval: Tuning
    messages: _Messages
    terms_that_are_words: tuple[_Lower, ...] = ()

    @field_validator("groups")
    @classmethod
    def _not_empty(cls, groups: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name, phrases in groups.items():
            if not phrases:
                raise ValueError(f"synonym group '{name}' is empty")
        return groups

    @field_validator("definition_patterns")
    @classmethod
    def _with_a_term(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            if "{term}" not in pattern:
                raise ValueError(f"definition pattern without {{term}}: {pattern}")
            try:
                re.compile(pattern.replace("{term}", "(?P<term>x)"))
            except re.error as exc:
                raise ValueError(f"definition pattern is not a regex: {exc}") from exc
        return patterns

    @model_validator(mode="after")
    def _speakers_compile(self) -> _LanguageFile:
        for pattern in self.speakers():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"speaker pattern is not a regex: {exc}") from exc
        return self

    def speakers(self) -> tuple[str, ...]:
        """The speaker patterns with ``{role}`` written out as any of the roles, longest first."""
        roles = sorted((re.escape(role) for role in self.speaker_roles), key=len, reverse=True)
        return tuple(p.replace("{role}", "(?:" + "|".join(roles) + ")") for p in self.speaker_patterns)


def load_language(path: Path = LANGUAGE_FILE) -> Language:
    """Read and check language.yaml; ContentError names file and line."""
    data = parse(_LanguageFile, load_yaml(path), str(path))
    return Language(
        stopwords=frozenset(data.stopwords),
        speaker_patterns=data.speakers(),
        suffixes=data.suffixes,
        groups=data.groups,
        definition_patterns=data.definition_patterns,
        terms_that_are_words=frozenset(data.terms_that_are_words),
        generic_groups=frozenset(data.generic_groups),
        domain_words=frozenset(data.domain_words),
        tuning=data.retrieval,
        messages=data.messages.model_dump(),
    )


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
            wordings = [_BRACKETS.sub("", entry.expansion)]
            wordings += [n for n in names if n.lower() not in language.terms_that_are_words]
            for phrase in wordings:
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
