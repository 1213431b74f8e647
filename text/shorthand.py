"""The one shorthand file (``text/shorthand.yaml``): what staff type on phones, written out.

``expand`` is the first step of every reader of free text in the project, so
"sw", "pls", "2nite" or "traning" mean the same to answer matching, theme
coding, guidance retrieval and the emergency cues.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from common.errors import ContentError
from common.yamlfile import LINE_KEY, line_of, load_yaml

SHORTHAND_FILE = Path(__file__).resolve().parent / "shorthand.yaml"
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'", "–": "-", "—": "-"})


def fold(text: str) -> str:
    """Lower case, straight quotes and dashes, single spaces."""
    return " ".join(text.translate(_QUOTES).lower().split())


def _whole(phrases: list[str], *, cased: bool) -> re.Pattern[str] | None:
    if not phrases:
        return None
    body = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    letters = "A-Za-z0-9'" if cased else "a-z0-9'"
    return re.compile(rf"(?<![{letters}])(?:{body})(?![{letters}])")


@dataclass(frozen=True)
class Shorthand:
    """Whole-word replacements: ``words`` on folded text, ``cased`` on the text as typed."""

    words: Mapping[str, str]
    cased: Mapping[str, str]
    _words: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _cased: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_words", _whole(list(self.words), cased=False))
        object.__setattr__(self, "_cased", _whole(list(self.cased), cased=True))

    def expand(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        """``text`` folded (see ``fold``), every shorthand written out ("sw pls" -> "social worker
        please") except the lower-case words in ``keep`` (a reader's own terms, e.g. "CP")."""
        if self._cased is not None:
            text = self._cased.sub(lambda m: self.cased[m.group(0)], text)
        text = fold(text)
        if self._words is not None:
            text = self._words.sub(
                lambda m: m.group(0) if m.group(0) in keep else self.words[m.group(0)], text
            )
        return text


def load_shorthand(path: Path = SHORTHAND_FILE) -> Shorthand:
    """Read and check a shorthand file; ContentError names file and line."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(str(path), 1, "expected a mapping with 'words' (and 'case_sensitive')")
    words, cased = data.get("words"), data.get("case_sensitive") or {}
    if not isinstance(words, dict) or not isinstance(cased, dict):
        raise ContentError(str(path), line_of(data), "'words' and 'case_sensitive' map shorthand to words")
    for key, value in [*words.items(), *cased.items()]:
        if key != LINE_KEY and (not str(key).strip() or not isinstance(value, str | int)):
            raise ContentError(str(path), line_of(words), f"shorthand {key!r} needs a text to stand for")
    return Shorthand(
        words={fold(str(k)): fold(str(v)) for k, v in words.items() if k != LINE_KEY},
        cased={str(k): fold(str(v)) for k, v in cased.items() if k != LINE_KEY},
    )


@cache
def shorthand() -> Shorthand:
    """The project's shorthand file, read and checked once per process."""
    return load_shorthand()


def expand(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` folded with the project's shorthand written out (see ``Shorthand.expand``)."""
    return shorthand().expand(text, keep)
