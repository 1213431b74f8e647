"""Progress of `bot invite` for a wave: which conversation references were sent to, or failed.

Lets an interrupted invitation run resume where it stopped without messaging
anyone twice. Holds no answers and nothing about who responded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from sqlalchemy import func, select

from storage.database import Database
from storage.models import InvitationRow
from storage.upsert import upserting_many

Status = Literal["sent", "failed"]


async def mark(db: Database, wave_id: int, reference_key: str, status: Status) -> None:
    """Record the outcome of the latest attempt to invite ``reference_key`` to the wave."""
    await mark_many(db, wave_id, {reference_key: status})


async def mark_many(db: Database, wave_id: int, outcomes: Mapping[str, Status]) -> None:
    """Record the outcomes of a batch of invitations (reference key -> status) in one transaction."""
    if any(status not in ("sent", "failed") for status in outcomes.values()):
        raise ValueError(f"a status should be 'sent' or 'failed', not one of {set(outcomes.values())!r}")
    if not outcomes:
        return
    rows = [{"wave_id": wave_id, "reference_key": key, "status": status} for key, status in outcomes.items()]
    async with db.transaction() as session:
        await session.execute(
            upserting_many(session, InvitationRow, rows, ["wave_id", "reference_key"], ["status"])
        )


async def statuses(db: Database, wave_id: int) -> dict[str, str]:
    """reference key -> "sent" | "failed" for everyone tried so far in the wave."""
    query = select(InvitationRow.reference_key, InvitationRow.status).where(InvitationRow.wave_id == wave_id)
    async with db.transaction(read_only=True) as session:
        return {key: status for key, status in await session.execute(query)}


async def still_to_send(db: Database, wave_id: int, reference_keys: Iterable[str]) -> list[str]:
    """Those of ``reference_keys`` not yet invited successfully to the wave, in the order given."""
    sent = {key for key, status in (await statuses(db, wave_id)).items() if status == "sent"}
    return [key for key in reference_keys if key not in sent]


async def counts(db: Database, wave_id: int) -> dict[str, int]:
    """How many references are "sent" and "failed" in the wave."""
    query = (
        select(InvitationRow.status, func.count())
        .where(InvitationRow.wave_id == wave_id)
        .group_by(InvitationRow.status)
    )
    async with db.transaction(read_only=True) as session:
        return {status: count for status, count in await session.execute(query)}
