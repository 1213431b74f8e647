"""Progress of `bot invite` for a wave: which conversation references were sent to, or failed.

Lets an interrupted invitation run resume where it stopped without messaging
anyone twice. Holds no answers and nothing about who responded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import func, select

from storage.database import Database
from storage.models import InvitationRow
from storage.upsert import upsert

Status = Literal["sent", "failed"]


async def mark(db: Database, wave_id: int, reference_key: str, status: Status) -> None:
    """Record the outcome of the latest attempt to invite ``reference_key`` to the wave."""
    if status not in ("sent", "failed"):
        raise ValueError(f"status should be 'sent' or 'failed', not {status!r}")
    row = {"wave_id": wave_id, "reference_key": reference_key, "status": status}
    async with db.transaction() as session:
        await upsert(session, InvitationRow, row, ["wave_id", "reference_key"], ["status"])


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
