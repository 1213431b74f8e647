"""Bot state items with optimistic concurrency, framework-free (bot/ wraps it as a botbuilder Storage).

Every write gives the item a new random e_tag. A write that carries an e_tag
succeeds only if that e_tag is still current (and the item still exists), so
two turns of one conversation, in one process or several, cannot silently
overwrite each other: the loser gets ETagConflict and must read again.
``updated_at`` is kept to the hour: it is only for purging stale items (storage.retention).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.database import Database
from storage.errors import ETagConflict
from storage.models import BotStateRow
from storage.processed import record
from storage.upsert import for_connection, insert_if_absent, prepared_upsert, table_of

ANY = "*"

# A turn's write, built once (storage.upsert): the SET values are given by column name when executed.
_TABLE = table_of(BotStateRow)
_UPSERT = prepared_upsert(_TABLE, ["key"], ["document", "e_tag", "updated_at"])
_UPDATE = update(_TABLE).where(_TABLE.c.key == bindparam("at_key"), _TABLE.c.e_tag == bindparam("at_e_tag"))


@dataclass(frozen=True)
class StateItem:
    """A JSON document and the e_tag it was read with (None or "*": write unconditionally)."""

    document: dict[str, Any] = field(default_factory=dict)
    e_tag: str | None = None


def _now_hour(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)


class StateStore:
    """Read, write, delete and purge state items in the bot_state table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def read(self, keys: Iterable[str]) -> dict[str, StateItem]:
        """The items that exist among ``keys``, each with its current e_tag."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with self.db.transaction(read_only=True) as session:
            rows = await session.execute(
                select(BotStateRow.key, BotStateRow.document, BotStateRow.e_tag).where(
                    BotStateRow.key.in_(wanted)
                )
            )
            return {key: StateItem(document, e_tag) for key, document, e_tag in rows}

    async def read_prefix(self, prefix: str) -> dict[str, StateItem]:
        """Every item whose key starts with ``prefix`` (for recovery and maintenance, not turns)."""
        async with self.db.transaction(read_only=True) as session:
            rows = await session.execute(
                select(BotStateRow.key, BotStateRow.document, BotStateRow.e_tag).where(
                    BotStateRow.key.startswith(prefix, autoescape=True)
                )
            )
            return {key: StateItem(document, e_tag) for key, document, e_tag in rows}

    async def write(self, items: Mapping[str, StateItem], *, processed: str | None = None) -> dict[str, str]:
        """Write all ``items`` in one transaction; returns each key's new e_tag.

        Raises ETagConflict (and writes none of them) when any item's e_tag is
        stale or the item it refers to is gone. ``processed`` is the key of the
        activity whose turn this write is (storage.processed): it is recorded in
        the same transaction, and AlreadyProcessed (nothing written) means that
        activity was already acted on.
        """
        if not items:
            return {}
        stamp = _now_hour()

        def write(connection: Connection) -> dict[str, str]:
            written: dict[str, str] = {}
            if processed is not None:
                record(connection, processed)
            for key, item in items.items():
                new_tag = secrets.token_hex(8)
                values = {"document": dict(item.document), "e_tag": new_tag, "updated_at": stamp}
                if item.e_tag in (None, ANY):
                    connection.execute(for_connection(_UPSERT, connection), {"key": key, **values})
                else:
                    result = connection.execute(_UPDATE, {**values, "at_key": key, "at_e_tag": item.e_tag})
                    if affected(result) != 1:
                        raise ETagConflict(key)
                written[key] = new_tag
            return written

        # A turn's write: one transaction, in one thread hop on SQLite (Database.run).
        return await self.db.run(write)

    async def delete(self, keys: Iterable[str]) -> None:
        """Delete the items (missing keys are fine)."""
        doomed = list(keys)
        if doomed:
            async with self.db.transaction() as session:
                await forget_state(session, doomed)

    async def update(
        self,
        key: str,
        change: Callable[[dict[str, Any] | None], Awaitable[dict[str, Any]]],
        attempts: int = 3,
    ) -> dict[str, Any]:
        """Read ``key``, apply ``change`` to its document (None when absent), write the result back.

        A lost race is retried from fresh state; after ``attempts`` lost races
        the ETagConflict is raised, never swallowed. Creating an absent item
        counts as a race too if someone else creates it first.
        """
        for attempt in itertools.count(1):
            current = (await self.read([key])).get(key)
            document = await change(dict(current.document) if current else None)
            try:
                if current is None:
                    await self._create(key, document)
                else:
                    await self.write({key: StateItem(document, current.e_tag)})
                return document
            except ETagConflict:
                if attempt >= attempts:
                    raise
        raise AssertionError("itertools.count does not end")

    async def _create(self, key: str, document: dict[str, Any]) -> None:
        row = {"key": key, "document": document, "e_tag": secrets.token_hex(8), "updated_at": _now_hour()}
        async with self.db.transaction() as session:
            if not await insert_if_absent(session, BotStateRow, row):
                raise ETagConflict(key)


async def forget_state(session: AsyncSession, keys: list[str]) -> None:
    """Delete state items inside the caller's transaction (missing keys are fine)."""
    await session.execute(delete(BotStateRow).where(BotStateRow.key.in_(keys)))
