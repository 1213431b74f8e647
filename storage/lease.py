"""A lease in the database, so that of several replicas running the same schedule only one acts.

A lease is one row: its name, who holds it and until when. Taking it is one
atomic statement that succeeds only for one caller: an INSERT that does
nothing if the row exists, then an UPDATE whose WHERE says "expired, or
already mine". Both are single conditional statements, so on SQLite (one
writer at a time) and on PostgreSQL (row lock, re-checked WHERE) two
replicas racing can never both see success. The holder renews the lease
while it works and gives it up at the end; a holder that dies simply lets it
expire. Times are the process's real clock in seconds since the epoch: the
lease is about processes, never about the (possibly simulated) date a run
acts for.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from storage.affected import affected
from storage.database import Database
from storage.models import TickLeaseRow
from storage.upsert import insert_if_absent


def new_holder() -> str:
    """A holder name that says which process it is (host and pid) and is unique per run."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a lease and for how many more seconds (for the message to a replica that lost)."""

    holder: str
    seconds_left: float


async def acquire(db: Database, name: str, holder: str, seconds: float, *, now: float | None = None) -> bool:
    """Take (or renew) the lease ``name`` for ``seconds``; True when ``holder`` now holds it."""
    moment = time.time() if now is None else now
    async with db.transaction() as session:
        row = {"name": name, "holder": holder, "expires": moment + seconds}
        if await insert_if_absent(session, TickLeaseRow, row):
            return True
        result = await session.execute(
            update(TickLeaseRow)
            .where(
                TickLeaseRow.name == name,
                or_(TickLeaseRow.expires <= moment, TickLeaseRow.holder == holder),
            )
            .values(holder=holder, expires=moment + seconds)
        )
        return affected(result) == 1


async def release(db: Database, name: str, holder: str) -> None:
    """Give the lease up now (only if ``holder`` still holds it), so the next run need not wait."""
    async with db.transaction() as session:
        await session.execute(
            update(TickLeaseRow)
            .where(TickLeaseRow.name == name, TickLeaseRow.holder == holder)
            .values(expires=0.0)
        )


async def current(db: Database, name: str, *, now: float | None = None) -> LeaseHolder | None:
    """The live holder of ``name``, or None when nobody holds it."""
    moment = time.time() if now is None else now
    async with db.transaction(read_only=True) as session:
        row = (
            await session.execute(select(TickLeaseRow.holder, TickLeaseRow.expires).filter_by(name=name))
        ).first()
    if row is None or row.expires <= moment:
        return None
    return LeaseHolder(row.holder, row.expires - moment)
