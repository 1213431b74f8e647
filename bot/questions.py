"""What a turn works out from the words of a message: pure CPU work, no I/O, no framework.

Kept apart from the turn modules so it can run in a worker process
(bot.workers) as well as in the bot's own: a worker imports only this, the
knowledge base and what they need, not the database or the Bot Framework.
"""

from __future__ import annotations

from dataclasses import dataclass

from guidance import emergency
from guidance.knowledge import KnowledgeBase
from guidance.model import Answer
from guidance.screening import screen, self_disclosure
from surveys import redaction
from surveys.redaction import redact
from surveys.turns import ScreenVerdict

MAX_QUESTION = 1000  # characters of a question kept in logs and passed to the experts
# A question quoted back from a card arrives already redacted: its markers show it was personal.
_MARKERS = (
    redaction.EMAIL,
    redaction.PHONE,
    redaction.NHS_NUMBER,
    redaction.POSTCODE,
    redaction.DATE_OF_BIRTH,
    redaction.NAME,
)


def in_danger(texts: tuple[str, ...]) -> str | None:
    """The first of ``texts`` that suggests someone is in danger now, if any (each detected once)."""
    return next((text for text in dict.fromkeys(texts) if text and emergency.detect(text)), None)


def disclosed(texts: tuple[str, ...]) -> str | None:
    """The kind of harm to the writer disclosed in the first of ``texts`` that discloses any, or None."""
    return next((kind for text in dict.fromkeys(texts) if text and (kind := self_disclosure(text))), None)


def screened(texts: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(the text that suggests danger, or None; else the kind of harm to the writer disclosed, or None)."""
    urgent = in_danger(texts)
    return urgent, None if urgent is not None else disclosed(texts)


def shown(text: str) -> str:
    """A question as a card may quote it back: whitespace folded, personal details redacted, capped."""
    return redact(" ".join(str(text).split()))[:MAX_QUESTION]


def loggable(text: str) -> str | None:
    """The words of a question as the guidance log may keep them, or None to keep only its topic.

    Kept only when it reads as a plain question with nothing personal: a message
    that mentions harm to someone, or is a disclosure, or had anything redacted
    (a name, a number) keeps none of its words.
    """
    plain = " ".join(str(text).split())[:MAX_QUESTION]
    # Only reached for messages the turn found are not an emergency (detection runs once per turn).
    if not plain or screen(plain, in_danger=False) is not None or emergency.mentions_harm(plain):
        return None
    personal = redact(plain) != plain or any(marker in plain for marker in _MARKERS)
    return None if personal else plain


def disclosures(texts: tuple[str, ...]) -> dict[str, ScreenVerdict | None]:
    """The survey's screening verdict on each of ``texts``, which the turn found are no emergency."""
    return {text: screen(text, in_danger=False) for text in texts}


@dataclass(frozen=True)
class Reading:
    """A guidance question read: the knowledge base's answer, the question as shown, as logged."""

    answer: Answer
    shown: str
    logged: str | None


def read_question(kb: KnowledgeBase, text: str) -> Reading:
    """Answer ``text`` (already found not to be an emergency) and prepare its quote and log line."""
    return Reading(kb.answer(text, in_danger=False), shown(text), loggable(text))


def read_if_sure(kb: KnowledgeBase, text: str) -> Reading | None:
    """:func:`read_question`, only when the knowledge base is sure (typed text mid-survey); else None,
    without the redaction work that would be thrown away."""
    answer = kb.answer(text, in_danger=False)
    return Reading(answer, shown(text), loggable(text)) if answer.sure else None


def emergency_answer(kb: KnowledgeBase, text: str) -> Answer:
    """The knowledge base's answer to ``text``, which the turn's detection found is an emergency."""
    return kb.answer(text, in_danger=True)
