"""Cue files: named groups of regular expressions, as data, that recognise a kind of message.

Used for emergencies, for screening free-text survey answers and for spotting
out-of-scope questions. A group matches when one of its ``any`` patterns
matches, or when every list in its ``all`` has a match somewhere in the text.
The pieces (groups, the rewriter that normalises phones' shorthand) are public
so the emergency rules can build on the same file format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ContentError
from common.yamlfile import LINE_KEY, line_of, load_yaml
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


def compile_pattern(where: str, line: int | None, pattern: Any) -> re.Pattern[str]:
    """One cue pattern, compiled; ContentError names file and line when it is not a valid regex."""
    if not isinstance(pattern, str) or not pattern:
        raise ContentError(where, line, "a cue pattern should be a non-empty text")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ContentError(where, line, f"cue pattern {pattern!r} is not a valid regex: {exc}") from exc


def load_groups(where: str, rows: Any, key: str = "groups") -> tuple[CueGroup, ...]:
    """A non-empty list of cue groups (``name`` with ``any`` and/or ``all``), checked and compiled."""
    if not isinstance(rows, list) or not rows:
        raise ContentError(where, 1, f"a cue file needs a non-empty '{key}' list")
    groups = []
    for row in rows:
        line = line_of(row)
        if not isinstance(row, dict) or not row.get("name"):
            raise ContentError(where, line, f"each group in '{key}' needs a name")
        any_patterns = row.get("any") or []
        all_lists = row.get("all") or []
        if not any_patterns and not all_lists:
            raise ContentError(where, line, f"cue group '{row['name']}' has neither 'any' nor 'all'")
        if not isinstance(any_patterns, list) or not isinstance(all_lists, list):
            raise ContentError(where, line, f"cue group '{row['name']}': 'any' and 'all' should be lists")
        if any(not isinstance(alternatives, list) or not alternatives for alternatives in all_lists):
            raise ContentError(
                where, line, f"cue group '{row['name']}': each 'all' entry is a list of patterns"
            )
        groups.append(
            CueGroup(
                name=str(row["name"]),
                any=tuple(compile_pattern(where, line, p) for p in any_patterns),
                all=tuple(tuple(compile_pattern(where, line, p) for p in alts) for alts in all_lists),
            )
        )
    return tuple(groups)


def load_rewriter(where: str, data: dict[str, Any]) -> Rewriter:
    """The file's ``rewrite`` words (whole words only), then its ``rewrite_patterns`` [regex, replacement]."""
    rewrite = data.get("rewrite") or {}
    if not isinstance(rewrite, dict):
        raise ContentError(where, line_of(data), "'rewrite' should map words to their replacements")
    words = {str(k).lower(): str(v) for k, v in rewrite.items() if k != LINE_KEY}
    rules = []
    for row in data.get("rewrite_patterns") or []:
        if not isinstance(row, list) or len(row) != 2:
            raise ContentError(where, line_of(data), "each rewrite pattern is [regex, replacement]")
        rules.append((compile_pattern(where, line_of(data), row[0]), str(row[1])))
    return Rewriter(words, tuple(rules))


def load_cue_data(path: Path) -> dict[str, Any]:
    """The YAML mapping at the top of a cue file (ContentError with file and line otherwise)."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(str(path), 1, "a cue file should be a mapping")
    return data


def load_cues(path: Path) -> CueSet:
    """Read and check a cue file; ContentError names file and line (of the group) on any problem."""
    where = str(path)
    data = load_cue_data(path)
    return CueSet(load_groups(where, data.get("groups")), load_rewriter(where, data))


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


def load_typo_mender(where: str, data: dict[str, Any]) -> TypoMender:
    """The file's ``typo_words`` (key words at least ``typo_shortest`` letters long) and ``typo_keep``."""
    words = data.get("typo_words") or []
    keep = data.get("typo_keep") or []
    shortest = data.get("typo_shortest", 5)
    if not isinstance(words, list) or not isinstance(keep, list) or not isinstance(shortest, int):
        raise ContentError(
            where, line_of(data), "'typo_words' and 'typo_keep' are lists, 'typo_shortest' a number"
        )
    for word in (str(w).lower() for w in words):
        if len(word) < shortest:
            raise ContentError(where, line_of(data), f"typo word {word!r} is shorter than {shortest} letters")
    corrector = TypoCorrector(
        (str(w).lower() for w in words), shortest=shortest, keep=(str(w).lower() for w in keep)
    )
    return TypoMender(corrector)
