"""Survey reminders: each wave's schedule, and per person what the schedule needs, keyed anonymously.

A person is named here only by a keyed hash under a key derived from the wave's
own key, so the table alone names nobody and, once the wave closes and its key
is destroyed, nobody can be tested against it (the rows go too: storage.retention).
Nothing here says whether anyone answered: that is tested, just before a
batch of reminders is sent, against the submission tokens (storage.submissions.submitted_among).

Sending is claimed first (:func:`claim_many`, a batch of people in one
transaction): a conditional write that succeeds only if the person has not
opted out, had no reminder today, did not pause or resume the survey today, and
has not been reminded for this round (or the attempt for it failed and may be
retried). A run that dies after claiming and before :func:`finish_many` leaves
the claims in place, so those people (at most the batches under way) are not
reminded again for that round: at most once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import and_, case, or_, select, update

from storage.database import Database
from storage.errors import NotFound
from storage.models import ReminderRow, WaveReminderDaysRow, WaveRow
from storage.tokens import ensure_wave_key
from storage.upsert import if_absent_many, upsert

_INFO = b"safeguarding-bot/reminders/v1"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
MAX_ATTEMPTS = 3


class PersonHasher:
    """Hashes people for one wave's reminder rows (one key derivation, then an HMAC per person)."""

    def __init__(self, wave_id: int, key: bytes) -> None:
        self.wave_id = wave_id
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)

    def __call__(self, person: str) -> str:
        return hmac.new(self._key, person.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


async def hasher(db: Database, wave_id: int, secret: bytes) -> PersonHasher:
    """The hasher of an open wave (making the wave's key on first use); WaveKeyGone once it closed."""
    key = await ensure_wave_key(db, wave_id, secret)
    return PersonHasher(wave_id, key)


def parse_days(text: str) -> tuple[int, ...]:
    """ "7,2" -> (7, 2): days before closing, largest first; ValueError naming what is wrong."""
    days: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a whole number of days")
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


async def set_days(db: Database, wave_id: int, days: Sequence[int]) -> None:
    """Give the wave its own reminder schedule (days before it closes; empty: no reminders)."""
    if any(day < 0 for day in days):
        raise ValueError("reminder days cannot be negative")
    async with db.transaction() as session:
        if await session.get(WaveRow, wave_id) is None:
            raise NotFound(f"no wave {wave_id}")
        text = ",".join(str(day) for day in sorted(set(days), reverse=True))
        await upsert(session, WaveReminderDaysRow, {"wave_id": wave_id, "days": text}, ["wave_id"], ["days"])


async def days_for(db: Database, wave_id: int, default: Sequence[int]) -> tuple[int, ...]:
    """The wave's own schedule if it has one, else ``default`` (the REMINDER_DAYS setting)."""
    async with db.transaction(read_only=True) as session:
        own = await session.scalar(
            select(WaveReminderDaysRow.days).where(WaveReminderDaysRow.wave_id == wave_id)
        )
    return parse_days(own) if own is not None else tuple(sorted(set(default), reverse=True))


async def _touch(db: Database, wave_id: int, person: str, values: dict[str, object]) -> None:
    async with db.transaction() as session:
        row = {"wave_id": wave_id, "person": person, "status": "", "attempts": 0, **values}
        await upsert(session, ReminderRow, row, ["wave_id", "person"], list(values))


async def note_quiet(db: Database, wave_id: int, person: str, day: date) -> None:
    """The person paused or resumed the survey on ``day``: no reminder that day."""
    await _touch(db, wave_id, person, {"quiet_on": day})


async def opt_out(db: Database, wave_id: int, person: str) -> None:
    """The person asked for no more reminders for this wave."""
    await _touch(db, wave_id, person, {"opted_out": True})


async def claim(db: Database, wave_id: int, person: str, due: date, today: date) -> bool:
    """Claim the reminder of round ``due`` for the person on ``today`` (module docstring); True: send it."""
    return person in await claim_many(db, wave_id, [person], due, today)


async def claim_many(db: Database, wave_id: int, people: Sequence[str], due: date, today: date) -> set[str]:
    """Claim round ``due``'s reminder for each of ``people`` at once; returns those to send it to.

    One transaction for the batch: an insert for people with no row yet, then
    one conditional update (the rule in the module docstring) for the others;
    a person is claimed only if one of the two wrote their row.
    """
    if not people:
        return set()
    row = ReminderRow
    fresh = [
        {"wave_id": wave_id, "person": person, "due": due, "status": SENDING, "attempts": 1}
        for person in people
    ]
    async with db.transaction() as session:
        claimed = set(
            await session.scalars(if_absent_many(session, ReminderRow, fresh).returning(ReminderRow.person))
        )
        others = [person for person in people if person not in claimed]
        if others:
            claimed.update(
                await session.scalars(
                    update(row)
                    .where(
                        row.wave_id == wave_id,
                        row.person.in_(others),
                        row.opted_out.is_(False),
                        or_(row.sent_on.is_(None), row.sent_on != today),
                        or_(row.quiet_on.is_(None), row.quiet_on != today),
                        or_(
                            row.due.is_(None),
                            row.due < due,
                            and_(row.due == due, row.status == FAILED, row.attempts < MAX_ATTEMPTS),
                        ),
                    )
                    .values(
                        attempts=case((row.due == due, row.attempts + 1), else_=1),
                        due=due,
                        status=SENDING,
                    )
                    .returning(row.person)
                )
            )
    return claimed


async def finish(db: Database, wave_id: int, person: str, sent: bool, today: date) -> None:
    """Record the outcome of a claimed reminder."""
    await finish_many(db, wave_id, {person: sent}, today)


async def finish_many(db: Database, wave_id: int, outcomes: Mapping[str, bool], today: date) -> None:
    """Record the outcomes of claimed reminders (person -> sent) in one transaction."""
    sent = [person for person, ok in outcomes.items() if ok]
    failed = [person for person, ok in outcomes.items() if not ok]
    async with db.transaction() as session:
        if sent:
            await session.execute(
                update(ReminderRow)
                .where(ReminderRow.wave_id == wave_id, ReminderRow.person.in_(sent))
                .values(status=SENT, sent_on=today)
            )
        if failed:
            await session.execute(
                update(ReminderRow)
                .where(ReminderRow.wave_id == wave_id, ReminderRow.person.in_(failed))
                .values(status=FAILED)
            )


async def counts(db: Database, wave_id: int) -> dict[str, int]:
    """How many people of the wave are in each state ("sent", "failed", "sending", "opted out")."""
    async with db.transaction(read_only=True) as session:
        rows = list(
            await session.execute(
                select(ReminderRow.status, ReminderRow.opted_out).filter_by(wave_id=wave_id)
            )
        )
    tally: dict[str, int] = {}
    for status, opted_out in rows:
        for name in ([status] if status else []) + (["opted out"] if opted_out else []):
            tally[name] = tally.get(name, 0) + 1
    return tally


async def marks(db: Database, wave_id: int) -> dict[str, ReminderRow]:
    """Every person's reminder row of the wave, by hash (read once per run to skip the settled)."""
    async with db.transaction(read_only=True) as session:
        return {
            row.person: row for row in await session.scalars(select(ReminderRow).filter_by(wave_id=wave_id))
        }


def may_claim(row: ReminderRow | None, due: date, today: date) -> bool:
    """What :func:`claim` would allow, judged from a row read earlier (claim itself decides)."""
    if row is None:
        return True
    if row.opted_out or row.sent_on == today or row.quiet_on == today:
        return False
    return (
        row.due is None
        or row.due < due
        or (row.due == due and row.status == FAILED and row.attempts < MAX_ATTEMPTS)
    )
