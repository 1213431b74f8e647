"""What one turn sends back: new messages, and earlier cards to replace (answered, out of date).

Teams replaces a card with ``updateActivity`` on the connector. A client that
asked for ``expectReplies`` (the local chat page, tests) cannot be called
back, so there the replacement travels in the reply list as a
``messageUpdate`` activity carrying the old card's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import CardFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes


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


WANTED_ID = "_wanted_id"  # a plain attribute: survives TurnContext's deepcopy, never serialised
STAMPING = "bot.replies.stamping"


async def _stamp_ids(ctx: TurnContext, activities: list[Activity], send: Callable[[], Awaitable[Any]]) -> Any:
    """TurnContext clears every outgoing id; an expectReplies client needs ours, so put them back."""
    for activity in activities:
        wanted = getattr(activity, WANTED_ID, None)
        if wanted:
            activity.id = wanted
    return await send()


async def deliver(ctx: TurnContext, replies: Replies) -> None:
    """Send the replacements, then the messages, the way this client can take them.

    For an expectReplies client every message gets an id it can quote back
    (``replyToId`` of a card submission), and a replaced card travels as a
    ``messageUpdate`` activity with the old card's id; Teams assigns its own
    ids and replaces cards through ``updateActivity``.
    """
    buffered = ctx.activity.delivery_mode == DeliveryModes.expect_replies
    outgoing: list[Activity] = []
    for activity_id, card in replies.updates:
        attachment = CardFactory.adaptive_card(card)
        if buffered:
            update = Activity(type="messageUpdate", attachments=[attachment])
            setattr(update, WANTED_ID, activity_id)
            outgoing.append(update)
        else:
            await ctx.update_activity(
                Activity(type=ActivityTypes.message, id=activity_id, attachments=[attachment])
            )
    for activity in replies.messages:
        setattr(activity, WANTED_ID, uuid.uuid4().hex)
        outgoing.append(activity)
    if not outgoing:
        return
    if buffered and not ctx.turn_state.get(STAMPING):
        ctx.turn_state[STAMPING] = True
        ctx.on_send_activities(_stamp_ids)
    await ctx.send_activities(outgoing)
