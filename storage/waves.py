"""Survey waves and the agencies (with frontline headcounts) taking part in each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update

from common.partnership import Agency, Partnership
from storage.database import Database
from storage.errors import NotFound
from storage.models import AgencyRow, WaveAgencyRow, WaveRow
from storage.upsert import insert_if_absent, upsert


@dataclass(frozen=True)
class Wave:
    """A questionnaire (id + version) open from ``opens`` to ``closes`` inclusive, until closed."""

    id: int
    questionnaire: str
    version: int
    opens: date
    closes: date
    closed: bool
    demo: bool = False  # synthetic responses for a demonstration; never offered to practitioners

    def is_open_on(self, day: date) -> bool:
        return not self.closed and not self.demo and self.opens <= day <= self.closes


def _wave(row: WaveRow) -> Wave:
    return Wave(row.id, row.questionnaire, row.version, row.opens, row.closes, row.closed, row.demo)


async def get_wave(db: Database, wave_id: int) -> Wave | None:
    async with db.transaction(read_only=True) as session:
        row = await session.get(WaveRow, wave_id)
        return _wave(row) if row else None


async def list_waves(db: Database, questionnaire: str | None = None, *, demo: bool = False) -> list[Wave]:
    """Every live wave (of ``questionnaire`` when given), oldest first; ``demo``: the demonstration ones."""
    query = select(WaveRow).where(WaveRow.demo.is_(demo)).order_by(WaveRow.opens, WaveRow.id)
    if questionnaire is not None:
        query = query.where(WaveRow.questionnaire == questionnaire)
    async with db.transaction(read_only=True) as session:
        return [_wave(row) for row in (await session.scalars(query))]


async def latest_wave(db: Database, questionnaire: str | None = None, *, demo: bool = False) -> Wave | None:
    """The live wave (demonstration wave with ``demo``) that opened last, open or closed."""
    waves = await list_waves(db, questionnaire, demo=demo)
    return waves[-1] if waves else None


async def current_wave(db: Database, questionnaire: str, today: date) -> Wave | None:
    """The open wave of ``questionnaire`` whose period includes ``today`` (the latest, if several)."""
    open_now = [wave for wave in await list_waves(db, questionnaire) if wave.is_open_on(today)]
    return open_now[-1] if open_now else None


async def create_wave(
    db: Database,
    questionnaire: str,
    version: int,
    opens: date,
    closes: date,
    agencies: Iterable[Agency],
    *,
    demo: bool = False,
) -> Wave:
    """Open a wave with its agencies and headcounts; creating the same period twice returns the first.

    A ``demo`` wave is created closed (nobody is ever asked to answer it); a live wave and a
    demonstration wave cannot share a period (ValueError), so demo data never lands in a live wave.
    """
    if closes < opens:
        raise ValueError(f"a wave cannot close ({closes}) before it opens ({opens})")
    period = {"questionnaire": questionnaire, "version": version, "opens": opens}
    async with db.transaction() as session:
        await insert_if_absent(session, WaveRow, {**period, "closes": closes, "closed": demo, "demo": demo})
        row = (await session.scalars(select(WaveRow).filter_by(**period))).one()
        if row.demo != demo:
            kind = "a demonstration" if row.demo else "a live"
            raise ValueError(f"{kind} wave (id {row.id}) already opens on {opens}")
        for agency in agencies:
            await upsert(session, AgencyRow, {"code": agency.code, "name": agency.name}, ["code"], ["name"])
            await insert_if_absent(
                session,
                WaveAgencyRow,
                {"wave_id": row.id, "agency_code": agency.code, "headcount": agency.headcount},
            )
        return _wave(row)


async def ensure_default_wave(db: Database, partnership: Partnership, today: date, version: int = 1) -> Wave:
    """The open wave of the partnership's default questionnaire; a fresh database gets one.

    When the questionnaire has no wave at all, one opens ``today`` for the
    partnership's ``default_open_days`` with its agencies and headcounts.
    Otherwise the current wave is returned, or the latest one if none is open.
    """
    questionnaire = partnership.default_questionnaire
    existing = await current_wave(db, questionnaire, today) or await latest_wave(db, questionnaire)
    if existing is not None:
        return existing
    closes = today + timedelta(days=partnership.default_open_days)
    return await create_wave(db, questionnaire, version, today, closes, partnership.agencies)


async def next_wave_for(
    db: Database,
    partnership: Partnership,
    today: date,
    *,
    questionnaire: str | None = None,
    version: int = 1,
    open_days: int | None = None,
) -> Wave:
    """Open a new wave from ``today`` (e.g. next year's), with the partnership's current agencies."""
    days = open_days if open_days is not None else partnership.default_open_days
    return await create_wave(
        db,
        questionnaire or partnership.default_questionnaire,
        version,
        today,
        today + timedelta(days=days),
        partnership.agencies,
    )


async def wave_agencies(db: Database, wave_id: int) -> list[tuple[str, str, int | None]]:
    """(code, name, headcount) of each agency in the wave, by code."""
    query = (
        select(AgencyRow.code, AgencyRow.name, WaveAgencyRow.headcount)
        .join(WaveAgencyRow, WaveAgencyRow.agency_code == AgencyRow.code)
        .where(WaveAgencyRow.wave_id == wave_id)
        .order_by(AgencyRow.code)
    )
    async with db.transaction(read_only=True) as session:
        return [(code, name, headcount) for code, name, headcount in await session.execute(query)]


async def set_headcount(db: Database, wave_id: int, code: str, headcount: int | None) -> None:
    """Correct one agency's headcount for one wave (the partnership file gives the starting figure)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(WaveAgencyRow)
            .where(WaveAgencyRow.wave_id == wave_id, WaveAgencyRow.agency_code == code)
            .values(headcount=headcount)
        )
        if result.rowcount != 1:
            raise NotFound(f"agency {code!r} is not in wave {wave_id}")


async def mark_closed(db: Database, wave_id: int) -> None:
    """Flag the wave closed (storage.submissions.close_wave also flushes and destroys its key)."""
    async with db.transaction() as session:
        result = await session.execute(update(WaveRow).where(WaveRow.id == wave_id).values(closed=True))
        if result.rowcount != 1:
            raise NotFound(f"no wave {wave_id}")
