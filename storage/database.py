"""One database handle: the async engine, its session maker, and the translation of failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import READ_ONLY, create_engine, create_thread_engine
from storage.errors import SchemaBehindError, StorageUnavailable
from storage.migrate import current_revision, head_revision, is_known

# Failures that mean "the database is not there or not answering", as opposed to a bug.
_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    sa_exc.TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)
T = TypeVar("T")

# SQLSTATE classes of a server that is not there for us right now: connection exceptions (08) and
# operator intervention (57P: shutting down, restarting, not accepting connections yet).
_UNAVAILABLE_SQLSTATES = ("08", "57P")


# Loggers of the database drivers that write statements with their parameters (what people
# wrote, people's keys) when their level is lowered; kept at WARNING whatever LOG_LEVEL says.
DATA_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def quiet_data_loggers() -> None:
    """Keep the drivers' statement logging off, whatever the root level (LOG_LEVEL=DEBUG included)."""
    for name in DATA_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def unavailable_reason(exc: BaseException) -> str | None:
    """A short, data-free description when ``exc`` means the database is unreachable, else None."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return "connection lost"
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if (
        isinstance(exc, sa_exc.DBAPIError)
        and isinstance(code, str)
        and code.startswith(_UNAVAILABLE_SQLSTATES)
    ):
        return f"the server is unavailable (SQLSTATE {code})"
    if isinstance(exc, _UNAVAILABLE):
        original = getattr(exc, "orig", None) or exc
        return type(original).__name__
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        return unavailable_reason(cause)
    return None


@contextmanager
def translate_failures() -> Iterator[None]:
    """Re-raise unreachable-database failures as StorageUnavailable; anything else unchanged."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise StorageUnavailable(reason) from exc


class Database:
    """The engine and one ``async_sessionmaker(expire_on_commit=False)`` for the whole process.

    Open with ``await Database.open(url)``; use ``async with db.transaction() as
    session`` for one unit of work (committed on exit, rolled back on error,
    unreachable-database failures raised as StorageUnavailable); ``await db.close()``.
    ``secret`` (optional) lets ``storage.submissions.has_submitted`` be called
    without settings.
    """

    def __init__(self, engine: AsyncEngine, secret: bytes | None = None) -> None:
        quiet_data_loggers()
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self.dialect = engine.dialect.name
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self.secret = secret
        # SQLite files only: the same file through the standard driver, for ``run`` (one thread hop).
        self._thread_engine = create_thread_engine(engine)
        # SQLite has one writer at a time; its busy handler makes waiting writers sleep and
        # poll, so under load the unlucky ones wait seconds. Queueing this process's writers
        # in order (BEGIN IMMEDIATE still guards against other processes) keeps the tail short.
        self._sqlite_writers = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    async def open(cls, url: str, *, secret: bytes | None = None) -> Database:
        """Build the engine (no connection is made until first use)."""
        return cls(create_engine(url), secret)

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One session in one transaction; StorageUnavailable when the database cannot be reached.

        ``read_only`` promises the unit of work writes nothing, so on SQLite it
        need not queue behind writers.
        """
        if read_only or self._sqlite_writers is None:
            async with self._unit_of_work(read_only=read_only) as session:
                yield session
        else:
            async with self._sqlite_writers, self._unit_of_work(read_only=False) as session:
                yield session

    @asynccontextmanager
    async def _unit_of_work(self, *, read_only: bool) -> AsyncIterator[AsyncSession]:
        with translate_failures():
            async with self.sessions.begin() as session:
                if read_only:
                    # Procuring the connection now, with the option, is what makes BEGIN see it.
                    await session.connection(execution_options={READ_ONLY: True})
                yield session

    async def run(self, work: Callable[[Connection], T], *, read_only: bool = False) -> T:
        """``work(connection)`` in one transaction, committed before this returns: for a turn's own reads
        and writes, which are few short statements and run on every message.

        ``work`` is a plain function of a synchronous Core ``Connection`` (no ORM session: its
        unit-of-work machinery cost more CPU than the statements). On a SQLite file the whole
        transaction runs in a worker thread (one hop, where an AsyncSession makes several per
        statement), with the same connection settings, BEGIN IMMEDIATE for writers and the same
        queue of this process's writers; elsewhere it runs on the async engine (``run_sync``).
        Failures are translated as in ``transaction``.
        """
        if read_only or self._sqlite_writers is None:
            return await self._run(work, read_only)
        async with self._sqlite_writers:
            return await self._run(work, False)

    async def _run(self, work: Callable[[Connection], T], read_only: bool) -> T:
        if self._thread_engine is not None:
            return await asyncio.to_thread(self._in_thread, work, read_only)
        with translate_failures():
            async with self.engine.connect() as connection:
                if read_only:  # set before BEGIN, which reads it (storage.engine)
                    await connection.execution_options(**{READ_ONLY: True})
                async with connection.begin():
                    return await connection.run_sync(work)

    def _in_thread(self, work: Callable[[Connection], T], read_only: bool) -> T:
        assert self._thread_engine is not None  # only called for SQLite files
        with translate_failures(), self._thread_engine.connect() as connection:
            if read_only:
                connection.execution_options(**{READ_ONLY: True})
            with connection.begin():
                return work(connection)

    async def require_current_schema(self) -> None:
        """Raise SchemaBehindError (with the upgrade command) unless the schema is at head."""
        with translate_failures():
            current = await current_revision(self.engine)
        head = head_revision()
        if current != head:
            raise SchemaBehindError(current, head, ahead=current is not None and not is_known(current))

    async def close(self) -> None:
        await self.engine.dispose()
        if self._thread_engine is not None:
            await asyncio.to_thread(self._thread_engine.dispose)
