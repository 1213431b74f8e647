"""INSERT ... ON CONFLICT for whichever of SQLite and PostgreSQL the session is on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.affected import affected

# The INSERT with ON CONFLICT of each database the project runs on.
_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert(session: AsyncSession | Session, model: Any) -> Any:
    bind = session.bind
    assert bind is not None, "the project's sessions are always bound to its one engine"
    return _INSERTS["postgresql" if bind.dialect.name == "postgresql" else "sqlite"](model)


def _or_update(statement: Any, keys: Sequence[str], update: Sequence[str]) -> Any:
    """``statement`` (an INSERT) updating its ``update`` columns instead where ``keys`` match a row."""
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )


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
    return _or_update(_insert(session, model).values(list(rows)), keys, update)


async def upsert(
    session: AsyncSession, model: Any, row: Mapping[str, Any], keys: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``row``, or update the ``update`` columns of the row with the same ``keys``."""
    await session.execute(upserting(session, model, row, keys, update))


# --- statements built once, for a turn's own transactions (storage.database.Database.run) ------------
#
# Built on the table (Core), not the mapped class, with their values given when executed: a
# statement built once keeps its cache key and compiled form, and a Core statement on a
# Connection skips the ORM's unit of work, which cost more CPU than the statements themselves.

Prepared = dict[str, Any]  # dialect name -> statement


def _by_dialect(build: Any) -> Prepared:
    return {dialect: build(insert) for dialect, insert in _INSERTS.items()}


def prepared_if_absent(table: Table) -> Prepared:
    """INSERT of one row (its values given when executed) unless its primary key is there, per dialect."""
    return _by_dialect(lambda insert: insert(table).on_conflict_do_nothing())


def prepared_upsert(table: Table, keys: Sequence[str], update: Sequence[str]) -> Prepared:
    """INSERT of one row, or UPDATE of its ``update`` columns where ``keys`` match, per dialect."""

    return _by_dialect(lambda insert: _or_update(insert(table), keys, update))


def for_connection(prepared: Prepared, connection: Connection) -> Any:
    """The prepared statement for the connection's dialect."""
    return prepared[connection.dialect.name]


def table_of(model: Any) -> Table:
    """The table a mapped class is on (SQLAlchemy types ``__table__`` as any FROM clause)."""
    table = model.__table__
    assert isinstance(table, Table), "the project's models are each on one table"
    return table
