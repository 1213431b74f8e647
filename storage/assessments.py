"""Self-assessment rounds, agencies' returns and their action tracker, read back as plain dataclasses.

A return's entries hold the agency's own rating and words; the rating that
stands is never stored, it is derived by ``assessments.rules`` from these and
the questionnaire evidence, so it cannot drift from the rules. Records here are
plain (ratings as their names) so storage does not depend on the domain
package; ``assessments.records`` converts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import delete, select, update

from storage.affected import affected
from storage.database import Database
from storage.errors import NotFound
from storage.models import AssessmentEntryRow, AssessmentReturnRow, AssessmentRoundRow
from storage.responses import count_by_agency
from storage.upsert import upsert
from storage.waves import wave_agencies

SUBMITTED = "submitted"


@dataclass(frozen=True)
class Round:
    """An assessment round: which standards, when it opens, when returns are due, when the board analyses."""

    id: int
    title: str
    standards: str
    opens: date
    returns_by: date
    analysis_on: date | None
    wave_id: int | None


@dataclass(frozen=True)
class EntryRecord:
    """One standard of a return as stored: ``rating`` is the agency's own ("blue" ... "red") or None."""

    standard: str
    rating: str | None
    how_met: str
    impact: str
    actions: str
    lead: str
    due: date | None
    status: str


@dataclass(frozen=True)
class ReturnRecord:
    round_id: int
    agency: str
    status: str
    source: str
    submitted_on: date | None
    alternative: str | None
    alternative_decision: str | None
    entries: tuple[EntryRecord, ...]


def _round(row: AssessmentRoundRow) -> Round:
    return Round(row.id, row.title, row.standards, row.opens, row.returns_by, row.analysis_on, row.wave_id)


async def create_round(
    db: Database,
    *,
    title: str,
    standards: str,
    opens: date,
    returns_by: date,
    analysis_on: date | None = None,
    wave_id: int | None = None,
) -> Round:
    """Open a round; returns are due by ``returns_by`` and the board analyses them on ``analysis_on``."""
    if returns_by < opens:
        raise ValueError(f"returns cannot be due ({returns_by}) before the round opens ({opens})")
    if analysis_on is not None and analysis_on < returns_by:
        raise ValueError(
            f"the board's analysis ({analysis_on}) cannot come before the return date ({returns_by})"
        )
    async with db.transaction() as session:
        row = AssessmentRoundRow(
            title=title,
            standards=standards,
            opens=opens,
            returns_by=returns_by,
            analysis_on=analysis_on,
            wave_id=wave_id,
        )
        session.add(row)
        await session.flush()
        return _round(row)


async def list_rounds(db: Database) -> list[Round]:
    """Every round, oldest first."""
    async with db.transaction(read_only=True) as session:
        rows = await session.scalars(
            select(AssessmentRoundRow).order_by(AssessmentRoundRow.opens, AssessmentRoundRow.id)
        )
        return [_round(row) for row in rows]


async def get_round(db: Database, round_id: int) -> Round | None:
    async with db.transaction(read_only=True) as session:
        row = await session.get(AssessmentRoundRow, round_id)
        return _round(row) if row else None


async def current_round(db: Database, today: date) -> Round | None:
    """The latest round that has opened by ``today`` (returns may still come after the return date)."""
    opened = [r for r in await list_rounds(db) if r.opens <= today]
    return opened[-1] if opened else None


async def previous_round(db: Database, this: Round) -> Round | None:
    """The round before ``this`` one (for the year-on-year comparison), if any."""
    rounds = await list_rounds(db)
    earlier = [r for r in rounds if (r.opens, r.id) < (this.opens, this.id)]
    return earlier[-1] if earlier else None


async def save_return(db: Database, submitted: ReturnRecord) -> None:
    """Store a return, replacing the agency's earlier one in this round, in one transaction.

    A board's decision on the alternative questionnaire is kept when the agency
    declares the same alternative again; action statuses already recorded are
    kept for actions that did not change.
    """
    async with db.transaction() as session:
        old = await session.get(AssessmentReturnRow, (submitted.round_id, submitted.agency))
        described = submitted.alternative
        decision = old.alternative_decision if old is not None and old.alternative == described else None
        await upsert(
            session,
            AssessmentReturnRow,
            {
                "round_id": submitted.round_id,
                "agency": submitted.agency,
                "status": submitted.status,
                "source": submitted.source,
                "submitted_on": submitted.submitted_on,
                "alternative": described,
                "alternative_decision": decision,
            },
            ["round_id", "agency"],
            ["status", "source", "submitted_on", "alternative", "alternative_decision"],
        )
        previous = {
            row.standard: row
            for row in await session.scalars(
                select(AssessmentEntryRow).filter_by(round_id=submitted.round_id, agency=submitted.agency)
            )
        }
        await session.execute(
            delete(AssessmentEntryRow).filter_by(round_id=submitted.round_id, agency=submitted.agency)
        )
        for entry in submitted.entries:
            row = {"round_id": submitted.round_id, "agency": submitted.agency, **asdict(entry)}
            before = previous.get(entry.standard)
            if before is not None and (before.actions, before.lead, before.due) == (
                entry.actions,
                entry.lead,
                entry.due,
            ):
                row.update(status=before.status, status_on=before.status_on)
            session.add(AssessmentEntryRow(**row))


def _entry(row: AssessmentEntryRow) -> EntryRecord:
    return EntryRecord(
        row.standard,
        row.rating,
        row.how_met,
        row.impact,
        row.actions,
        row.lead,
        row.due,
        row.status,
    )


async def read_returns(
    db: Database, round_id: int, agencies: Iterable[str] | None = None
) -> list[ReturnRecord]:
    """The returns of one round (of ``agencies`` when given), by agency code."""
    wanted = None if agencies is None else list(agencies)
    query = select(AssessmentReturnRow).filter_by(round_id=round_id).order_by(AssessmentReturnRow.agency)
    if wanted is not None:
        query = query.where(AssessmentReturnRow.agency.in_(wanted))
    async with db.transaction(read_only=True) as session:
        returns = list(await session.scalars(query))
        rows = await session.scalars(select(AssessmentEntryRow).filter_by(round_id=round_id))
        entries: dict[str, list[EntryRecord]] = {}
        for row in rows:
            entries.setdefault(row.agency, []).append(_entry(row))
    return [
        ReturnRecord(
            r.round_id,
            r.agency,
            r.status,
            r.source,
            r.submitted_on,
            r.alternative,
            r.alternative_decision,
            tuple(sorted(entries.get(r.agency, ()), key=lambda e: e.standard)),
        )
        for r in returns
    ]


async def not_returned(db: Database, round_id: int, agencies: Sequence[str]) -> list[str]:
    """The codes among ``agencies`` with no submitted return in the round (whom a reminder is for)."""
    async with db.transaction(read_only=True) as session:
        done = set(
            await session.scalars(
                select(AssessmentReturnRow.agency).filter_by(round_id=round_id, status=SUBMITTED)
            )
        )
    return [code for code in agencies if code not in done]


async def decide_alternative(db: Database, round_id: int, agency: str, decision: str) -> None:
    """Record the board's "accepted" or "rejected" on an agency's declared alternative questionnaire."""
    if decision not in ("accepted", "rejected"):
        raise ValueError("decision must be 'accepted' or 'rejected'")
    async with db.transaction() as session:
        row = await session.get(AssessmentReturnRow, (round_id, agency))
        if row is None or not row.alternative:
            raise NotFound(f"agency {agency!r} declared no alternative questionnaire in round {round_id}")
        row.alternative_decision = decision


async def set_action_status(
    db: Database, round_id: int, agency: str, standard: str, status: str, on: date
) -> None:
    """Update one action's status (the tracker keeps the day it last changed)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(AssessmentEntryRow)
            .where(
                AssessmentEntryRow.round_id == round_id,
                AssessmentEntryRow.agency == agency,
                AssessmentEntryRow.standard == standard,
                AssessmentEntryRow.actions != "",
            )
            .values(status=status, status_on=on)
        )
        if affected(result) != 1:
            raise NotFound(f"no action for standard {standard!r} of {agency!r} in round {round_id}")


async def questionnaire_counts(db: Database, wave_id: int) -> dict[str, tuple[int, int | None]]:
    """(responses, frontline headcount) per agency code in one wave, for the questionnaire evidence."""
    counts = await count_by_agency(db, wave_id)
    return {code: (counts.get(code, 0), headcount) for code, _, headcount in await wave_agencies(db, wave_id)}
