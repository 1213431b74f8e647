"""Alembic, configured in code (no alembic.ini): upgrade to head, and where a database stands.

Migrations live in storage/migrations/versions and are written by hand to
mirror storage/models.py; a test compares the two on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic Config pointing at storage/migrations; the connection is passed in attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The revision the code expects (the single head of storage/migrations)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"storage/migrations should have one head, has {heads}")
    return heads[0]


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (False: the database is ahead)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _read_revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_read_revision)


# The one lock every process migrating a PostgreSQL database takes (any fixed number will do).
MIGRATION_LOCK = 0x5AFE_6A4D


def _upgrade_on(connection: Connection, revision: str) -> str | None:
    """Upgrade inside the caller's transaction, alone: replicas starting together (each runs the
    upgrade at start) would otherwise all read "empty" and all create the tables, and all but one
    fail. On PostgreSQL a transaction-scoped advisory lock makes the others wait, then find the
    schema current; SQLite's transactions already write one at a time. Returns the revision the
    database was at, read under the lock."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    before = _read_revision(connection)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    return before


async def upgrade_async(url: str, revision: str = "head") -> str | None:
    """Run the migrations up to ``revision`` in one transaction (DDL is transactional on both
    databases); returns the revision the database was at (None: empty)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade_on, revision)
    finally:
        await engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (sync: run it via asyncio.to_thread from a loop)."""
    asyncio.run(upgrade_async(url, revision))
