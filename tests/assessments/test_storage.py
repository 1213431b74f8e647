"""Rounds and returns in the database (SQLite and PostgreSQL), and evidence from stored responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from assessments.gather import load_round
from assessments.model import Alternative, Entry, Rating, Return, StandardSet
from assessments.records import from_record, to_record
from assessments.rules import judge
from common.partnership import Agency
from storage import assessments as store
from storage.database import Database
from storage.errors import NotFound
from storage.responses import add_responses
from storage.waves import create_wave
from surveys.turns import Submission
from tests.assessments.conftest import ACTION, FULL_3A, IMPACT

AGENCIES = (
    Agency("CSC", "Children's Social Care", 450),
    Agency("TVP", "Police", 1200),
    Agency("VCS", "Voluntary"),
)
OPENS = date(2026, 10, 1)


async def _wave_with_responses(db: Database, counts: dict[str, int]) -> int:
    wave = await create_wave(db, "practitioner", 1, OPENS, date(2026, 11, 12), AGENCIES)
    rows = [
        (Submission("practitioner", 1, code, {}), "2026-10")
        for code, count in counts.items()
        for _ in range(count)
    ]
    await add_responses(db, wave.id, rows)
    return wave.id


async def _round(db: Database, wave_id: int | None) -> store.Round:
    return await store.create_round(
        db,
        title="2026-27",
        standards="section11-adults-2018",
        opens=OPENS,
        returns_by=date(2026, 12, 3),
        analysis_on=date(2027, 1, 14),
        wave_id=wave_id,
    )


async def test_questionnaire_evidence_is_computed_from_stored_responses_and_wave_headcounts(
    db: Database, standards: StandardSet
) -> None:
    wave_id = await _wave_with_responses(db, {"CSC": 45, "TVP": 119, "VCS": 30})
    assert await store.questionnaire_counts(db, wave_id) == {
        "CSC": (45, 450),
        "TVP": (119, 1200),
        "VCS": (30, None),
    }
    round_ = await _round(db, wave_id)
    data = await load_round(db, round_, ["CSC", "TVP", "VCS"], 0.10)
    assert [data.evidence[c].met for c in ("CSC", "TVP", "VCS")] == [True, False, False]
    blue = Entry("3a", Rating.BLUE, FULL_3A, IMPACT)
    assert judge(standards, blue, data.evidence["CSC"]).standing is Rating.BLUE
    assert judge(standards, blue, data.evidence["TVP"]).standing is Rating.GREEN
    assert "119 responses from a frontline headcount of 1200 (9.9%" in (
        judge(standards, blue, data.evidence["TVP"]).downgrades[0].reason
    )


async def test_a_return_round_trips_and_resubmitting_keeps_the_boards_decision_and_action_status(
    db: Database,
) -> None:
    round_ = await _round(db, None)
    entries = (Entry("3a", Rating.AMBER, "x", "y", **ACTION), Entry("1a", Rating.GREEN, "a", "b"))
    first = Return(
        round_.id, "CSC", entries, submitted_on=date(2026, 11, 20), alternative=Alternative("Own survey")
    )
    await store.save_return(db, to_record(first))
    (stored,) = await store.read_returns(db, round_.id)
    assert from_record(stored).by_standard == first.by_standard
    assert from_record(stored).alternative == Alternative("Own survey")

    await store.decide_alternative(db, round_.id, "CSC", "accepted")
    await store.set_action_status(db, round_.id, "CSC", "3a", "in progress", date(2026, 11, 25))
    await store.save_return(db, to_record(replace(first, submitted_on=date(2026, 11, 26))))
    again = from_record((await store.read_returns(db, round_.id))[0])
    assert again.alternative == Alternative("Own survey", "accepted")
    assert again.by_standard["3a"].status == "in progress"

    changed = replace(first, alternative=Alternative("A different survey"))
    await store.save_return(db, to_record(changed))
    assert from_record((await store.read_returns(db, round_.id))[0]).alternative == Alternative(
        "A different survey"
    )


async def test_who_has_not_returned_is_what_a_reminder_needs(db: Database) -> None:
    round_ = await _round(db, None)
    await store.save_return(db, to_record(Return(round_.id, "TVP", (), submitted_on=date(2026, 11, 1))))
    assert await store.not_returned(db, round_.id, ["CSC", "TVP", "VCS"]) == ["CSC", "VCS"]


async def test_rounds_have_an_order_and_their_dates_are_checked(db: Database) -> None:
    first = await _round(db, None)
    second = await store.create_round(
        db, title="2027-28", standards="s", opens=date(2027, 10, 1), returns_by=date(2027, 12, 2)
    )
    assert await store.previous_round(db, second) == first
    assert await store.previous_round(db, first) is None
    assert await store.current_round(db, date(2027, 1, 1)) == first
    assert await store.current_round(db, date(2027, 10, 1)) == second
    with pytest.raises(ValueError, match="before the round opens"):
        await store.create_round(
            db, title="x", standards="s", opens=date(2027, 1, 2), returns_by=date(2027, 1, 1)
        )


async def test_unknown_actions_and_alternatives_are_not_found(db: Database) -> None:
    round_ = await _round(db, None)
    with pytest.raises(NotFound):
        await store.set_action_status(db, round_.id, "CSC", "3a", "done", date(2026, 12, 1))
    with pytest.raises(NotFound):
        await store.decide_alternative(db, round_.id, "CSC", "accepted")
