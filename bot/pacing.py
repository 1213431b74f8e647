"""Pacing of the messages the bot starts itself, under Teams' limit for one app in one tenant.

Teams accepts about 50 messages a second per bot per tenant and answers more
with HTTP 429. Letting the 429s do the throttling wastes calls and holds every
send back for the Retry-After, so each tenant has a schedule: every send
reserves the next free slot, the slots 1/rate apart (less 4%), and waits for
it. The margin is there because Teams counts messages as they *arrive*: the
time between a slot and the request reaching the service varies by tens of
milliseconds on a loaded machine, and with 2% (one spare message a second)
that jitter put a 51st message into some second every few hundred sends. Each
such 429 holds every sender back for its Retry-After (a second: 50 messages
lost). In one sends benchmark run each, 1,500 people: with 2%, invitations and
reminders reached 86% and 90% of the limit (five and three 429s); with 4%,
90% and 92% (one 429 and none), the rest being the command's start-up.
Slots are reserved on the schedule, not on the time a sender happens to wake,
so lateness under load does not add up and the pace holds (a leaky bucket such
as aiolimiter's, sized to allow no burst, measured about 94% of the rate here
for that reason). Every proactive path of a process (invitations,
reminders, report cards, expert answers) goes through the one
``ProactiveSender`` and so through one pacer; runs that send to many people
(``bot invite``, the scheduled tick) are single processes by design.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MARGIN = 0.96  # of the configured rate: room for the jitter between a slot and its arrival


class Pacer:
    """Waits until the next message to ``tenant`` may leave; ``per_second`` 0 means no pacing.

    ``clock`` and ``sleep`` are the sender's own (a monotonic clock in seconds and its sleep), so
    a test can run the schedule on a clock of its own instead of timing real sends.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 0:
            raise ValueError("per_second must be 0 (no pacing) or more")
        self.interval = 1 / (per_second * MARGIN) if per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}  # tenant -> the clock time of its next free slot

    async def wait(self, tenant: str) -> None:
        if not self.interval:
            return
        now = self._clock()
        slot = max(now, self._next.get(tenant, now))
        self._next[tenant] = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
