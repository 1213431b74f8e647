"""The seam between the bot's turn logic and the SDK that hosts it: an activity in, replies out,
plus messages the bot starts itself.

- :class:`Host` runs one authenticated turn for ``/api/messages`` and answers
  what the SDK answers (the expectReplies envelope, an invoke's body, or 202),
  and sends proactive messages to a stored conversation reference;
- :class:`Turn` is what the handler gets for one turn: the incoming activity,
  sending messages and replacing an earlier card.

The activity model the turn logic reads and builds is ``botbuilder.schema``'s
``Activity`` (plain data, no SDK behaviour); the Agents SDK host converts at its
edge. Errors a host raises are in ``bot.hosts.errors``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.schema import Activity


@dataclass(frozen=True)
class Answer:
    """What ``/api/messages`` answers after a turn: a status and, for expectReplies or an invoke, a body."""

    status: int
    body: Any = None


class Turn(Protocol):
    """One turn, as the handler sees it (whichever SDK runs it)."""

    @property
    def activity(self) -> Activity:
        """The incoming activity, already read and checked at the edge (bot.inbound)."""

    async def send(self, activities: Sequence[Activity]) -> None:
        """Send messages in order. For an expectReplies client each keeps the ``id`` it was given,
        so the client can quote it back (a card submission's replyToId)."""

    async def update(self, activity: Activity) -> None:
        """Replace an earlier message (``activity.id``) through the connector (Teams' updateActivity)."""

    async def answer_invoke(self, body: Mapping[str, Any]) -> None:
        """Answer an invoke activity with HTTP 200 and ``body``."""


OnTurn = Callable[[Turn], Awaitable[None]]


class TurnOn:
    """What both hosts' turns share: the SDK's turn context and the activity the handler reads."""

    def __init__(self, ctx: Any, activity: Activity) -> None:
        self._ctx = ctx
        self._activity = activity

    @property
    def activity(self) -> Activity:
        return self._activity


class Host(Protocol):
    """An SDK hosting the bot: runs turns and sends proactive messages; ``close()`` at shutdown."""

    name: str

    async def handle(
        self, auth_header: str, body: Mapping[str, Any], activity: Activity, on_turn: OnTurn
    ) -> Answer:
        """Authenticate the request and run one turn on ``activity`` (``body`` is its checked JSON).

        Raises ``PermissionError`` (401) for a request that is not authenticated
        and :class:`AuthenticationUnavailable` (503) when tokens cannot be checked now.
        """

    async def send_proactive(self, reference: Mapping[str, Any], activity: Activity) -> str | None:
        """Send ``activity`` to the conversation of a stored reference (JSON); the new message's id.

        Raises :class:`SendFailed`, :class:`ConnectionFailed` or :class:`NotAConnector`;
        never retries (``bot.proactive`` decides when to try again).
        """

    async def close(self) -> None:
        """Release outbound clients and sessions."""
