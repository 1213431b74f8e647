"""Submitting a response: stored once, never lost, never doubled, only ever in shuffled whole batches."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from common.settings import Secret, Settings
from storage import responses, submissions
from storage.database import Database
from storage.errors import StorageError, StorageUnavailable, WaveKeyGone
from storage.models import BotStateRow, ResponseRow, SubmissionTokenRow, WaveKeyRow
from storage.responses import read_responses
from storage.state import StateStore
from storage.submissions import close_wave, flush, has_submitted, recover, submit
from storage.survey_state import wave_prefix
from storage.waves import Wave, create_wave
from tests.storage.conftest import TODAY
from tests.storage.survey_docs import ANSWERS, keep, survey_document
from tests.storage.test_migrations import run_cli


async def confirm(
    db: Database, settings: Settings, person: str, wave: Wave, **kwargs: Any
) -> tuple[str, str]:
    """Leave the person's sealed state as the bot does when they press Submit: (row key, response id)."""
    document = survey_document(person, wave.id, **kwargs)
    return await keep(db, settings, document), document["progress"]["response_id"]


async def count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def pending(db: Database, wave: Wave) -> int:
    return len(await StateStore(db).read_prefix(wave_prefix(wave.id)))


async def test_a_submitted_response_reads_back_with_its_answers_and_nothing_else(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, response_id = await confirm(db, settings, "msteams:aad-1", wave)
    outcome = await submit(db, key, settings, today=TODAY)
    assert (outcome.kind, outcome.kept, outcome.wave_id) == ("stored", True, wave.id)
    assert await has_submitted(db, wave.id, "msteams:aad-1", settings)  # pending, waiting for its batch
    assert await count(db, SubmissionTokenRow) == 0  # nothing on the anonymous side before the batch
    assert (await flush(db, settings.response_batch, everything=True)).moved == 1
    [stored] = await read_responses(db, wave.id)
    assert stored.id == response_id
    assert (stored.agency, stored.works_with, stored.role_level) == (
        "CSC",
        "Children and families",
        "Frontline practitioner",
    )
    assert stored.submitted_month == "2026-11"  # the month of submitting, not of the flush
    assert dict(stored.answers) == {k: v for k, v in ANSWERS.items() if v is not None}
    assert await StateStore(db).read([key]) == {}
    assert await has_submitted(db, wave.id, "msteams:aad-1", settings)
    assert not await has_submitted(db, wave.id, "msteams:aad-2", settings)


async def test_a_multi_choice_of_one_stays_a_list_and_ratings_stay_numbers(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, _ = await confirm(
        db, settings, "p", wave, tools_used=("Signs of Safety",), confidence_rating=0, agency="TVP"
    )
    await submit(db, key, settings)
    await flush(db, 1, everything=True)
    [stored] = await read_responses(db)
    assert stored.answers["tools_used"] == ("Signs of Safety",)
    assert stored.answers["confidence_rating"] == 0
    assert stored.agency == "TVP"


async def test_a_second_response_from_the_same_person_is_refused_and_its_answers_dropped(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, _ = await confirm(db, settings, "p", wave)
    assert (await submit(db, key, settings)).kind == "stored"
    await flush(db, 1, everything=True)
    key, _ = await confirm(db, settings, "p", wave, one_change="second go")
    outcome = await submit(db, key, settings)
    assert (outcome.kind, outcome.kept) == ("already_submitted", False)
    assert await StateStore(db).read([key]) == {}
    await flush(db, 1, everything=True)
    assert [r.answers["one_change"] for r in await read_responses(db)] == [ANSWERS["one_change"]]


async def test_the_same_document_submitted_twice_is_kept_once(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, _ = await confirm(db, settings, "p", wave)
    assert (await submit(db, key, settings)).kind == "stored"
    assert (await submit(db, key, settings)).kind == "stored"  # a retry: the same pending document
    assert (await flush(db, 1, everything=True)).moved == 1
    assert (await submit(db, key, settings)).kind == "nothing_to_submit"
    assert await count(db, SubmissionTokenRow) == 1


async def test_a_person_may_answer_each_wave_once(db: Database, wave: Wave, settings: Settings) -> None:
    other = await create_wave(db, "practitioner", 1, TODAY.replace(year=2027), TODAY.replace(year=2028), ())
    first, _ = await confirm(db, settings, "p", wave)
    second, _ = await confirm(db, settings, "p", other)
    assert first != second  # one document per person per wave, under keys that do not name them
    assert (await submit(db, first, settings)).kind == "stored"
    assert (await submit(db, second, settings)).kind == "stored"
    assert await has_submitted(db, wave.id, "p", settings)
    assert await has_submitted(db, other.id, "p", settings)


@pytest.mark.parametrize("status", ["in_progress", "confirming"])
async def test_nothing_is_submitted_without_a_confirmed_state(
    db: Database, wave: Wave, settings: Settings, status: str
) -> None:
    key, _ = await confirm(db, settings, "p", wave, status=status)
    assert (await submit(db, key, settings)).kind == "nothing_to_submit"
    assert (await submit(db, "survey/nobody", settings)).kind == "nothing_to_submit"
    assert (await flush(db, 1, everything=True)).moved == 0
    assert set(await StateStore(db).read([key])) == {key}
    assert not await has_submitted(db, wave.id, "p", settings)


async def test_closing_a_wave_stores_every_pending_response_then_destroys_its_key(
    db: Database, wave: Wave, settings: Settings
) -> None:
    for person in ("a", "b", "c"):
        key, _ = await confirm(db, settings, person, wave)
        await submit(db, key, settings)
    await confirm(db, settings, "still-answering", wave, status="in_progress")
    assert await count(db, ResponseRow) == 0  # fewer than a batch: still pending
    closed = await close_wave(db, wave.id)
    assert (closed.flushed.moved, closed.shredded) == (3, 1)
    assert await count(db, ResponseRow) == 3
    for model in (WaveKeyRow, SubmissionTokenRow, BotStateRow):
        assert await count(db, model) == 0, model
    with pytest.raises(WaveKeyGone):
        await has_submitted(db, wave.id, "a", settings)
    again = await close_wave(db, wave.id)  # repeating it is harmless
    assert (again.flushed.moved, again.shredded) == (0, 0)


async def test_close_wave_interrupted_before_the_key_went_finishes_when_run_again(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person in ("a", "b"):
        key, _ = await confirm(db, settings, person, wave)
        await submit(db, key, settings)

    async def database_gone(*args: Any, **kwargs: Any) -> None:
        raise StorageUnavailable("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(submissions, "destroy_wave_key", database_gone)
        with pytest.raises(StorageUnavailable):
            await close_wave(db, wave.id)
    assert await count(db, ResponseRow) == 2
    assert await submissions.closed_waves_with_keys(db) == [wave.id]  # the audit reports this
    with pytest.raises(WaveKeyGone):  # the bot can neither start nor test anyone in it meanwhile
        await has_submitted(db, wave.id, "a", settings)
    await close_wave(db, wave.id)
    assert await submissions.closed_waves_with_keys(db) == []
    assert await count(db, WaveKeyRow) == 0


async def test_tokens_cannot_be_tested_without_the_product_secret(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, _ = await confirm(db, settings, "p", wave)
    await submit(db, key, settings)
    wrong = Settings.from_env({}, secret_key=Secret("someone else's secret"))
    with pytest.raises(StorageError, match="SECRET_KEY"):
        await has_submitted(db, wave.id, "p", wrong)


# --- what cannot be stored never blocks the rest ----------------------------------------


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"one_change": "abc\ud800def"}, "lone surrogate"),
        ({"anything_else": "before\x00after"}, "NUL"),
        ({"agency": None}, "no agency"),
        ({"response_id": "short"}, "response id"),
    ],
)
async def test_one_unstorable_response_is_quarantined_and_the_others_are_stored(
    db: Database, wave: Wave, settings: Settings, answers: dict[str, Any], problem: str
) -> None:
    later = settings.model_copy(update=dict(response_batch=1000))  # flushed below, all at once
    good = []
    for person in ("a", "b"):
        key, response_id = await confirm(db, settings, person, wave)
        good.append(response_id)
        await submit(db, key, later)
    bad = {k: v for k, v in answers.items() if k != "response_id"}
    bad_key, _ = await confirm(db, settings, "odd", wave, response_id=answers.get("response_id"), **bad)
    assert (await submit(db, bad_key, later)).kept  # the person is not held up, nor is anyone else
    for person in ("c", "d"):
        key, response_id = await confirm(db, settings, person, wave)
        good.append(response_id)
        await submit(db, key, later)
    result = await flush(db, settings.response_batch, everything=True)
    assert result.moved == 4
    [message] = result.quarantined
    assert problem in message
    assert "abc" not in message
    assert "before" not in message
    assert sorted(r.id for r in await read_responses(db)) == sorted(good)
    assert (await flush(db, 1, everything=True)).quarantined == ()  # set aside, not retried each time
    closed = await close_wave(db, wave.id)
    assert closed.shredded == 1  # the quarantined document went with the key
    assert await count(db, WaveKeyRow) == 0


async def test_a_row_the_database_refuses_for_an_unforeseen_reason_is_found_and_quarantined(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for person in ("a", "b", "c"):
        key, response_id = await confirm(db, settings, person, wave, one_change=f"note from {person}")
        ids.append(response_id)
        await submit(db, key, settings)
    original = responses.insert_many_if_absent

    async def refuse_b(session: Any, model: Any, rows: Any) -> None:
        if any(row.get("value") == "note from b" for row in rows):
            raise ValueError("the database refused a value")
        await original(session, model, rows)

    monkeypatch.setattr(responses, "insert_many_if_absent", refuse_b)
    result = await flush(db, 1, everything=True)
    assert result.moved == 2
    assert len(result.quarantined) == 1
    assert "refused" in result.quarantined[0]
    assert sorted(r.id for r in await read_responses(db)) == sorted([ids[0], ids[2]])


async def test_a_failure_in_the_middle_of_a_flush_loses_nothing(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person in ("a", "b", "c"):
        key, _ = await confirm(db, settings, person, wave)
        await submit(db, key, settings)
    original = responses.insert_many_if_absent

    async def connection_drops(session: Any, model: Any, rows: Any) -> None:
        if model.__tablename__ == "answers":
            raise ConnectionResetError("connection reset by peer")
        await original(session, model, rows)

    with monkeypatch.context() as patch:
        patch.setattr(responses, "insert_many_if_absent", connection_drops)
        with pytest.raises(StorageUnavailable):
            await flush(db, 1, everything=True)
    assert (await count(db, ResponseRow), await count(db, SubmissionTokenRow), await pending(db, wave)) == (
        0,
        0,
        3,
    )
    assert (await recover(db, settings.model_copy(update=dict(response_batch=3)))).moved == 3
    assert await pending(db, wave) == 0


# --- batches ----------------------------------------------------------------------------


def record_inserts(db: Database, table: str, column: str) -> list[str]:
    """Values of ``column`` in the order they are sent to the database in INSERTs into ``table``."""
    inserted: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_execute")
    def _seen(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
        if getattr(clause, "is_insert", False) and clause.table.name == table:
            rows = multiparams if isinstance(multiparams, list) else [multiparams or params]
            inserted.extend(row[column] for row in rows)

    return inserted


async def test_the_response_table_is_not_in_submission_order(
    db: Database, wave: Wave, settings: Settings
) -> None:
    """40 submissions, batch 5: each flush inserts its 5 in a fresh random order.

    Were the table in submission order, every one of the 8 batches would have
    come out as the identity permutation: with a correct shuffle that happens
    with probability (1/120)**8 ~ 2e-17, and for half the batches or more
    ~ 70 * (1/120)**4 ~ 3e-7, so these asserts fail only when the code does not
    shuffle, not by chance.
    """
    inserted = record_inserts(db, "responses", "id")
    submitted = []
    for n in range(40):
        key, response_id = await confirm(db, settings, f"person-{n}", wave)
        submitted.append(response_id)
        await submit(db, key, settings)
    assert await pending(db, wave) == 0
    assert sorted(inserted) == sorted(submitted)
    batches = [(inserted[i : i + 5], submitted[i : i + 5]) for i in range(0, 40, 5)]
    assert all(sorted(got) == sorted(sent) for got, sent in batches)  # whole batches, in turn
    assert sum(got != sent for got, sent in batches) >= 4
    async with db.transaction() as session:
        if db.dialect == "sqlite":
            # WITHOUT ROWID: a table scan follows the random primary key, not insertion at all.
            physical = list(await session.scalars(text("SELECT id FROM responses")))
            assert physical == sorted(submitted)


async def test_flush_moves_only_whole_batches_chosen_at_random(
    db: Database, wave: Wave, settings: Settings
) -> None:
    kept = []
    for n in range(7):
        key, response_id = await confirm(db, settings, f"p{n}", wave)
        kept.append(response_id)
        await submit(db, key, settings.model_copy(update=dict(response_batch=1000)))
    assert (await flush(db, 5, rng=random.Random(7))).moved == 5
    assert await pending(db, wave) == 2
    assert (await flush(db, 5)).moved == 0
    assert (await flush(db, 5, everything=True)).moved == 2
    assert sorted(r.id for r in await read_responses(db)) == sorted(kept)


async def test_many_people_submitting_at_once_are_all_stored_exactly_once(
    db: Database, wave: Wave, settings: Settings
) -> None:
    people = [await confirm(db, settings, f"person-{n}", wave) for n in range(12)]
    outcomes = await asyncio.gather(*(submit(db, key, settings) for key, _ in people))
    assert [o.kind for o in outcomes] == ["stored"] * 12
    assert sum(o.flushed for o in outcomes) == 10  # two whole batches of 5 went as they filled
    await flush(db, settings.response_batch, everything=True)
    assert sorted(r.id for r in await read_responses(db)) == sorted(rid for _, rid in people)
    assert await count(db, SubmissionTokenRow) == 12


async def test_one_submission_delivered_twice_at_once_is_stored_once(
    db: Database, wave: Wave, settings: Settings
) -> None:
    key, _ = await confirm(db, settings, "p", wave)
    outcomes = await asyncio.gather(*(submit(db, key, settings) for _ in range(3)))
    assert all(o.kept for o in outcomes), outcomes
    await flush(db, 1, everything=True)
    assert len(await read_responses(db)) == 1
    assert await count(db, SubmissionTokenRow) == 1


async def test_flush_all_and_close_wave_on_the_command_line_get_past_an_unstorable_answer(
    db: Database,
    wave: Wave,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 9: a lone surrogate made every `flush --all` fail (printing the text) and close-wave stop
    before the key went."""
    cli = Settings.from_env({}, database_url=database_url, secret_key=Secret("cli-test-secret"))
    for person, words in (("a", "fine"), ("b", "abc\ud800def"), ("c", "also fine")):
        key, _ = await confirm(db, cli, person, wave, one_change=words)
        await submit(db, key, cli.model_copy(update=dict(response_batch=1000)))
    code, out, err = await run_cli(monkeypatch, capsys, database_url, "flush", "--all")
    assert code == 0, err
    assert "moved 2 confirmed response(s)" in out
    assert "quarantined" in out
    assert "'one_change'" in out
    assert "lone surrogate" in out
    assert "abc" not in out + err
    code, out, err = await run_cli(monkeypatch, capsys, database_url, "close-wave", str(wave.id))
    assert code == 0, err
    assert "wave key and tokens destroyed, 1 unstored" in out
    assert await count(db, WaveKeyRow) == 0
    assert (await run_cli(monkeypatch, capsys, database_url, "close-wave", str(wave.id)))[0] == 0
