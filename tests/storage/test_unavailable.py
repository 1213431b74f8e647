"""An unreachable database gives a typed, polite error, and nothing is left half-written."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from common.settings import Settings
from storage.database import Database, unavailable_reason
from storage.errors import StorageUnavailable
from storage.state import StateItem, StateStore
from storage.submissions import submit

NOBODY_LISTENS = "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"


async def test_an_unreachable_server_raises_storage_unavailable_for_every_kind_of_call(
    settings: Settings,
) -> None:
    db = await Database.open(NOBODY_LISTENS)
    try:
        with pytest.raises(StorageUnavailable) as raised:
            await StateStore(db).read(["survey/p"])
        assert "try again" in str(raised.value)
        assert raised.value.status == 503
        with pytest.raises(StorageUnavailable):
            await StateStore(db).write({"survey/p": StateItem({})})
        with pytest.raises(StorageUnavailable):
            await submit(db, "survey/p", settings)
        with pytest.raises(StorageUnavailable):
            await db.require_current_schema()
    finally:
        await db.close()


async def test_an_sqlite_file_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(StorageUnavailable, match="cannot create"):
        await Database.open(f"sqlite+aiosqlite:///{blocker / 'bot.db'}")


@pytest.mark.postgres
async def test_a_restarted_server_is_reconnected_to_without_an_error(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("only a server can drop its connections")
    store = StateStore(db)
    await store.write({"k": StateItem({"v": 1})})
    url = make_url(db.url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database="postgres"
    )
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", url.database
        )
    finally:
        await admin.close()
    assert (await store.read(["k"]))["k"].document == {"v": 1}


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [("57P03", True), ("57P01", True), ("08006", True), ("23505", False), ("42P01", False), (None, False)],
)
def test_a_server_shutting_down_or_not_yet_accepting_is_unavailable_not_a_bug(
    sqlstate: str | None, unavailable: bool
) -> None:
    """Regression: "the database system is shutting down" (57P03) during a restart came wrapped
    in a plain DBAPIError, was taken for a bug and logged with a traceback."""

    class DriverError(Exception):
        pass

    error = DriverError("the database system is shutting down")
    error.sqlstate = sqlstate  # type: ignore[attr-defined]
    wrapped = sa_exc.DBAPIError("SELECT 1", None, error)
    assert (unavailable_reason(wrapped) is not None) is unavailable
