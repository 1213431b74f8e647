"""Submitting a response: stored once, never lost, never doubled, never in submission order."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from common.settings import Secret, Settings
from storage import submissions
from storage.database import Database
from storage.errors import StorageError, WaveKeyGone
from storage.models import ResponseRow, StagedResponseRow, SubmissionTokenRow, WaveKeyRow
from storage.responses import read_responses
from storage.state import StateItem, StateStore
from storage.submissions import InvalidSubmission, close_wave, flush, has_submitted, recover, submit
from storage.waves import Wave, create_wave
from tests.storage.conftest import TODAY
from tests.storage.survey_docs import ANSWERS, state_key, survey_document


async def confirm(db: Database, person: str, wave: Wave, **kwargs: Any) -> dict[str, Any]:
    """Leave the person's state as the bot does when they press Submit; returns the document."""
    document = survey_document(person, wave.id, **kwargs)
    await StateStore(db).write({state_key(person): StateItem(document)})
    return document


async def count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_submitted_response_reads_back_with_its_answers_and_nothing_else(
    db: Database, wave: Wave, settings: Settings
) -> None:
    document = await confirm(db, "msteams:aad-1", wave)
    outcome = await submit(db, state_key("msteams:aad-1"), settings, today=TODAY)
    assert (outcome.kind, outcome.kept, outcome.wave_id) == ("stored", True, wave.id)
    assert await flush(db, settings.response_batch, everything=True) == 1
    [stored] = await read_responses(db, wave.id)
    assert stored.id == document["progress"]["response_id"]
    assert (stored.agency, stored.works_with, stored.role_level) == (
        "CSC",
        "Children and families",
        "Frontline practitioner",
    )
    assert stored.submitted_month == "2026-11"
    assert dict(stored.answers) == {k: v for k, v in ANSWERS.items() if v is not None}
    assert await StateStore(db).read([state_key("msteams:aad-1")]) == {}
    assert await has_submitted(db, wave.id, "msteams:aad-1", settings)
    assert not await has_submitted(db, wave.id, "msteams:aad-2", settings)


async def test_a_multi_choice_of_one_stays_a_list_and_ratings_stay_numbers(
    db: Database, wave: Wave, settings: Settings
) -> None:
    await confirm(db, "p", wave, tools_used=("Signs of Safety",), confidence_rating=0, agency="TVP")
    await submit(db, state_key("p"), settings)
    await flush(db, 1, everything=True)
    [stored] = await read_responses(db)
    assert stored.answers["tools_used"] == ("Signs of Safety",)
    assert stored.answers["confidence_rating"] == 0
    assert stored.agency == "TVP"


async def test_a_second_response_from_the_same_person_is_refused_and_its_answers_dropped(
    db: Database, wave: Wave, settings: Settings
) -> None:
    await confirm(db, "p", wave)
    assert (await submit(db, state_key("p"), settings)).kind == "stored"
    await confirm(db, "p", wave, one_change="second go")
    outcome = await submit(db, state_key("p"), settings)
    assert (outcome.kind, outcome.kept) == ("already_submitted", False)
    assert await StateStore(db).read([state_key("p")]) == {}
    await flush(db, 1, everything=True)
    assert [r.answers["one_change"] for r in await read_responses(db)] == [ANSWERS["one_change"]]


async def test_the_same_document_submitted_twice_stores_it_once_and_says_so(
    db: Database, wave: Wave, settings: Settings
) -> None:
    document = await confirm(db, "p", wave)
    assert (await submit(db, state_key("p"), settings)).kind == "stored"
    # The same activity delivered again while its state was still being written back:
    await StateStore(db).write({state_key("p"): StateItem(document)})
    outcome = await submit(db, state_key("p"), settings)
    assert (outcome.kind, outcome.kept) == ("already_submitted", True)
    assert (await submit(db, state_key("p"), settings)).kind == "nothing_to_submit"
    assert await flush(db, 1, everything=True) == 1
    assert await count(db, SubmissionTokenRow) == 1


async def test_a_person_may_answer_each_wave_once(db: Database, wave: Wave, settings: Settings) -> None:
    other = await create_wave(db, "practitioner", 1, TODAY.replace(year=2027), TODAY.replace(year=2028), ())
    await confirm(db, "p", wave)
    assert (await submit(db, state_key("p"), settings)).kind == "stored"
    await StateStore(db).write({state_key("p"): StateItem(survey_document("p", other.id))})
    assert (await submit(db, state_key("p"), settings)).kind == "stored"
    assert await has_submitted(db, wave.id, "p", settings)
    assert await has_submitted(db, other.id, "p", settings)


@pytest.mark.parametrize(("status", "present"), [("in_progress", True), ("confirming", True), (None, False)])
async def test_nothing_is_submitted_without_a_confirmed_state(
    db: Database, wave: Wave, settings: Settings, status: str | None, present: bool
) -> None:
    if present:
        await confirm(db, "p", wave, status=status)
    assert (await submit(db, state_key("p"), settings)).kind == "nothing_to_submit"
    assert await count(db, StagedResponseRow) == 0
    assert bool(await StateStore(db).read([state_key("p")])) == present


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"agency": None}, "no agency"),
        ({"response_id": "short"}, "response id"),
    ],
)
async def test_a_document_that_cannot_be_stored_is_refused_and_kept(
    db: Database, wave: Wave, settings: Settings, change: dict[str, Any], problem: str
) -> None:
    answers = {k: v for k, v in change.items() if k != "response_id"}
    await confirm(db, "p", wave, response_id=change.get("response_id"), **answers)
    with pytest.raises(InvalidSubmission, match=problem):
        await submit(db, state_key("p"), settings)
    assert set(await StateStore(db).read([state_key("p")])) == {state_key("p")}
    assert await count(db, StagedResponseRow) == 0


async def test_closing_a_wave_flushes_everything_and_destroys_its_key(
    db: Database, wave: Wave, settings: Settings
) -> None:
    for person in ("a", "b", "c"):
        await confirm(db, person, wave)
        await submit(db, state_key(person), settings)
    assert await count(db, StagedResponseRow) == 3  # fewer than a batch: still staged
    assert await close_wave(db, wave.id) == 3
    assert await count(db, ResponseRow) == 3
    assert await count(db, WaveKeyRow) == 0
    with pytest.raises(WaveKeyGone):
        await has_submitted(db, wave.id, "a", settings)
    await confirm(db, "d", wave)
    assert (await submit(db, state_key("d"), settings)).kind == "wave_closed"
    assert await count(db, StagedResponseRow) == 0
    assert await close_wave(db, wave.id) == 0  # repeating it is harmless


async def test_tokens_cannot_be_tested_without_the_product_secret(
    db: Database, wave: Wave, settings: Settings
) -> None:
    await confirm(db, "p", wave)
    await submit(db, state_key("p"), settings)
    wrong = Settings.from_env({}, secret_key=Secret("someone else's secret"))
    with pytest.raises(StorageError, match="SECRET_KEY"):
        await has_submitted(db, wave.id, "p", wrong)


# --- failures between steps -------------------------------------------------------------

# The last step writes the token and deletes the state in one transaction.
STEPS = ["_check", "_stage", "_write_token"]


class Crash(Exception):
    """Stands for the process dying right after a step committed."""


def crash_after(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    original = getattr(submissions, step)

    async def then_crash(*args: Any, **kwargs: Any) -> Any:
        await original(*args, **kwargs)
        raise Crash(step)

    monkeypatch.setattr(submissions, step, then_crash)


@pytest.mark.parametrize("finish", ["next_call", "recover"])
@pytest.mark.parametrize("step", STEPS)
async def test_a_crash_between_any_two_steps_loses_and_doubles_nothing(
    db: Database,
    wave: Wave,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    finish: str,
) -> None:
    document = await confirm(db, "p", wave)
    with monkeypatch.context() as patch:
        crash_after(patch, step)
        with pytest.raises(Crash):
            await submit(db, state_key("p"), settings)
    if step != "_write_token":
        # Until the state is deleted the answers are still there to finish with.
        assert (await StateStore(db).read([state_key("p")]))[state_key("p")].document == document
    if finish == "next_call":
        outcome = await submit(db, state_key("p"), settings)
        expected = "nothing_to_submit" if step == "_write_token" else ("stored" if step == "_check" else None)
        if expected:
            assert outcome.kind == expected
        else:
            assert (outcome.kind, outcome.kept) == ("already_submitted", True)
    else:
        assert await recover(db, settings) == (0 if step == "_write_token" else 1)
    assert await StateStore(db).read([state_key("p")]) == {}
    await flush(db, settings.response_batch, everything=True)
    stored = await read_responses(db)
    assert [r.id for r in stored] == [document["progress"]["response_id"]]
    assert await count(db, SubmissionTokenRow) == 1
    assert await count(db, StagedResponseRow) == 0
    # And the person cannot now submit a second time.
    await confirm(db, "p", wave)
    assert (await submit(db, state_key("p"), settings)).kind == "already_submitted"


async def test_recover_finishes_every_interrupted_submission_and_leaves_the_rest(
    db: Database, wave: Wave, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        crash_after(patch, "_stage")
        for person in ("a", "b"):
            await confirm(db, person, wave)
            with pytest.raises(Crash):
                await submit(db, state_key(person), settings)
    await confirm(db, "still-answering", wave, status="in_progress")
    assert await recover(db, settings) == 2
    assert set(await StateStore(db).read_prefix("survey/")) == {state_key("still-answering")}
    assert await count(db, SubmissionTokenRow) == 2


# --- order ------------------------------------------------------------------------------


def record_response_inserts(db: Database) -> list[str]:
    """Ids in the order they are sent to the database in INSERTs into the response table."""
    inserted: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_execute")
    def _seen(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
        if getattr(clause, "is_insert", False) and clause.table.name == "responses":
            rows = multiparams if isinstance(multiparams, list) else [multiparams or params]
            inserted.extend(row["id"] for row in rows)

    return inserted


async def test_the_response_table_is_not_in_submission_order(
    db: Database, wave: Wave, settings: Settings
) -> None:
    """40 submissions, batch 5: each flush inserts its 5 in a fresh random order.

    Were the table in submission order, every one of the 8 batches would have
    come out as the identity permutation: with a correct shuffle that happens
    with probability (1/120)**8 ~ 2e-17, and for half the batches or more
    ~ 70 * (1/120)**4 ~ 3e-7, so these asserts fail only when the code does not
    shuffle, not by chance. The ids themselves come from `secrets`, so the
    order of the ids says nothing either.
    """
    inserted = record_response_inserts(db)
    submitted = []
    for n in range(40):
        document = await confirm(db, f"person-{n}", wave)
        submitted.append(document["progress"]["response_id"])
        await submit(db, state_key(f"person-{n}"), settings)
    assert await count(db, StagedResponseRow) == 0
    assert sorted(inserted) == sorted(submitted)
    assert inserted != submitted
    batches = [(inserted[i : i + 5], submitted[i : i + 5]) for i in range(0, 40, 5)]
    assert all(sorted(got) == sorted(sent) for got, sent in batches)  # whole batches, in turn
    assert sum(got != sent for got, sent in batches) >= 4
    async with db.transaction() as session:
        if db.dialect == "postgresql":
            # The heap keeps rows in the order they went in: the shuffled one we recorded.
            physical = list(await session.scalars(text("SELECT id FROM responses ORDER BY ctid")))
            assert physical == inserted
        else:
            # WITHOUT ROWID: a table scan follows the random primary key, not insertion at all.
            physical = list(await session.scalars(text("SELECT id FROM responses")))
            assert physical == sorted(submitted)


async def test_flush_moves_only_whole_batches_chosen_at_random(
    db: Database, wave: Wave, settings: Settings
) -> None:
    big_batch = 5
    staged = []
    for n in range(7):
        document = await confirm(db, f"p{n}", wave)
        staged.append(document["progress"]["response_id"])
        await submit(db, state_key(f"p{n}"), replace(settings, response_batch=1000))
    assert await flush(db, big_batch, rng=random.Random(7)) == 5
    assert await count(db, StagedResponseRow) == 2
    assert await flush(db, big_batch) == 0
    assert await flush(db, big_batch, everything=True) == 2
    assert sorted(r.id for r in await read_responses(db)) == sorted(staged)


async def test_many_people_submitting_at_once_are_all_stored_exactly_once(
    db: Database, wave: Wave, settings: Settings
) -> None:
    people = [f"person-{n}" for n in range(12)]
    ids = [(await confirm(db, p, wave))["progress"]["response_id"] for p in people]
    outcomes = await asyncio.gather(*(submit(db, state_key(p), settings) for p in people))
    assert [o.kind for o in outcomes] == ["stored"] * 12
    assert sum(o.flushed for o in outcomes) == 10  # two whole batches of 5 went as they filled
    await flush(db, settings.response_batch, everything=True)
    assert sorted(r.id for r in await read_responses(db)) == sorted(ids)


async def test_one_submission_delivered_twice_at_once_is_stored_once(
    db: Database, wave: Wave, settings: Settings
) -> None:
    await confirm(db, "p", wave)
    outcomes = await asyncio.gather(*(submit(db, state_key("p"), settings) for _ in range(3)))
    assert [o.kind for o in outcomes].count("stored") == 1  # only the call that staged it says so
    assert all(o.kept or o.kind == "nothing_to_submit" for o in outcomes), outcomes
    await flush(db, 1, everything=True)
    assert len(await read_responses(db)) == 1
    assert await count(db, SubmissionTokenRow) == 1
