"""Agencies' own summaries of their findings, sent back to the board by their leads, per wave.

An agency's statement, like its self-assessment return: not anonymous, not
about a person, screened for service users' details before it gets here
(assessments.screening). One per agency per wave; sending again replaces it.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.database import Database
from storage.models import AgencySummaryRow
from storage.upsert import upsert


async def save_summary(db: Database, wave_id: int, agency: str, summary: str, month: str) -> None:
    """Keep ``agency``'s summary for the wave (``month``: "YYYY-MM" it was sent), replacing an earlier one."""
    row = {"wave_id": wave_id, "agency": agency, "summary": summary, "submitted_month": month}
    async with db.transaction() as session:
        await upsert(session, AgencySummaryRow, row, ["wave_id", "agency"], ["summary", "submitted_month"])


async def read_summaries(db: Database, wave_id: int) -> dict[str, str]:
    """Each agency's summary for the wave, by agency code."""
    query = (
        select(AgencySummaryRow).where(AgencySummaryRow.wave_id == wave_id).order_by(AgencySummaryRow.agency)
    )
    async with db.transaction(read_only=True) as session:
        return {row.agency: row.summary for row in await session.scalars(query)}
