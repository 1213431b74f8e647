"""What one turn sends back: new messages, and earlier cards to replace (answered, out of date).

Teams replaces a card with ``updateActivity`` on the connector. A client that
asked for ``expectReplies`` (the local chat page, tests) cannot be called
back, so there the replacement travels in the reply list as a
``messageUpdate`` activity carrying the old card's id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, DeliveryModes

from bot import cards
from bot.hosts import Turn


@dataclass
class Replies:
    """Messages to send, in order, and (bot message id, new card) replacements."""

    messages: list[Activity] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, *activities: Activity) -> Replies:
        self.messages.extend(activities)
        return self

    def extend(self, other: Replies) -> Replies:
        self.messages.extend(other.messages)
        self.updates.extend(other.updates)
        return self

    def replace(self, activity_id: str | None, card: dict[str, Any]) -> Replies:
        if activity_id:
            self.updates.append((activity_id, card))
        return self


async def deliver(turn: Turn, replies: Replies) -> None:
    """Send the replacements, then the messages, the way this client can take them.

    For an expectReplies client every message gets an id it can quote back
    (``replyToId`` of a card submission), and a replaced card travels as a
    ``messageUpdate`` activity with the old card's id; Teams assigns its own
    ids and replaces cards through ``updateActivity``.
    """
    buffered = turn.activity.delivery_mode == DeliveryModes.expect_replies
    outgoing: list[Activity] = []
    for activity_id, card in replies.updates:
        if buffered:
            outgoing.append(
                Activity(type="messageUpdate", id=activity_id, attachments=[cards.attachment(card)])
            )
        else:
            await turn.update(
                Activity(type=ActivityTypes.message, id=activity_id, attachments=[cards.attachment(card)])
            )
    for activity in replies.messages:
        if buffered:
            activity.id = uuid.uuid4().hex
        outgoing.append(activity)
    if outgoing:
        await turn.send(outgoing)
