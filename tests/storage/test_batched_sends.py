"""Batched bookkeeping of invitations and reminders: one transaction for many people, same rules as one."""

from __future__ import annotations

from datetime import timedelta

from common.settings import Settings
from storage import invitations, reminders
from storage.database import Database
from storage.submissions import flush, submit, submitted_among
from storage.waves import Wave
from tests.storage.conftest import TODAY
from tests.storage.survey_docs import keep, survey_document


async def test_who_submitted_is_found_for_a_whole_batch_flushed_or_pending(
    db: Database, wave: Wave, settings: Settings
) -> None:
    for person in ("msteams:aad-1", "msteams:aad-2"):
        key = await keep(db, settings, survey_document(person, wave.id))
        assert (await submit(db, key, settings, today=TODAY)).kind == "stored"
    await flush(db, 1, everything=False)  # one of them flushed (a batch of one), the other still pending
    people = [f"msteams:aad-{n}" for n in range(1, 1200)]  # more than one lookup's worth
    secret = settings.secret_bytes()
    assert await submitted_among(db, wave.id, people, secret) == {"msteams:aad-1", "msteams:aad-2"}
    assert await submitted_among(db, wave.id, [], secret) == set()


async def test_a_batch_claim_takes_exactly_those_one_claim_at_a_time_would(db: Database, wave: Wave) -> None:
    due = TODAY
    yesterday_round = due - timedelta(days=5)
    await reminders.opt_out(db, wave.id, "opted-out")
    await reminders.note_quiet(db, wave.id, "quiet-today", TODAY)
    assert await reminders.claim_many(
        db, wave.id, ["earlier-round", "failed-once", "sent"], yesterday_round, due
    )
    await reminders.finish_many(db, wave.id, {"earlier-round": True}, yesterday_round)
    assert await reminders.claim(db, wave.id, "failed-once", due, TODAY)
    await reminders.finish_many(db, wave.id, {"failed-once": False, "sent": True}, TODAY)
    assert await reminders.claim(db, wave.id, "crashed", due, TODAY)  # claimed, never finished

    people = ["new", "opted-out", "quiet-today", "earlier-round", "failed-once", "sent", "crashed"]
    assert await reminders.claim_many(db, wave.id, people, due, TODAY) == {
        "new",
        "earlier-round",
        "failed-once",
    }
    assert await reminders.claim_many(db, wave.id, people, due, TODAY) == set()  # run again: nobody twice

    await reminders.finish_many(
        db, wave.id, {"new": True, "earlier-round": False, "failed-once": True}, TODAY
    )
    rows = await reminders.marks(db, wave.id)
    assert {person: (row.status, row.sent_on) for person, row in rows.items() if person in people[:5]} == {
        "new": ("sent", TODAY),
        "opted-out": ("", None),
        "quiet-today": ("", None),
        "earlier-round": ("failed", yesterday_round),
        "failed-once": ("sent", TODAY),
    }


async def test_invitation_outcomes_are_recorded_for_a_batch_and_a_retry_overwrites(
    db: Database, wave: Wave
) -> None:
    await invitations.mark_many(db, wave.id, {"a": "sent", "b": "failed", "c": "failed"})
    await invitations.mark_many(db, wave.id, {"b": "sent", "c": "failed"})
    await invitations.mark_many(db, wave.id, {})
    assert await invitations.statuses(db, wave.id) == {"a": "sent", "b": "sent", "c": "failed"}
