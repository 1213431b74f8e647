"""Recognise "what is a LADO?"-style questions and find the glossary entry they ask about.

Only a question that is about the term itself goes to the glossary; "what is
the LADO and when do I ring them?" asks for more and goes to retrieval. The
question shapes are data (``definition_patterns`` in language.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from guidance.model import GlossaryEntry
from text.typos import TypoCorrector

_SENTENCES = re.compile(r"[.?!;:\n]+")
_KEEP = re.compile(r"[^a-z0-9' ]+")
_ANY_WORD = r"[a-z][a-z0-9]{1,9}"
FUZZY_MIN_LENGTH = 4


class Glossary:
    """The glossary's entries keyed by every way of writing them, with the question shapes compiled."""

    def __init__(self, entries: Iterable[GlossaryEntry], patterns: Iterable[str]) -> None:
        self.entries = tuple(entries)
        self._by_name: dict[str, GlossaryEntry] = {}
        for entry in self.entries:
            for name in (entry.term, *entry.aliases):
                self._by_name[self._key(name)] = entry
        names = sorted(self._by_name, key=len, reverse=True)
        slot = "(?P<term>" + "|".join(re.escape(n) for n in names) + "|" + _ANY_WORD + ")"
        self._patterns = tuple(re.compile(p.replace("{term}", slot)) for p in patterns)
        single_words = (n for n in names if len(n) >= FUZZY_MIN_LENGTH and " " not in n)
        self._typos = TypoCorrector(single_words, shortest=FUZZY_MIN_LENGTH)

    @staticmethod
    def _key(name: str) -> str:
        return " ".join(_KEEP.sub(" ", name.lower().replace("’", "'")).split())

    def entry(self, name: str) -> GlossaryEntry | None:
        """The entry for a term or alias, any case; None when there is none."""
        return self._by_name.get(self._key(name))

    def _resolve(self, word: str) -> GlossaryEntry | None:
        found = self._by_name.get(word)
        if found is not None:
            return found
        return self._by_name.get(self._typos.correct(word))

    def asked_about(self, cleaned: str) -> GlossaryEntry | None:
        """The entry a question asks the meaning of, or None. ``cleaned`` is lower case, UK spelling."""
        for sentence in _SENTENCES.split(cleaned):
            sentence = self._key(sentence)
            if not sentence:
                continue
            for pattern in self._patterns:
                match = pattern.search(sentence)
                if match:
                    entry = self._resolve(match.group("term"))
                    if entry is not None:
                        return entry
        return None
