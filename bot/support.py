"""A practitioner's own disclosure (domestic abuse, self-harm, harmed at work): support, words not kept.

Handled like an emergency: recognised in what was typed or written in a card's
text box before anything reaches the survey or the guidance log, answered with
the partnership's own contacts (``guidance.screening.support_message``), and
never passed on, so the words reach neither a stored answer nor a log line.
"""

from __future__ import annotations

from collections.abc import Mapping

from botbuilder.schema import Activity

from bot import cards
from guidance.screening import support_message


def support(kind: str, contacts: Mapping[str, str]) -> Activity:
    """The support message for this kind, marked urgent so the chat page keeps it in view."""
    text = support_message(kind, contacts)
    content = cards.card([cards.attention(text)], text)
    return cards.card_activity(content, summary="Support for you", urgent=True)
