"""Survey waves, the agencies (with frontline headcounts) taking part in each, and their boards.

A wave belongs to one or more of the partnership's boards (``wave_boards``);
a wave with no board recorded belongs to every board (waves made before boards
existed, and partnerships with a single implicit board).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.engine import Connection

from common.partnership import Agency, Partnership
from storage.affected import affected
from storage.database import Database
from storage.errors import NotFound
from storage.models import AgencyRow, WaveAgencyRow, WaveBoardRow, WaveRow
from storage.upsert import insert_if_absent, table_of, upsert


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
    boards: tuple[str, ...] = ()  # the boards it belongs to; empty: every board

    def is_open_on(self, day: date) -> bool:
        return not self.closed and not self.demo and self.opens <= day <= self.closes

    def belongs_to(self, board: str) -> bool:
        return not self.boards or board in self.boards


# Built once, on the tables (Core): read on a Connection (Database.run), as a turn reads them.
_WAVES, _WAVE_BOARDS = table_of(WaveRow), table_of(WaveBoardRow)
_LIVE = select(_WAVES).where(_WAVES.c.demo == bindparam("demo")).order_by(_WAVES.c.opens, _WAVES.c.id)
_LIVE_OF = _LIVE.where(_WAVES.c.questionnaire == bindparam("questionnaire"))
_ONE = select(_WAVES).where(_WAVES.c.id == bindparam("wave_id"))
_BOARDS = (
    select(_WAVE_BOARDS.c.wave_id, _WAVE_BOARDS.c.board)
    .where(_WAVE_BOARDS.c.wave_id.in_(bindparam("waves", expanding=True)))
    .order_by(_WAVE_BOARDS.c.board)
)


def _waves(connection: Connection, rows: Iterable[Row[Any]]) -> list[Wave]:
    """Waves of these rows of ``waves``, each with its boards (one more query for all of them)."""
    rows = list(rows)
    boards: dict[int, list[str]] = {row.id: [] for row in rows}
    if rows:
        for wave_id, board in connection.execute(_BOARDS, {"waves": list(boards)}):
            boards[wave_id].append(board)
    return [
        Wave(
            row.id,
            row.questionnaire,
            row.version,
            row.opens,
            row.closes,
            row.closed,
            row.demo,
            tuple(boards[row.id]),
        )
        for row in rows
    ]


def _wave(connection: Connection, wave_id: int) -> Wave | None:
    found = _waves(connection, connection.execute(_ONE, {"wave_id": wave_id}))
    return found[0] if found else None


async def get_wave(db: Database, wave_id: int) -> Wave | None:
    return await db.run(partial(_wave, wave_id=wave_id), read_only=True)


def _live(connection: Connection, questionnaire: str | None, demo: bool) -> list[Wave]:
    if questionnaire is None:
        return _waves(connection, connection.execute(_LIVE, {"demo": demo}))
    return _waves(connection, connection.execute(_LIVE_OF, {"demo": demo, "questionnaire": questionnaire}))


async def list_waves(db: Database, questionnaire: str | None = None, *, demo: bool = False) -> list[Wave]:
    """Every live wave (of ``questionnaire`` when given), oldest first; ``demo``: the demonstration ones.

    Asked on every start of a questionnaire, so it runs as a turn's own reads do (Database.run).
    """
    return await db.run(partial(_live, questionnaire=questionnaire, demo=demo), read_only=True)


async def open_waves(db: Database, today: date) -> list[Wave]:
    """Every live wave open on ``today``, of any questionnaire, oldest first (what people may be offered)."""
    return [wave for wave in await list_waves(db) if wave.is_open_on(today)]


async def overlapping(
    db: Database, questionnaire: str, opens: date, closes: date, *, exclude: int | None = None
) -> Wave | None:
    """A live, not yet closed wave of ``questionnaire`` (but ``exclude``) meeting ``opens``..``closes``."""
    for wave in await list_waves(db, questionnaire):
        if wave.id != exclude and not wave.closed and wave.opens <= closes and opens <= wave.closes:
            return wave
    return None


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
    boards: Iterable[str] = (),
) -> Wave:
    """Open a wave with its agencies, headcounts and boards; creating the same period twice returns the first.

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
        for board in boards:
            await insert_if_absent(session, WaveBoardRow, {"wave_id": row.id, "board": board})
        found = await session.run_sync(lambda sync: _wave(sync.connection(), row.id))
        assert found is not None  # inserted or found above, in this transaction
        return found


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
        if affected(result) != 1:
            raise NotFound(f"agency {code!r} is not in wave {wave_id}")


async def extend_wave(db: Database, wave_id: int, closes: date) -> Wave:
    """Move a live wave's closing day (later, or earlier but not before it opens); NotFound if unknown.

    ValueError for a closed or demonstration wave, a day before it opens, or a
    period that would meet another open wave of the same questionnaire.
    """
    wave = await get_wave(db, wave_id)
    if wave is None:
        raise NotFound(f"no wave {wave_id}")
    if wave.closed or wave.demo:
        raise ValueError(
            f"wave {wave_id} is {'a demonstration' if wave.demo else 'closed'}: it cannot be extended"
        )
    if closes < wave.opens:
        raise ValueError(f"wave {wave_id} cannot close ({closes}) before it opens ({wave.opens})")
    clash = await overlapping(db, wave.questionnaire, wave.opens, closes, exclude=wave_id)
    if clash is not None:
        raise ValueError(
            f"wave {clash.id} of {wave.questionnaire} is open from {clash.opens} to {clash.closes}"
        )
    async with db.transaction() as session:
        await session.execute(update(WaveRow).where(WaveRow.id == wave_id).values(closes=closes))
    return replace(wave, closes=closes)


async def mark_closed(db: Database, wave_id: int) -> None:
    """Flag the wave closed (storage.submissions.close_wave also flushes and destroys its key)."""
    async with db.transaction() as session:
        result = await session.execute(update(WaveRow).where(WaveRow.id == wave_id).values(closed=True))
        if affected(result) != 1:
            raise NotFound(f"no wave {wave_id}")
