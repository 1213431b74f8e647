"""Waves and agencies: a fresh database opens one wave; headcounts are per wave."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.database import Database
from storage.errors import NotFound
from storage.waves import (
    create_wave,
    current_wave,
    ensure_default_wave,
    get_wave,
    latest_wave,
    next_wave_for,
    set_headcount,
    wave_agencies,
)
from tests.storage.conftest import PARTNERSHIP, TODAY


async def test_a_fresh_database_gets_one_open_wave_of_the_default_questionnaire(db: Database) -> None:
    assert await latest_wave(db) is None
    wave = await ensure_default_wave(db, PARTNERSHIP, TODAY)
    assert (wave.questionnaire, wave.version, wave.opens, wave.closed) == ("practitioner", 1, TODAY, False)
    assert wave.closes == TODAY + timedelta(days=42)
    assert await wave_agencies(db, wave.id) == [
        ("CSC", "Children's Social Care", 450),
        ("OTHER", "Other", None),
        ("TVP", "Police", 1200),
    ]
    # Starting again (a restart, a second bot process) finds it rather than opening another.
    assert await ensure_default_wave(db, PARTNERSHIP, TODAY + timedelta(days=3)) == wave
    assert await get_wave(db, wave.id) == wave


async def test_current_wave_is_the_open_one_covering_today(db: Database) -> None:
    wave = await ensure_default_wave(db, PARTNERSHIP, TODAY)
    assert await current_wave(db, "practitioner", TODAY) == wave
    assert await current_wave(db, "practitioner", wave.closes) == wave
    assert await current_wave(db, "practitioner", wave.closes + timedelta(days=1)) is None
    assert await current_wave(db, "practitioner", TODAY - timedelta(days=1)) is None
    assert await current_wave(db, "impact-assessment", TODAY) is None


async def test_next_year_opens_a_new_wave_with_its_own_headcounts(db: Database) -> None:
    first = await ensure_default_wave(db, PARTNERSHIP, TODAY)
    next_year = TODAY.replace(year=2027)
    second = await next_wave_for(db, PARTNERSHIP, next_year, version=2, open_days=30)
    assert (second.version, second.opens, second.closes) == (2, next_year, next_year + timedelta(days=30))
    assert await latest_wave(db) == second
    assert await latest_wave(db, "practitioner") == second
    await set_headcount(db, second.id, "CSC", 480)
    assert ("CSC", "Children's Social Care", 480) in await wave_agencies(db, second.id)
    assert ("CSC", "Children's Social Care", 450) in await wave_agencies(db, first.id)
    with pytest.raises(NotFound, match="not in wave"):
        await set_headcount(db, second.id, "NOPE", 1)


async def test_the_same_period_twice_is_one_wave_and_a_backwards_period_is_refused(db: Database) -> None:
    one = await create_wave(db, "practitioner", 1, TODAY, date(2027, 1, 1), PARTNERSHIP.agencies)
    two = await create_wave(db, "practitioner", 1, TODAY, date(2027, 1, 1), PARTNERSHIP.agencies)
    assert one == two
    with pytest.raises(ValueError, match="before it opens"):
        await create_wave(db, "practitioner", 1, TODAY, TODAY - timedelta(days=1), ())


async def test_a_demonstration_wave_is_closed_flagged_and_never_the_live_one(db: Database) -> None:
    live = await ensure_default_wave(db, PARTNERSHIP, TODAY)
    earlier = TODAY - timedelta(days=42)
    demo = await create_wave(db, "practitioner", 1, earlier, TODAY, PARTNERSHIP.agencies, demo=True)
    assert (demo.demo, demo.closed) == (True, True)
    assert not demo.is_open_on(TODAY)
    assert await current_wave(db, "practitioner", TODAY) == live
    assert await latest_wave(db, "practitioner") == live
    assert await latest_wave(db, "practitioner", demo=True) == demo
    # a restart of the bot still finds the live wave, not the demonstration
    assert await ensure_default_wave(db, PARTNERSHIP, TODAY) == live
    # demo data can never be pointed at a live wave's period, nor the other way round
    with pytest.raises(ValueError, match="a live wave"):
        await create_wave(db, "practitioner", 1, TODAY, TODAY, PARTNERSHIP.agencies, demo=True)
    with pytest.raises(ValueError, match="a demonstration wave"):
        await create_wave(db, "practitioner", 1, earlier, TODAY, PARTNERSHIP.agencies)
