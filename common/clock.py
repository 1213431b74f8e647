"""What time the bot takes it to be: real time, or (open local use only) a simulated date.

A wave's dates, reminders and deadlines are easier to try out and test on a
chosen date than to wait for. ``DEV_CLOCK`` sets the moment the process takes
as now when it starts, running on from there; it is honoured only when the
bot runs open for local use (no Microsoft app id, DEV_OPEN_ENDPOINT true), so
a production bot can never be moved in time by a stray setting.
``python -m bot tick --now`` does the same for one tick, under the same rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from common.errors import SettingsError
from common.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def real_now() -> datetime:
    return datetime.now(UTC)


def may_simulate(settings: Settings) -> bool:
    """Whether a simulated date is allowed: only in open local use."""
    return settings.is_open and settings.dev_open_endpoint


def clock_for(settings: Settings) -> Clock:
    """The process's clock: DEV_CLOCK running on from start-up in open local use, else real time."""
    start = settings.dev_clock
    if start is None:
        return real_now
    if not may_simulate(settings):
        log.warning("DEV_CLOCK is ignored: it is honoured only in open local use")
        return real_now
    offset = start - real_now()
    log.warning("DEV_CLOCK: taking it to be %s (open local use)", start.isoformat())
    return lambda: real_now() + offset


def simulated(settings: Settings, text: str) -> datetime:
    """The moment of ``--now TEXT`` (ISO 8601, UTC unless it says); SettingsError outside open local use."""
    if not may_simulate(settings):
        raise SettingsError(
            "--now is allowed only in open local use (no MicrosoftAppId, DEV_OPEN_ENDPOINT true)"
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(f"--now {text!r} is not an ISO 8601 date or date and time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
