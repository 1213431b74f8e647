"""What a host raises and warns, the project's own, so the endpoint and ``bot.proactive`` treat
both hosts alike.

Kept apart from ``create_host`` (``bot.hosts``), which imports the host
modules, because those modules (``bot.hosts.adapter`` among them) raise these:
each imports only what is below it, so no import loops back (.importlinter).
"""

from __future__ import annotations

import logging

from common.errors import SafeguardingBotError
from common.settings import Settings

log = logging.getLogger("bot.hosts")


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
