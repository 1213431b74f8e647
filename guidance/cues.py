"""Cue files: named groups of regular expressions, as data, that recognise a kind of message.

Used for emergencies, for screening free-text survey answers and for spotting
out-of-scope questions. A group matches when one of its ``any`` patterns
matches, or when every list in its ``all`` has a match somewhere in the text.
The pieces of the file's declared schema (groups, the rewrites that normalise
phones' shorthand, the typo words) are public so the emergency rules and the
self-disclosure file can build on the same format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from common.schema import At, Schema, Text, parse
from common.yamlfile import load_yaml
from text.shorthand import expand
from text.typos import TypoCorrector


def _union(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One regex for "any of these": a single search instead of one per pattern (speed only)."""
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns)) if patterns else None


@dataclass(frozen=True)
class CueGroup:
    name: str
    any: tuple[re.Pattern[str], ...]
    all: tuple[tuple[re.Pattern[str], ...], ...]
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _all: tuple[re.Pattern[str] | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any", _union(self.any))
        object.__setattr__(self, "_all", tuple(_union(alternatives) for alternatives in self.all))

    def matches(self, text: str) -> bool:
        """True when this group recognises ``text`` (already passed through ``Rewriter.prepare``)."""
        if self._any is not None and self._any.search(text):
            return True
        return bool(self._all) and all(p is not None and p.search(text) for p in self._all)


@dataclass(frozen=True)
class Rewriter:
    """Normalises a message before cues are tried: case, quotes, spacing and shorthand.

    ``words`` are whole-word replacements, done in one pass; ``rules`` are
    [regex, replacement] pairs applied after them, in order.
    """

    words: dict[str, str]
    rules: tuple[tuple[re.Pattern[str], str], ...]
    _whole: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        alternatives = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        whole = re.compile(rf"(?<![a-z0-9'])(?:{alternatives})(?![a-z0-9'])") if self.words else None
        object.__setattr__(self, "_whole", whole)

    def prepare(self, text: str) -> str:
        """Folded, the project's shorthand written out (``hes`` -> ``he's``, see ``text.shorthand``),
        then the file's own rewrites."""
        prepared = expand(text)
        if self._whole is not None:
            prepared = self._whole.sub(lambda m: self.words[m.group(0)], prepared)
        for pattern, replacement in self.rules:
            prepared = pattern.sub(replacement, prepared)
        return prepared


@dataclass(frozen=True)
class CueSet:
    groups: tuple[CueGroup, ...]
    rewriter: Rewriter

    def prepare(self, text: str) -> str:
        """The message as the patterns see it (see ``Rewriter.prepare``)."""
        return self.rewriter.prepare(text)

    def matching(self, text: str) -> list[str]:
        """Names of the groups that recognise ``text``."""
        prepared = self.prepare(text)
        return [group.name for group in self.groups if group.matches(prepared)]


def _compiled(pattern: Any) -> re.Pattern[str]:
    """One cue pattern, compiled; the problem names it when it is not a valid regex."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("a cue pattern should be a non-empty text")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"cue pattern {pattern!r} is not a valid regex: {exc}") from None


#: A regular expression in a cue file, compiled when the file is read.
Pattern = Annotated[re.Pattern[str], PlainValidator(_compiled)]


def _a_pair(row: Any) -> Any:
    if not isinstance(row, list) or len(row) != 2:
        raise ValueError("each rewrite pattern is [regex, replacement]")
    return row


class _Group(Schema):
    name: Annotated[Text, Field(min_length=1)]
    any: tuple[Pattern, ...] | None = None
    all: tuple[Annotated[tuple[Pattern, ...], Field(min_length=1)], ...] | None = None

    @model_validator(mode="after")
    def _has_patterns(self) -> Self:
        if not self.any and not self.all:
            raise ValueError(f"cue group '{self.name}' has neither 'any' nor 'all'")
        return self

    def group(self) -> CueGroup:
        return CueGroup(self.name, self.any or (), self.all or ())


#: A non-empty list of cue groups (``name`` with ``any`` and/or ``all``), compiled when read.
Groups = Annotated[tuple[_Group, ...], Field(min_length=1)]


def cue_groups(groups: tuple[_Group, ...]) -> tuple[CueGroup, ...]:
    """The groups of a cue file as read, ready to match."""
    return tuple(group.group() for group in groups)


class RewriteFields(Schema):
    """The rewrites of a cue file: ``rewrite`` words (whole words only), then ``rewrite_patterns``."""

    rewrite: dict[Text, Text] | None = None
    rewrite_patterns: tuple[Annotated[tuple[Pattern, Text], BeforeValidator(_a_pair)], ...] | None = None

    def rewriter(self) -> Rewriter:
        words = {word.lower(): replacement for word, replacement in (self.rewrite or {}).items()}
        return Rewriter(words, self.rewrite_patterns or ())


class CueFile(RewriteFields):
    """A cue file: its groups and how a message is rewritten before they are tried."""

    groups: Groups

    def cue_set(self) -> CueSet:
        return CueSet(cue_groups(self.groups), self.rewriter())


def load_cues(path: Path) -> CueSet:
    """Read and check a cue file; ContentError names file and line (of the group) on any problem."""
    return parse(CueFile, load_yaml(path), str(path)).cue_set()


@dataclass(frozen=True)
class TypoMender:
    """Puts back a key word typed one letter wrong on a phone ("strangeld", "unconcious", "threatning").

    Words one deleted, added, changed or swapped letter from a listed key word
    become that key word (the project's typo corrector, ``text.typos``).
    ``keep`` lists real words that must not be mended ("attached" is not "attacked").
    """

    corrector: TypoCorrector

    def mend(self, text: str) -> str:
        """``text`` with every near-miss of a key word replaced by the key word."""
        return _WORD.sub(lambda m: self.corrector.correct(m.group(0)), text)


_WORD = re.compile(r"[a-z]+")


class TypoFields(Schema):
    """The ``typo_words`` of a cue file (key words at least ``typo_shortest`` letters long), and the
    ``typo_keep`` words that are never mended."""

    typo_words: tuple[Text, ...] | None = None
    typo_keep: tuple[Text, ...] | None = None
    typo_shortest: Annotated[int, Field(strict=True)] = 5

    @model_validator(mode="after")
    def _long_enough(self) -> Self:
        for index, word in enumerate(self.typo_words or ()):
            if len(word) < self.typo_shortest:
                problem = f"typo word {word.lower()!r} is shorter than {self.typo_shortest} letters"
                raise At(problem, "typo_words", index)
        return self

    def mender(self) -> TypoMender:
        words = (word.lower() for word in self.typo_words or ())
        keep = (word.lower() for word in self.typo_keep or ())
        return TypoMender(TypoCorrector(words, shortest=self.typo_shortest, keep=keep))
