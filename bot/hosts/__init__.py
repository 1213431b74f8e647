"""The seam between the bot's turn logic and the SDK that hosts it: an activity in, replies out,
plus messages the bot starts itself.

Two hosts implement it, chosen by the BOT_HOST setting: ``botbuilder`` (the
Bot Framework SDK, the default) and ``agents`` (the Microsoft 365 Agents SDK,
its successor). Everything the turn logic needs from a host is here:

- :class:`Host` runs one authenticated turn for ``/api/messages`` and answers
  what the SDK answers (the expectReplies envelope, an invoke's body, or 202),
  and sends proactive messages to a stored conversation reference;
- :class:`Turn` is what the handler gets for one turn: the incoming activity,
  sending messages and replacing an earlier card.

The activity model the turn logic reads and builds is ``botbuilder.schema``'s
``Activity`` (plain data, no SDK behaviour); the Agents SDK host converts at its
edge. Errors a host raises are the project's own, so the endpoint and
``bot.proactive`` treat both hosts alike.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.schema import Activity

from common.errors import SafeguardingBotError
from common.settings import Settings

log = logging.getLogger(__name__)


class AuthenticationUnavailable(SafeguardingBotError):
    """The channel's signing keys could not be fetched, so no token can be checked now (503)."""

    status = 503


class SendFailed(Exception):
    """The Bot Connector answered a proactive send with an HTTP error (``status``, its Retry-After)."""

    def __init__(self, status: int | None, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class ConnectionFailed(Exception):
    """The Bot Connector could not be reached (refused, reset, timed out): worth trying again."""


class NotAConnector(Exception):
    """Whatever answered a proactive send is not a Bot Connector (e.g. a local chat page's reference)."""


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


def warn_if_open(settings: Settings) -> None:
    """Say loudly, at start-up, that the endpoint takes unauthenticated requests (or refuses all)."""
    if not settings.is_open:
        return
    if settings.dev_open_endpoint:
        log.warning(
            "NO MicrosoftAppId IS SET: /api/messages accepts UNAUTHENTICATED requests. "
            "This is for local use only; never expose this server to a network."
        )
    else:
        log.warning("No MicrosoftAppId is set and DEV_OPEN_ENDPOINT is false: every request is refused.")


def create_host(settings: Settings) -> Host:
    """The host BOT_HOST names, configured from settings (app id, password, type, tenant)."""
    if settings.bot_host == "agents":
        from bot.hosts.agents import create_agents_host

        return create_agents_host(settings)
    from bot.hosts.botbuilder import create_botbuilder_host

    return create_botbuilder_host(settings)
