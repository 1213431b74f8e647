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
from typing import Any, Literal, Self

from pydantic import ValidationInfo, field_validator, model_validator

from common.schema import At, Schema, parse
from common.yamlfile import load_yaml
from surveys.matching import normalise

REPLIES_FILE = Path(__file__).resolve().parent / "wordlists" / "replies.yaml"

ShortReply = Literal["yes", "no", "later"]
_KINDS: tuple[ShortReply, ...] = ("yes", "no", "later")


@dataclass(frozen=True)
class Replies:
    """The short replies by kind, and the words that begin a question."""

    short: dict[str, ShortReply]
    question_starts: tuple[tuple[str, ...], ...]


class _RepliesFile(Schema):
    """The word list as declared: each kind of short reply, then the words that begin a question."""

    yes: tuple[str, ...]
    no: tuple[str, ...]
    later: tuple[str, ...]
    question_starts: tuple[str, ...]

    @field_validator("yes", "no", "later", "question_starts", mode="before")
    @classmethod
    def _words(cls, words: Any, info: ValidationInfo) -> Any:
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise ValueError(f"'{info.field_name}' should be a list of words")
        return [normalise(word) for word in words]

    @model_validator(mode="after")
    def _one_kind_each(self) -> Self:
        short: dict[str, str] = {}
        for kind in _KINDS:
            for word in getattr(self, kind):
                if short.setdefault(word, kind) != kind:
                    raise At(f"'{word}' is both {short[word]} and {kind}", kind)
        return self


@cache
def load_replies(path: Path = REPLIES_FILE) -> Replies:
    """The word list, read and checked once per process; ContentError names the file, line and problem."""
    data = parse(_RepliesFile, load_yaml(path), str(path))
    short: dict[str, ShortReply] = {word: kind for kind in _KINDS for word in getattr(data, kind)}
    return Replies(short, tuple(tuple(start.split()) for start in data.question_starts))


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
