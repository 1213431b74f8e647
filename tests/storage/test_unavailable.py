"""An unreachable database gives a typed, polite error, and nothing is left half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from common.settings import Settings
from storage import responses
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.models import AnswerRow, ResponseRow, StagedResponseRow
from storage.state import StateItem, StateStore
from storage.submissions import flush, submit
from storage.waves import Wave
from tests.storage.survey_docs import state_key, survey_document

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


async def test_a_failure_in_the_middle_of_a_flush_leaves_every_response_staged(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person in ("a", "b", "c"):
        await StateStore(db).write({state_key(person): StateItem(survey_document(person, wave.id))})
        await submit(db, state_key(person), settings)
    original = responses.insert_many_if_absent

    async def connection_drops_before_the_answers(session: Any, model: Any, rows: Any) -> None:
        if model is AnswerRow:
            raise ConnectionResetError("connection reset by peer")
        await original(session, model, rows)

    monkeypatch.setattr(responses, "insert_many_if_absent", connection_drops_before_the_answers)
    with pytest.raises(StorageUnavailable):
        await flush(db, 1, everything=True)
    async with db.transaction() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (StagedResponseRow, ResponseRow, AnswerRow)
        ]
    assert counts == [3, 0, 0]
    monkeypatch.undo()
    assert await flush(db, 1, everything=True) == 3


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
