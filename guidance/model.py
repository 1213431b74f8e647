"""The knowledge base as frozen dataclasses: topics, glossary entries and the answer given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EMERGENCY_TOPIC = "immediate-danger"
GLOSSARY_TOPIC = "glossary"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class GlossaryEntry:
    """One acronym or term; ``meaning`` has the partnership's contacts filled in."""

    term: str
    expansion: str
    meaning: str
    aliases: tuple[str, ...] = ()
    topic: str | None = None


@dataclass(frozen=True)
class Topic:
    """One topic as loaded: ``answer`` and link urls already have the local contacts filled in."""

    id: str
    title: str
    answer: str
    links: tuple[Link, ...]
    related: tuple[str, ...]
    questions: tuple[str, ...]
    review: date
    source: str
    keywords: tuple[str, ...] = ()
    terms: tuple[GlossaryEntry, ...] = ()


@dataclass(frozen=True)
class Answer:
    """What the knowledge base says to one message.

    topic is None when no topic is a confident match (``sure`` False, ``nearest``
    lists the closest topics); ``emergency`` is True whenever the answer is the
    immediate-danger guidance, which the bot must show first. ``term`` is set
    for glossary answers (topic "glossary").
    """

    topic: str | None
    title: str
    confidence: float
    sure: bool
    emergency: bool
    text: str
    term: str | None = None
    related: tuple[tuple[str, str], ...] = ()
    nearest: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    reminder: str | None = None  # the one-line 999 reminder, shown before the answer when set
