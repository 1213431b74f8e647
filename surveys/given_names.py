"""Given names from many cultures, so a bare first name ("Kacper", "Priya") can be redacted.

The project's own list (``wordlists/first_names.txt``) holds common UK names; on
their own they missed most names written with no cue around them. Faker (MIT
licence, widely used and maintained) ships given-name lists for many locales as
plain Python data; the locales read are declared in ``wordlists/given_name_locales.txt``.
Nothing is downloaded at run time.

Some names are also everyday words ("Hope", "Will", "Can"): ``everyday_words``
says which, so that a word capitalised only because it starts a sentence is not
taken for a name.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path

from faker.providers.lorem.en_US import Provider as EnglishWords

from text.letters import LOWER, UPPER, fold

_WORDLISTS = Path(__file__).resolve().parent / "wordlists"
_NAME = re.compile(f"{UPPER}{LOWER}+(?:-{UPPER}{LOWER}+)?")
# Faker's given-name lists; Japanese names are also given in Latin letters ("romanized").
_PLAIN_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
_LISTS = _PLAIN_LISTS + tuple(name.replace("first_", "first_romanized_") for name in _PLAIN_LISTS)


@cache
def wordlist(name: str) -> tuple[str, ...]:
    """The entries of ``wordlists/NAME``: one a line, lines starting with # are notes."""
    lines = (_WORDLISTS / name).read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _locale_names(locale: str) -> set[str]:
    """The given names of one Faker locale written in Latin letters ("Wiktoria", "Łucja", "Hương")."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names: set[str] = set()
    for attribute in _LISTS:
        listed = getattr(provider, attribute, None)
        if isinstance(listed, dict | list | tuple):
            names.update(n for n in listed if _NAME.fullmatch(n))
    return names


@cache
def given_names() -> frozenset[str]:
    """Every given name known (the project's list and the declared Faker locales'), each also
    in plain letters, so that "Siân" or "Sian" is found whichever way a list or a person wrote it."""
    names = set(wordlist("first_names.txt"))
    for locale in wordlist("given_name_locales.txt"):
        names |= _locale_names(locale)
    return frozenset(names | {fold(name) for name in names})


def is_given_name(word: str) -> bool:
    """``word`` (or the first part of a double-barrelled one) is a known given name, accents or not."""
    first = word.split("-")[0]
    return any(form in given_names() for form in (word, fold(word), first, fold(first)))


@cache
def everyday_words() -> frozenset[str]:
    """Common English words, lower case: a name among them is a name only mid-sentence."""
    return frozenset(EnglishWords.word_list) | frozenset(wordlist("everyday_words.txt"))
