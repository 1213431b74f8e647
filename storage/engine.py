"""The async engine with this product's connection settings, for SQLite and PostgreSQL alike.

On SQLite every writing transaction starts with BEGIN IMMEDIATE, so
concurrent writers (tasks or processes) queue on the busy timeout instead of
failing half-way when a read lock cannot be upgraded; read-only ones (the
READ_ONLY execution option) start with a plain BEGIN and, under WAL, never
wait for a writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.errors import StorageUnavailable

SQLITE_BUSY_SECONDS = 30
PG_CONNECT_SECONDS = 5
PG_COMMAND_SECONDS = 30
# Execution option marking a transaction that only reads (see the module docstring).
READ_ONLY = "storage_read_only"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` with this product's connection settings.

    SQLite: creates the file's directory, WAL, foreign keys on, busy timeout,
    BEGIN IMMEDIATE for writers. PostgreSQL: short connect timeout (a turn must not hang a
    minute on a dead server) and pre-ping so a restarted server is survived. Both: statement
    parameters never appear in errors or logs (they hold answers, questions and people's keys).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailable(f"cannot create {path.parent.name!r}: {exc.strerror}") from exc
        engine = create_async_engine(
            parsed, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_SECONDS}
        )
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        parsed,
        hide_parameters=True,  # errors and logs never show statement parameters: they hold what people wrote
        pool_pre_ping=True,
        connect_args={"timeout": PG_CONNECT_SECONDS, "command_timeout": PG_COMMAND_SECONDS},
    )


def create_thread_engine(engine: AsyncEngine) -> Engine | None:
    """For a SQLite file: a synchronous engine on the same file with the same settings, whose
    transactions run whole in a worker thread (storage.database.Database.run); else None.

    aiosqlite sends every call of every statement (cursor, execute, fetch, close)
    to its thread and back; a transaction run in one thread hop costs a third of the CPU.
    """
    if engine.dialect.name != "sqlite" or _sqlite_file(engine.url) is None:
        return None
    url = engine.url.set(drivername="sqlite+pysqlite")
    sync = create_sync_engine(url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_SECONDS})
    _configure_sqlite(sync)
    return sync


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in free pages
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
