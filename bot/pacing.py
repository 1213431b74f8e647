"""Pacing of the messages the bot starts itself, under Teams' limit for one app in one tenant.

Teams accepts about 50 messages a second per bot per tenant and answers more
with HTTP 429. Letting the 429s do the throttling wastes calls and holds every
send back for the Retry-After, so each tenant gets a leaky bucket (aiolimiter)
drained at the configured rate with room for one message: sends leave evenly
spaced, never in a burst above the rate. Every proactive path of a process
(invitations, reminders, report cards, expert answers) goes through the one
``ProactiveSender`` and so through one pacer; runs that send to many people
(``bot invite``, the scheduled tick) are single processes by design.
"""

from __future__ import annotations

from aiolimiter import AsyncLimiter


class Pacer:
    """Waits until the next message to ``tenant`` may leave; ``per_second`` 0 means no pacing."""

    def __init__(self, per_second: float) -> None:
        if per_second < 0:
            raise ValueError("per_second must be 0 (no pacing) or more")
        self.per_second = per_second
        self._buckets: dict[str, AsyncLimiter] = {}

    async def wait(self, tenant: str) -> None:
        if not self.per_second:
            return
        bucket = self._buckets.get(tenant)
        if bucket is None:
            bucket = self._buckets[tenant] = AsyncLimiter(1, 1 / self.per_second)
        await bucket.acquire()
