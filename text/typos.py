"""The one typo corrector: the nearest word of a vocabulary, by optimal string alignment (rapidfuzz).

A transposition counts as one edit ("paperwrok" is one edit from "paperwork").
Each user says how far a word may be from a vocabulary word, how short a word
is left alone, which real words are never mended, and whether a correction
must be unambiguous; the search itself is rapidfuzz's, in C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_CACHED = 50_000  # corrections remembered per corrector (a long-running bot sees many words)


def distance(typed: str, word: str) -> int:
    """Edits between two texts, a swap of neighbouring letters counting as one."""
    return OSA.distance(typed, word)


def one_edit_apart(long_words: int) -> Callable[[str], int]:
    """Edits allowed: one, or two in a word of ``long_words`` letters or more."""
    return lambda word: 1 if len(word) < long_words else 2


class TypoCorrector:
    """Mends words typed slightly wrong towards a vocabulary.

    ``shortest``: shorter words are left alone (too many real words sit one
    letter apart). ``allowed``: edits allowed for a word. ``keep``: real words
    never mended ("attached" is not "attacked"). ``unique``: only mend when
    exactly one vocabulary word is that near. ``same_first_letter``: typos rarely
    change the first letter, and the search is then much smaller.
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        *,
        shortest: int,
        allowed: Callable[[str], int] = lambda word: 1,
        keep: Iterable[str] = (),
        unique: bool = False,
        same_first_letter: bool = False,
    ) -> None:
        ordered = list(dict.fromkeys(vocabulary))  # the caller's order breaks ties (e.g. commonest first)
        self._known = frozenset(ordered)
        self._by_letter: dict[str, list[str]] = {}
        for word in ordered:
            self._by_letter.setdefault(word[:1] if same_first_letter else "", []).append(word)
        self._shortest = shortest
        self._allowed = allowed
        self._keep = frozenset(keep)
        self._unique = unique
        self._same_first_letter = same_first_letter
        self._fixes: dict[str, str] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def correct(self, word: str) -> str:
        """The vocabulary word ``word`` was most likely meant to be, or ``word`` itself."""
        if word in self._known or word in self._keep or len(word) < self._shortest:
            return word
        fixed = self._fixes.get(word)
        if fixed is None:
            if len(self._fixes) > MAX_CACHED:
                self._fixes.clear()
            fixed = self._fixes[word] = self._nearest(word)
        return fixed

    def _nearest(self, word: str) -> str:
        candidates = self._by_letter.get(word[:1] if self._same_first_letter else "", [])
        cutoff = self._allowed(word)
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=cutoff, limit=None)
        if not found:
            return word
        best = min(score for _, score, _ in found)
        nearest = sorted((index, w) for w, score, index in found if score == best)
        if self._unique and len(nearest) > 1:
            return word
        return nearest[0][1]
