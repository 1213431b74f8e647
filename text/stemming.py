"""The one stemmer: Snowball's English (Porter 2) stemmer, with a bounded cache.

``singular`` is only its lightest step, for readers whose word lists are
written as whole words with explicit prefixes (theme codebooks: "supervis*"),
where a full stem would merge words the lists keep apart ("professional" and
"profession").
"""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The stem of one lower-case word ("caseloads" -> "caseload", "training" -> "train")."""
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed


def singular(word: str) -> str:
    """Plurals folded ("caseloads" -> "caseload", "families" -> "family"); nothing more."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
