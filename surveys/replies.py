"""Short replies ("yes", "not now") and messages that read as questions, from a word list.

People on phones answer the bot's own questions in a word or two; those words are
data (``surveys/wordlists/replies.yaml``), read and checked once. Both the engine
(the restart question, the summary, the paused offer) and the bot (whether text
typed at a questionnaire item is a question for the guidance) use them, so a word
means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml
from surveys.matching import normalise

REPLIES_FILE = Path(__file__).resolve().parent / "wordlists" / "replies.yaml"

ShortReply = Literal["yes", "no", "later"]
_KINDS: tuple[ShortReply, ...] = ("yes", "no", "later")


@dataclass(frozen=True)
class Replies:
    """The short replies by kind, and the words that begin a question."""

    short: dict[str, ShortReply]
    question_starts: tuple[tuple[str, ...], ...]


def _words(data: dict[str, Any], key: str, where: str) -> list[str]:
    words = data.get(key)
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise ContentError(where, line_of(data), f"'{key}' should be a list of words")
    return [normalise(w) for w in words]


@cache
def load_replies(path: Path = REPLIES_FILE) -> Replies:
    """The word list, read and checked once per process; ContentError names the file and the problem."""
    where = str(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(where, 1, "expected a mapping with yes, no, later and question_starts")
    short: dict[str, ShortReply] = {}
    for kind in _KINDS:
        for word in _words(data, kind, where):
            if short.get(word, kind) != kind:
                raise ContentError(where, line_of(data), f"'{word}' is both {short[word]} and {kind}")
            short[word] = kind
    starts = tuple(tuple(start.split()) for start in _words(data, "question_starts", where))
    return Replies(short, starts)


def short_reply(text: str | None) -> ShortReply | None:
    """ "yes", "no" or "later" when the whole of ``text`` is one of those short replies, else None."""
    return load_replies().short.get(normalise(text or "")) if text else None


def reads_as_question(text: str | None) -> bool:
    """Whether ``text`` reads as a question: it ends with "?" or begins with a question word."""
    if not text or not text.strip():
        return False
    if text.rstrip().endswith("?"):
        return True
    words = tuple(normalise(text).split())
    return any(words[: len(start)] == start for start in load_replies().question_starts)
