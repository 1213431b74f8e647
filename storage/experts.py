"""Questions passed to the partnership's safeguarding experts, their answers, and the way back.

The question is kept with a random ``handle`` and the month, never who asked.
The way back to the asker (their conversation reference) is kept apart, in
expert_routes, under a keyed hash of the handle and encrypted under a key
derived from the product secret and the handle; it is deleted once the answer
is delivered, or when it expires (EXPERT_ROUTE_DAYS). The question arrives
already redacted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select

from storage.affected import affected
from storage.database import Database
from storage.errors import NotFound
from storage.models import ExpertQuestionRow, ExpertRouteRow

_INDEX_INFO = b"safeguarding-bot/expert-routes/index/v1"
_SEAL_INFO = b"safeguarding-bot/expert-routes/seal/v1"


@dataclass(frozen=True)
class ExpertQuestion:
    """A question as the experts see it: its number, words, answer and months; nothing of the asker."""

    id: int
    question: str
    handle: str
    answer: str | None
    asked_month: str
    answered_month: str | None


def _question(row: ExpertQuestionRow) -> ExpertQuestion:
    return ExpertQuestion(row.id, row.question, row.handle, row.answer, row.asked_month, row.answered_month)


def _today(today: date | None) -> date:
    return today or datetime.now(UTC).date()


def _handle_hash(secret: bytes, handle: str) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INDEX_INFO).derive(secret)
    return hmac.new(key, handle.encode(), hashlib.sha256).hexdigest()


def _route_cipher(secret: bytes, handle: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=handle.encode(), info=_SEAL_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


async def ask(
    db: Database,
    question_redacted: str,
    route: dict[str, Any],
    secret: bytes,
    *,
    keep_days: int,
    today: date | None = None,
) -> int:
    """Record a question and, apart from it, the sealed way back (``route``); returns its number."""
    day = _today(today)
    handle = secrets.token_urlsafe(24)
    sealed = _route_cipher(secret, handle).encrypt(json.dumps(route).encode()).decode()
    row = ExpertQuestionRow(question=question_redacted, handle=handle, asked_month=day.strftime("%Y-%m"))
    async with db.transaction() as session:
        session.add(row)
        session.add(
            ExpertRouteRow(
                handle_hash=_handle_hash(secret, handle),
                route=sealed,
                expires=day + timedelta(days=keep_days),
            )
        )
        await session.flush()
        return row.id


async def answer(db: Database, question_id: int, text: str, *, today: date | None = None) -> ExpertQuestion:
    """Record the experts' answer (a second one replaces the first); NotFound for an unknown id."""
    async with db.transaction() as session:
        row = await session.get(ExpertQuestionRow, question_id)
        if row is None:
            raise NotFound(f"no expert question {question_id}")
        row.answer = text
        row.answered_month = _today(today).strftime("%Y-%m")
        return _question(row)


async def route_back(db: Database, question: ExpertQuestion, secret: bytes) -> dict[str, Any] | None:
    """The asker's conversation reference, while the route is kept (None once delivered or expired)."""
    async with db.transaction(read_only=True) as session:
        sealed = await session.scalar(
            select(ExpertRouteRow.route).where(
                ExpertRouteRow.handle_hash == _handle_hash(secret, question.handle)
            )
        )
    if sealed is None:
        return None
    try:
        route: dict[str, Any] = json.loads(_route_cipher(secret, question.handle).decrypt(sealed.encode()))
    except InvalidToken:
        return None
    return route


async def forget_route(db: Database, question: ExpertQuestion, secret: bytes) -> None:
    """Delete the way back (the answer was delivered): nothing joins the question to anyone now."""
    async with db.transaction() as session:
        await session.execute(
            delete(ExpertRouteRow).where(ExpertRouteRow.handle_hash == _handle_hash(secret, question.handle))
        )


async def purge_expired_routes(db: Database, *, today: date | None = None) -> int:
    """Delete routes past their expiry; returns how many went."""
    async with db.transaction() as session:
        result = await session.execute(delete(ExpertRouteRow).where(ExpertRouteRow.expires < _today(today)))
        return affected(result)


async def pending(db: Database) -> list[ExpertQuestion]:
    """Questions still waiting for an answer, oldest first."""
    query = select(ExpertQuestionRow).where(ExpertQuestionRow.answer.is_(None)).order_by(ExpertQuestionRow.id)
    async with db.transaction(read_only=True) as session:
        return [_question(row) for row in await session.scalars(query)]
