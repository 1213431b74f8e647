"""One delivery of an activity: whether it was acted on already, and when it was sent.

Teams and Bot Framework deliver an activity again (same id) when a reply is
slow or lost, at the same moment or later, to any replica. A turn that
changes survey state records its activity with the change (``Delivery.key``
goes to the state store, see storage.processed); a turn that changes
something else claims the activity first (``Deliveries.once``). Either way a
second delivery changes nothing.

``sent_at`` is the channel's timestamp of the activity, when it is plausible,
and ``shown_at`` the same clock when this turn's replies go out: the survey
engine uses them to tell a typed answer sent before the question now on
screen appeared (a retry, or a message that crossed the reply) from an
answer to it. Only the channel's clock is compared with itself; this
process's clock only measures how long the turn took.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from botbuilder.schema import Activity

from bot import identity
from storage import processed
from storage.database import Database
from storage.errors import StorageError

log = logging.getLogger(__name__)

#: A timestamp further than this from our own clock is not trusted (a client's clock may be wrong).
PLAUSIBLE = timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    """``key``: the activity's record key (None when it has no id: then nothing can be deduplicated)."""

    key: str | None = None
    sent_at: datetime | None = None
    began: float = field(default_factory=time.monotonic)

    def shown_at(self) -> datetime | None:
        """When replies made now are shown, in the channel's clock: sent, plus the time this turn took."""
        if self.sent_at is None:
            return None
        return self.sent_at + timedelta(seconds=time.monotonic() - self.began)


def _sent_at(activity: Activity) -> datetime | None:
    stamp = activity.timestamp
    if not isinstance(stamp, datetime):
        return None
    stamp = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return stamp if abs(stamp - datetime.now(UTC)) <= PLAUSIBLE else None


class Deliveries:
    """Keys activities by a keyed hash of (conversation, id); claims, releases, and purges expired records."""

    def __init__(self, db: Database, secret: bytes) -> None:
        self.db = db
        self.secret = secret
        self._purged_on: date | None = None

    def of(self, activity: Activity) -> Delivery:
        key = None
        if isinstance(activity.id, str) and activity.id:
            key = processed.activity_key(self.secret, identity.reference_key(activity), activity.id)
        return Delivery(key, _sent_at(activity))

    @asynccontextmanager
    async def once(self, delivery: Delivery) -> AsyncIterator[bool]:
        """True inside when this is the first delivery (act on it), False for a repeat (do not).

        The claim is recorded before acting; if acting fails it is released, so
        a retry acts again rather than being taken for a repeat.
        """
        first = delivery.key is None or await processed.claim(self.db, delivery.key)
        try:
            yield first
        except BaseException:
            if first and delivery.key is not None:
                try:
                    await processed.release(self.db, delivery.key)
                except StorageError:
                    log.warning("could not release the claim of a failed turn")
            raise

    async def purge_if_due(self) -> None:
        """Delete expired records, once a day per process (a failure waits for the next turn)."""
        today = datetime.now(UTC).date()
        if self._purged_on == today:
            return
        try:
            purged = await processed.purge_expired(self.db, today=today)
        except Exception:  # housekeeping after the turn: it must never fail the turn itself
            log.exception("could not purge expired processed-activity records; will try again")
            return
        self._purged_on = today
        if purged:
            log.info("purged %d expired processed-activity record(s)", purged)
