"""Which activities the bot has already acted on, so a delivery made twice changes nothing.

Bot Framework and Teams deliver an activity again (same id) when a reply was
slow or lost, sometimes while the first delivery is still running, and on any
replica. A turn that changes something records its activity here: in the same
transaction as the state it changed (``record``, used by the state store; ``mark``
with a guidance log line), or claimed before it acts when what it does is not a write of ours (``claim``:
feedback, a question for the experts). A second delivery
finds the record and changes nothing.

Nothing here can identify a person or a conversation: the key is an HMAC,
under the product secret, of the conversation and the activity id, and the
only other column is the day the record may be forgotten. Records live for
``LIFETIME`` (retries come within minutes), then ``purge_expired`` deletes them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from storage.affected import affected
from storage.database import Database
from storage.errors import StorageError
from storage.models import ProcessedActivityRow
from storage.upsert import for_connection, insert_if_absent, prepared_if_absent, table_of

#: How long a record is kept at least (it is forgotten on the first purge after its expiry day).
LIFETIME = timedelta(days=1)
_PURPOSE = b"processed-activity\x00"


class AlreadyProcessed(StorageError):
    """This activity was already acted on (perhaps a moment ago, on another replica); nothing was written."""

    status = 409

    def __init__(self) -> None:
        super().__init__("this activity was already processed")


def activity_key(secret: bytes, conversation: str, activity_id: str) -> str:
    """The record's key: HMAC-SHA256 of (conversation, activity id) hex; hides neither without the secret."""
    # JSON keeps the two apart whatever they hold (and escapes anything unencodable).
    message = _PURPOSE + json.dumps([conversation, activity_id]).encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _today() -> date:
    return datetime.now(UTC).date()


def _row(key: str, today: date | None) -> dict[str, object]:
    return {"key": key, "expires_on": (today or _today()) + LIFETIME}


_MARK = prepared_if_absent(table_of(ProcessedActivityRow))


def mark(connection: Connection, key: str, *, today: date | None = None) -> bool:
    """Record ``key`` inside the caller's transaction (``Database.run``); True when it was new
    (so the caller should act)."""
    return affected(connection.execute(for_connection(_MARK, connection), _row(key, today))) == 1


def record(connection: Connection, key: str, *, today: date | None = None) -> None:
    """Record ``key`` inside the caller's transaction (``Database.run``); AlreadyProcessed (roll back!)
    when it is there."""
    if not mark(connection, key, today=today):
        raise AlreadyProcessed()


async def claim(db: Database, key: str, *, today: date | None = None) -> bool:
    """Record ``key`` now, before acting; True when this delivery is the first (so it should act)."""
    async with db.transaction() as session:
        return await insert_if_absent(session, ProcessedActivityRow, _row(key, today))


async def release(db: Database, key: str) -> None:
    """Forget a claim whose action failed, so a retry acts again."""
    async with db.transaction() as session:
        await session.execute(delete(ProcessedActivityRow).where(ProcessedActivityRow.key == key))


async def seen(db: Database, key: str) -> bool:
    """Whether ``key`` was recorded (by a turn that has committed)."""
    async with db.transaction(read_only=True) as session:
        found = await session.scalar(select(ProcessedActivityRow.key).where(ProcessedActivityRow.key == key))
        return found is not None


async def purge_expired(db: Database, *, today: date | None = None) -> int:
    """Delete records past their expiry day; returns how many went."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedActivityRow).where(ProcessedActivityRow.expires_on < (today or _today()))
        )
        return affected(result)
