"""Retention: everything about a person goes after its period, except a response waiting for its batch."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from common.settings import Settings
from storage import conversations, experts, guidance_log, invitations
from storage.database import Database
from storage.models import (
    BotStateRow,
    ConversationReferenceRow,
    ExpertQuestionRow,
    GuidanceLogRow,
    InvitationRow,
)
from storage.retention import Retention, enforce, months_before
from storage.state import StateItem, StateStore
from storage.submissions import submit
from storage.waves import Wave, mark_closed
from tests.storage.survey_docs import keep, survey_document

NOW = datetime(2027, 6, 15, 12, tzinfo=UTC)
RETENTION = Retention(state_days=30, reference_months=13, expert_question_months=24, guidance_log_months=24)


def test_months_before_counts_back_across_years() -> None:
    assert months_before(date(2027, 6, 15), 13) == "2026-05"
    assert months_before(date(2027, 1, 1), 1) == "2026-12"


async def age(db: Database, keys: list[str], days: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(BotStateRow).where(BotStateRow.key.in_(keys)).values(updated_at=NOW - timedelta(days=days))
        )


async def test_stale_state_goes_but_a_confirmed_response_waits_for_its_batch(
    db: Database, wave: Wave, settings: Settings
) -> None:
    waiting = await keep(db, settings, survey_document("confirmed", wave.id))
    await submit(db, waiting, settings)
    abandoned = await keep(db, settings, survey_document("abandoned", wave.id, status="in_progress"))
    recent = await keep(db, settings, survey_document("recent", wave.id, status="in_progress"))
    await StateStore(db).write(
        {
            "survey/msteams:legacy-unsealed": StateItem({"person": "msteams:legacy-unsealed"}),
            "other": StateItem({}),
        }
    )
    await age(db, [waiting, abandoned, "other"], 31)
    await age(db, [recent], 29)
    deleted = await enforce(db, RETENTION, now=NOW)
    assert deleted["bot_state"] == 3  # abandoned, the unsealed legacy document, the stale other item
    assert set(await StateStore(db).read_prefix("")) == {waiting, recent}
    await mark_closed(db, wave.id)  # closed but its key not yet destroyed: still kept for close-wave
    assert (await enforce(db, RETENTION, now=NOW))["bot_state"] == 0


async def test_references_questions_routes_and_the_log_go_after_their_periods(
    db: Database, wave: Wave, settings: Settings
) -> None:
    await conversations.save_reference(db, "msteams:old", {}, "personal", "aad-old")
    await conversations.save_reference(db, "msteams:new", {}, "personal", "aad-new")
    await conversations.save_reference(db, "msteams:team", {}, "channel", None)
    await invitations.mark(db, wave.id, "msteams:old", "sent")
    await guidance_log.record_question(db, "what is the MASH", "mash", 0.9, True, today=date(2025, 5, 1))
    await guidance_log.record_question(db, "what is the MASH", "mash", 0.9, True, today=date(2027, 5, 1))
    secret = settings.secret_bytes()
    await experts.ask(db, "old?", {}, secret, keep_days=60, today=date(2025, 5, 1))
    await experts.ask(db, "new?", {}, secret, keep_days=60, today=date(2027, 6, 1))
    async with db.transaction() as session:
        await session.execute(
            update(ConversationReferenceRow)
            .where(ConversationReferenceRow.key != "msteams:new")
            .values(seen_month="2026-04")
        )
    deleted = await enforce(db, RETENTION, now=NOW)
    assert deleted["conversation_references"] == 1  # the old personal one; a team channel is nobody
    assert deleted["guidance_log"] == 1
    assert deleted["expert_questions"] == 1
    assert deleted["expert_routes"] == 1  # the old question's way back expired long ago
    assert deleted["invitations"] == 0  # the wave is open
    assert [r.key for r in await conversations.installed_personal(db)] == ["msteams:new"]
    await mark_closed(db, wave.id)
    assert (await enforce(db, RETENTION, now=NOW))["invitations"] == 1
    async with db.transaction() as session:
        for model, left in ((GuidanceLogRow, 1), (ExpertQuestionRow, 1), (InvitationRow, 0)):
            assert await session.scalar(select(func.count()).select_from(model)) == left


async def test_the_running_bot_enforces_retention_itself(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import app

    stale = await keep(db, settings, survey_document("abandoned", wave.id, status="in_progress"))
    await age(db, [stale], 400)
    monkeypatch.setattr(app, "RETENTION_FIRST", 0)
    stop = asyncio.Event()
    task = asyncio.create_task(app.keep_retention(db, settings, stop))
    for _ in range(500):  # until the first run has happened (bounded, not timed)
        if not await StateStore(db).read([stale]):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert await StateStore(db).read([stale]) == {}
