"""Things the scheduled tick does once each, recorded so that no rerun does them twice.

A job (a wave's report to one agency lead, one deadline reminder) is keyed by
what it is about: waves, rounds, agencies, standards, never a person. Before
acting, the tick *claims* the job: one conditional write that succeeds only if
the job is new, or failed before and has attempts left. Then it acts and
*finishes* the job ("done" or "failed"). A run that dies between the two
leaves the job "claimed": it is not retried, because the message may have
gone (at most once: a reminder missed is better than one sent twice), and
``python -m bot tick`` lists it so someone can look.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import and_, or_, select, update

from storage.affected import affected
from storage.database import Database
from storage.models import TickJobRow
from storage.upsert import insert_if_absent

DUE = "due"
CLAIMED = "claimed"
DONE = "done"
FAILED = "failed"
MAX_ATTEMPTS = 3


async def claim(db: Database, key: str, *, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """Claim job ``key``: True when this caller should now act (new, due, or failed with attempts left)."""
    async with db.transaction() as session:
        if await insert_if_absent(
            session, TickJobRow, {"key": key, "status": CLAIMED, "attempts": 1, "detail": ""}
        ):
            return True
        result = await session.execute(
            update(TickJobRow)
            .where(
                TickJobRow.key == key,
                or_(
                    TickJobRow.status == DUE,
                    and_(TickJobRow.status == FAILED, TickJobRow.attempts < max_attempts),
                ),
            )
            .values(status=CLAIMED, attempts=TickJobRow.attempts + 1)
        )
        return affected(result) == 1


async def finish(
    db: Database, key: str, outcome: Literal["done", "failed"], detail: str, today: date
) -> None:
    """Record how a claimed job ended (``detail`` is a reason, never content)."""
    async with db.transaction() as session:
        await session.execute(
            update(TickJobRow)
            .where(TickJobRow.key == key)
            .values(status=outcome, detail=detail[:200], done_on=today if outcome == DONE else None)
        )


async def claimable(db: Database, key: str, *, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """Whether :func:`claim` would now succeed (to skip preparing for a job that will not run)."""
    async with db.transaction(read_only=True) as session:
        row = (
            await session.execute(select(TickJobRow.status, TickJobRow.attempts).filter_by(key=key))
        ).first()
    return row is None or row.status == DUE or (row.status == FAILED and row.attempts < max_attempts)


async def status(db: Database, key: str) -> str | None:
    """The job's status ("claimed", "done", "failed") or None when it was never claimed."""
    async with db.transaction(read_only=True) as session:
        return await session.scalar(select(TickJobRow.status).where(TickJobRow.key == key))


async def pending(db: Database, prefix: str) -> list[str]:
    """Keys under ``prefix`` that are scheduled ("due", see :func:`schedule`) and not yet done."""
    async with db.transaction(read_only=True) as session:
        rows = await session.scalars(
            select(TickJobRow.key).where(
                TickJobRow.key.startswith(prefix, autoescape=True),
                or_(TickJobRow.status == DUE, TickJobRow.status == FAILED),
            )
        )
        return sorted(rows)


async def schedule(db: Database, key: str) -> None:
    """Mark job ``key`` as due (nothing changes if it is known already): done later by whoever runs it."""
    async with db.transaction() as session:
        await insert_if_absent(session, TickJobRow, {"key": key, "status": DUE, "attempts": 0, "detail": ""})


async def stuck(db: Database) -> list[str]:
    """Jobs left "claimed" by a run that stopped mid-way: not retried (they may have happened)."""
    async with db.transaction(read_only=True) as session:
        return sorted(await session.scalars(select(TickJobRow.key).where(TickJobRow.status == CLAIMED)))
