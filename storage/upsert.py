"""INSERT ... ON CONFLICT for whichever of SQLite and PostgreSQL the session is on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.affected import affected


def _insert(session: AsyncSession | Session, model: Any) -> Any:
    bind = session.bind
    assert bind is not None, "the project's sessions are always bound to its one engine"
    dialect = bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def if_absent(session: AsyncSession | Session, model: Any, row: Mapping[str, Any]) -> Any:
    """The statement inserting ``row`` unless its primary key is there (rowcount 1 when it was new)."""
    return _insert(session, model).values(**row).on_conflict_do_nothing()


def if_absent_many(session: AsyncSession | Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The statement inserting ``rows`` (one multi-row INSERT), skipping those whose primary key is there."""
    return _insert(session, model).values(list(rows)).on_conflict_do_nothing()


async def insert_if_absent(session: AsyncSession, model: Any, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless its primary key is already there; True when it was new.

    This is what makes every write of a submission idempotent: a retried step
    finds its row already in place and changes nothing.
    """
    result = await session.execute(if_absent(session, model, row))
    return affected(result) == 1


async def insert_many_if_absent(session: AsyncSession, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` in the order given, skipping any whose primary key is already there."""
    if rows:
        await session.execute(_insert(session, model).on_conflict_do_nothing(), list(rows))


def upserting(
    session: AsyncSession | Session,
    model: Any,
    row: Mapping[str, Any],
    keys: Sequence[str],
    update: Sequence[str],
) -> Any:
    """The statement inserting ``row``, or updating its ``update`` columns where ``keys`` match a row."""
    return upserting_many(session, model, [row], keys, update)


def upserting_many(
    session: AsyncSession | Session,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
) -> Any:
    """:func:`upserting` for many rows in one multi-row statement (no two of them with the same ``keys``)."""
    statement = _insert(session, model).values(list(rows))
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )


async def upsert(
    session: AsyncSession, model: Any, row: Mapping[str, Any], keys: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``row``, or update the ``update`` columns of the row with the same ``keys``."""
    await session.execute(upserting(session, model, row, keys, update))
