"""Typed answers matched to an item's choices: forgiving, but never a guess.

People answer on phones, so "2", "strongly agree!", "cherwell", "neglect tool
and DASH" and "stongly agree" all have to work. The order follows the spec's
"Matching order" so the result is predictable: an exact label, number or listed
synonym wins; only then an unambiguous part of one label; only then a small
typo. Anything that fits several choices, or none, comes back as a problem
(with the candidates) so the engine re-prompts instead of choosing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

from surveys.model import Choice, Item, Scale
from surveys.turns import AnswerValue
from text.shorthand import expand
from text.stemming import singular
from text.typos import distance

Problem = Literal["no_match", "ambiguous", "out_of_range", "exclusive", "partial"]


@dataclass(frozen=True)
class Match:
    """The result of matching one typed answer.

    ``value`` is the stored value (choice value, tuple of values, or rating int)
    when ``problem`` is None. Otherwise ``candidates`` are the labels an
    ambiguous answer could mean and ``unmatched`` the parts of a multi-choice
    answer that fitted nothing.
    """

    value: AnswerValue = None
    problem: Problem | None = None
    candidates: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


_NUMBER_NAMES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {word: n for n, word in enumerate(_NUMBER_NAMES.split(" "))}
# Words people wrap an answer in ("I work for the council"); dropped only when the
# answer does not fit with them, because some labels contain them ("In the last 6 months").
_FILLER = frozenset((
    "a", "an", "the", "my", "our", "i", "im", "we", "me", "it", "its", "is", "am", "are", "was",
    "mainly", "mostly", "work", "works", "working", "for", "at", "with", "in", "of", "to", "on",
    "from", "just", "think", "say", "would", "probably", "currently",
))  # fmt: skip
# Words that may sit around a whole label without changing it ("yes please", "I strongly agree").
# Anything else around it ("I don't agree", "stongly agree") could change the meaning.
_HARMLESS = _FILLER | frozenset((
    "please", "thanks", "thank", "you", "ok", "okay", "so", "well", "er", "erm", "um", "hi", "and", "or",
))  # fmt: skip
_ALL = frozenset({"all", "all of them", "all of these", "all of the above", "all the above"})
_SPLIT = re.compile(r"\s*(?:[,;&+]|\band\b|\bplus\b|\balso\b)\s*")
_NUMBER = re.compile(r"^(?:option|number|no\.|#)?\s*\(?(\d{1,3})\)?\.?$")
_RATING = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:(?:/|out of|of)\s*(\d+))?(?:\s*stars?)?$")


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces, no punctuation around the ends."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = " ".join(text.casefold().split())
    return text.strip(" .!?\"'`")


def tokens(text: str) -> tuple[str, ...]:
    """Words of ``text`` for comparison: shorthand written out (``text/shorthand.yaml``), case,
    punctuation and apostrophes ignored."""
    return tuple(re.findall(r"\w+", normalise(expand(text)).replace("'", "")))


def _key(text: str) -> str:
    return " ".join(tokens(text))


@lru_cache(maxsize=4096)
def _phrases(choice: Choice) -> tuple[tuple[str, ...], ...]:
    """The words of a choice's label and synonyms; kept, as every answer to a question compares
    against the same choices, and they are read from content that does not change while running."""
    return tuple(words for words in (tokens(p) for p in (choice.label, *choice.synonyms)) if words)


def _same_word(typed: str, word: str, *, fuzzy: bool) -> bool:
    if typed == word or singular(typed) == singular(word):
        return True
    if not fuzzy:
        return False
    # Last resort only: a shortened word ("uni") or one slip in a longer one ("cherwel").
    shortened = len(typed) >= 3 and word.startswith(typed)
    return shortened or (min(len(typed), len(word)) >= 5 and distance(typed, word) <= 1)


def _unique(found: Sequence[Choice]) -> Match | None:
    distinct = list(dict.fromkeys(found))
    if len(distinct) == 1:
        return Match(value=distinct[0].value)
    if len(distinct) > 1:
        return Match(problem="ambiguous", candidates=tuple(c.label for c in distinct))
    return None


def _exact(choices: Sequence[Choice], said: tuple[str, ...]) -> Match | None:
    if not said:
        return None
    return _unique([c for c in choices if said in _phrases(c)])


def _number(text: str) -> int | None:
    found = _NUMBER.match(normalise(text))
    if found:
        return int(found.group(1))
    return NUMBER_WORDS.get(_key(text))


def _by_number(choices: Sequence[Choice], text: str) -> Match | None:
    number = _number(text)
    if number is None:
        return None
    if 1 <= number <= len(choices):
        return Match(value=choices[number - 1].value)
    return Match(problem="out_of_range")


def _part_of_one(choices: Sequence[Choice], said: tuple[str, ...], *, fuzzy: bool) -> Match | None:
    """Every typed word is a word of one choice's label ("cherwell"); synonyms count only whole."""
    attempts = [said]
    content = tuple(w for w in said if w not in _FILLER)
    if content and content != said:
        attempts.append(content)
    for words in attempts:
        found = [
            c
            for c in choices
            if all(any(_same_word(w, p, fuzzy=fuzzy) for p in tokens(c.label)) for w in words)
        ]
        result = _unique(found)
        if result is not None:
            return result
    return None


def _contained(choices: Sequence[Choice], said: tuple[str, ...]) -> Match | None:
    """A whole label or synonym inside a longer answer ("yes I have", "I strongly agree")."""
    spans: list[tuple[int, int, Choice]] = []
    for choice in choices:
        for phrase in _phrases(choice):
            size = len(phrase)
            spans.extend(
                (start, start + size, choice)
                for start in range(len(said) - size + 1)
                if said[start : start + size] == phrase
            )
    if not spans:
        return None
    widest = [
        (s, e, c)
        for s, e, c in spans
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in spans)
    ]
    covered = {n for s, e, _ in widest for n in range(s, e)}
    if any(word not in _HARMLESS for n, word in enumerate(said) if n not in covered):
        return None
    return _unique([c for _, _, c in widest])


def _typo(choices: Sequence[Choice], said: tuple[str, ...]) -> Match | None:
    """A small slip of the keyboard in a whole label or synonym ("stongly agree")."""
    text = " ".join(said)
    if len(text) < 3:
        return None
    allowed = 1 if len(text) < 8 else 2
    scored = [(min(distance(text, " ".join(p)) for p in _phrases(c)), c) for c in choices]
    best = min(score for score, _ in scored)
    if best > allowed:
        return _part_of_one(choices, said, fuzzy=True)
    return _unique([c for score, c in scored if score == best])


def match_choice(choices: Sequence[Choice], text: str, *, by_number: bool = True) -> Match:
    """One choice from typed text, in the spec's matching order.

    ``by_number`` False where the choices are not shown numbered: a number is then no answer.
    """
    said = tokens(text)
    if not said:
        return Match(problem="no_match")
    if not by_number and _number(text) is not None:
        return Match(problem="no_match")
    attempts: tuple[Callable[[], Match | None], ...] = (
        lambda: _exact(choices, said),
        lambda: _by_number(choices, text),
        lambda: _part_of_one(choices, said, fuzzy=False),
        lambda: _contained(choices, said),
        lambda: _typo(choices, said),
    )
    for attempt in attempts:
        result = attempt()
        if result is not None:
            return result
    return Match(problem="no_match")


def _split(text: str) -> list[str]:
    parts = [p for p in _SPLIT.split(normalise(text)) if p.strip()]
    if len(parts) == 1 and all(_NUMBER.match(w) for w in parts[0].split()):
        parts = parts[0].split()  # "1 3 4"
    return parts


def match_several(choices: Sequence[Choice], text: str) -> Match:
    """Several choices ("1, 4", "neglect tool and DASH", "all of them"); an exclusive choice stands alone."""
    said = tokens(text)
    if " ".join(said) in _ALL:
        return Match(value=tuple(c.value for c in choices if not c.exclusive))
    whole = _exact(choices, said) or _by_number(choices, text)
    parts = _split(text)
    if whole is not None and whole.ok:
        return Match(value=(cast(str, whole.value),))
    if len(parts) <= 1:
        single = match_choice(choices, text)
        return Match(value=(cast(str, single.value),)) if single.ok else single
    results = [(part, match_choice(choices, part)) for part in parts]
    failed = tuple(part for part, result in results if not result.ok)
    if failed:
        if len(failed) == len(parts):
            return Match(problem="no_match", unmatched=failed)
        candidates = tuple(c for _, r in results for c in r.candidates)
        return Match(problem="partial", unmatched=failed, candidates=candidates)
    return _combine(choices, [r.value for _, r in results])


def _combine(choices: Sequence[Choice], values: Iterable[AnswerValue]) -> Match:
    chosen = set(values)
    picked = tuple(c for c in choices if c.value in chosen)
    exclusive = [c for c in picked if c.exclusive]
    if exclusive and len(picked) > 1:
        return Match(problem="exclusive", candidates=tuple(c.label for c in exclusive))
    return Match(value=tuple(c.value for c in picked))


def match_rating(scale: Scale, text: str) -> Match:
    """A whole number on the scale: "4", "4/5", "4 out of 5", "four", or an end label."""
    said = _key(text)
    for label, end in ((scale.min_label, scale.minimum), (scale.max_label, scale.maximum)):
        if label and said == _key(label):
            return Match(value=end)
    words = " ".join(str(NUMBER_WORDS.get(w, w)) for w in said.split())
    found = _RATING.match(normalise(text)) or _RATING.match(words)
    if not found:
        return Match(problem="no_match")
    number, out_of = found.groups()
    if out_of is not None and int(out_of) != scale.maximum:
        return Match(problem="out_of_range")
    if "." in number or not scale.minimum <= int(number) <= scale.maximum:
        return Match(problem="out_of_range")
    return Match(value=int(number))


def match_answer(item: Item, text: str) -> Match:
    """Typed text matched to a choice, multi-choice or rating item."""
    if item.type == "rating":
        assert item.scale is not None  # the loader gives every rating item a scale
        return match_rating(item.scale, text)
    if item.type == "multi":
        return match_several(item.choices, text)
    return match_choice(item.choices, text)


def match_values(item: Item, values: Sequence[object]) -> Match:
    """A card submission: exact choice values (or labels); anything else goes through typing rules."""
    by_value = {c.value: c for c in item.choices} | {c.label: c for c in item.choices}
    found: list[AnswerValue] = []
    for value in values:
        choice = by_value.get(str(value))
        if choice is None:
            typed = match_choice(item.choices, str(value))
            if not typed.ok:
                return typed
            found.append(typed.value)
        else:
            found.append(choice.value)
    if item.type == "multi":
        return _combine(item.choices, found)
    return Match(value=found[0]) if len(found) == 1 else Match(problem="ambiguous")
