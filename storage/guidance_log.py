"""What the guidance could not answer, or answered unhelpfully, so the content can improve.

Nothing here says who asked, nor when beyond the month, and rows are not
linked to any conversation. A row keeps the words of a question only when the
bot judged it a plain question with nothing personal in it (bot.guidance_turns
decides; None otherwise: the topic, confidence and helpfulness stay). Rows go
after GUIDANCE_LOG_MONTHS (storage.retention).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import case, func, insert, or_, select
from sqlalchemy.engine import Connection

from storage import processed
from storage.database import Database
from storage.models import GuidanceLogRow
from storage.upsert import table_of

_LOG = insert(table_of(GuidanceLogRow))  # built once; the row is given when executed


@dataclass(frozen=True)
class Gap:
    """A question (or topic) the guidance fell short on: how often, and how."""

    topic: str | None
    question: str | None
    count: int
    unanswered: int
    unhelpful: int


def _month(today: date | None) -> str:
    return (today or datetime.now(UTC).date()).strftime("%Y-%m")


async def record_question(
    db: Database,
    question_redacted: str | None,
    topic: str | None,
    confidence: float | None,
    answered: bool,
    *,
    today: date | None = None,
    once: str | None = None,
) -> bool:
    """Log a question (its words only if plain, else None) with the topic offered and whether it was sure.

    ``once`` is the record key of the activity that asked (storage.processed):
    recorded in the same transaction, and when it is already there (a repeated
    delivery) nothing is logged. True when the line was logged.
    """
    row = {
        "kind": "question",
        "question": question_redacted,
        "topic": topic,
        "confidence": confidence,
        "answered": answered,
        "month": _month(today),
    }

    def log(connection: Connection) -> bool:
        if once is not None and not processed.mark(connection, once, today=today):
            return False
        connection.execute(_LOG, row)
        return True

    return await db.run(log)


async def record_feedback(
    db: Database,
    topic: str | None,
    helpful: bool,
    question_redacted: str | None,
    *,
    today: date | None = None,
) -> None:
    """Log a thumbs up or down on the answer given for ``topic``."""
    row = GuidanceLogRow(
        kind="feedback", question=question_redacted, topic=topic, helpful=helpful, month=_month(today)
    )
    async with db.transaction() as session:
        session.add(row)


async def top_gaps(db: Database, limit: int = 20) -> list[Gap]:
    """The commonest unanswered or unhelpful (topic, question) pairs, most frequent first."""
    unanswered = func.sum(case((GuidanceLogRow.answered.is_(False), 1), else_=0))
    unhelpful = func.sum(case((GuidanceLogRow.helpful.is_(False), 1), else_=0))
    count = func.count()
    query = (
        select(GuidanceLogRow.topic, GuidanceLogRow.question, count, unanswered, unhelpful)
        .where(or_(GuidanceLogRow.answered.is_(False), GuidanceLogRow.helpful.is_(False)))
        .group_by(GuidanceLogRow.topic, GuidanceLogRow.question)
        .order_by(count.desc(), GuidanceLogRow.question)
        .limit(limit)
    )
    async with db.transaction(read_only=True) as session:
        return [Gap(*row) for row in await session.execute(query)]
