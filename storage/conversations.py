"""Conversation references for proactive messages (invitations, reminders, results to agency leads).

Kept in their own table: they identify people, so nothing else refers to them
except invitation progress, and no response or question can be joined to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, select

from storage.database import Database
from storage.models import ConversationReferenceRow
from storage.upsert import for_connection, prepared_upsert, table_of

Kind = Literal["personal", "channel"]


@dataclass(frozen=True)
class StoredReference:
    key: str
    kind: str
    user_id: str | None
    reference: dict[str, Any]


# Built once (Core): every install and every conversation update saves a reference (Database.run).
_SAVE = prepared_upsert(
    table_of(ConversationReferenceRow), ["key"], ["kind", "user_id", "reference", "seen_month"]
)


def _stored(row: ConversationReferenceRow) -> StoredReference:
    return StoredReference(row.key, row.kind, row.user_id, dict(row.reference))


async def save_reference(
    db: Database, key: str, reference: dict[str, Any], kind: Kind, user_id: str | None
) -> None:
    """Keep (or refresh) the reference under ``key``: the latest one wins, seen this month.

    A personal reference not refreshed for REFERENCE_MONTHS is deleted (storage.retention).
    """
    if kind not in ("personal", "channel"):
        raise ValueError(f"kind should be 'personal' or 'channel', not {kind!r}")
    seen = datetime.now(UTC).strftime("%Y-%m")
    row = {"key": key, "kind": kind, "user_id": user_id, "reference": reference, "seen_month": seen}
    await db.run(lambda connection: connection.execute(for_connection(_SAVE, connection), row))


async def get_reference(db: Database, key: str) -> StoredReference | None:
    async with db.transaction(read_only=True) as session:
        row = await session.get(ConversationReferenceRow, key)
        return _stored(row) if row else None


async def installed_personal(db: Database, user_id: str | None = None) -> list[StoredReference]:
    """Every personal (one-to-one) conversation the bot is installed in, by key; only that
    user's when ``user_id`` is given."""
    query = (
        select(ConversationReferenceRow)
        .where(ConversationReferenceRow.kind == "personal")
        .order_by(ConversationReferenceRow.key)
    )
    if user_id is not None:
        query = query.where(ConversationReferenceRow.user_id == user_id)
    async with db.transaction(read_only=True) as session:
        return [_stored(row) for row in await session.scalars(query)]


async def remove_reference(db: Database, key: str) -> None:
    """Forget the reference (the bot was uninstalled, or the user left)."""
    async with db.transaction() as session:
        await session.execute(delete(ConversationReferenceRow).where(ConversationReferenceRow.key == key))
