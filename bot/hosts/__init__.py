"""The SDKs that host the bot, and the one chosen by the BOT_HOST setting: ``botbuilder`` (the
Bot Framework SDK, the default) and ``agents`` (the Microsoft 365 Agents SDK, its successor).

The seam both implement is in ``bot.hosts.seam`` and what they raise in
``bot.hosts.errors``; both are re-exported here for the turn logic. Each host
module (``botbuilder`` with its ``adapter``, ``agents``) is imported only when
chosen (its SDK is heavy), and imports the seam and the errors, never this
package, so nothing loops back.
"""

from __future__ import annotations

from bot.hosts.errors import (
    AuthenticationUnavailable,
    ConnectionFailed,
    NotAConnector,
    SendFailed,
    warn_if_open,
)
from bot.hosts.seam import Answer, Host, OnTurn, Turn, TurnOn
from common.settings import Settings

__all__ = [
    "Answer",
    "AuthenticationUnavailable",
    "ConnectionFailed",
    "Host",
    "NotAConnector",
    "OnTurn",
    "SendFailed",
    "Turn",
    "TurnOn",
    "create_host",
    "warn_if_open",
]


def create_host(settings: Settings) -> Host:
    """The host BOT_HOST names, configured from settings (app id, password, type, tenant)."""
    if settings.bot_host == "agents":
        from bot.hosts.agents import create_agents_host

        return create_agents_host(settings)
    from bot.hosts.botbuilder import create_botbuilder_host

    return create_botbuilder_host(settings)
