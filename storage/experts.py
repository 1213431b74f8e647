"""Questions passed to the partnership's safeguarding experts, and their answers.

``asker_key`` is the asker's conversation reference key, so the answer can be
sent back; the question arrives already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.database import Database
from storage.errors import NotFound
from storage.models import ExpertQuestionRow


@dataclass(frozen=True)
class ExpertQuestion:
    id: int
    question: str
    asker_key: str
    answer: str | None
    asked_on: date
    answered_on: date | None


def _question(row: ExpertQuestionRow) -> ExpertQuestion:
    return ExpertQuestion(row.id, row.question, row.asker_key, row.answer, row.asked_on, row.answered_on)


def _today(today: date | None) -> date:
    return today or datetime.now(UTC).date()


async def ask(db: Database, question_redacted: str, asker_key: str, *, today: date | None = None) -> int:
    """Record a question for the experts; returns its id (quoted when they answer)."""
    row = ExpertQuestionRow(question=question_redacted, asker_key=asker_key, asked_on=_today(today))
    async with db.transaction() as session:
        session.add(row)
        await session.flush()
        return row.id


async def answer(db: Database, question_id: int, text: str, *, today: date | None = None) -> ExpertQuestion:
    """Record the experts' answer (a second one replaces the first); NotFound for an unknown id."""
    async with db.transaction() as session:
        row = await session.get(ExpertQuestionRow, question_id)
        if row is None:
            raise NotFound(f"no expert question {question_id}")
        row.answer = text
        row.answered_on = _today(today)
        return _question(row)


async def pending(db: Database) -> list[ExpertQuestion]:
    """Questions still waiting for an answer, oldest first."""
    query = select(ExpertQuestionRow).where(ExpertQuestionRow.answer.is_(None)).order_by(ExpertQuestionRow.id)
    async with db.transaction(read_only=True) as session:
        return [_question(row) for row in await session.scalars(query)]
