"""Storing a confirmed response so it is never lost, never doubled, and never linkable to its person.

``submit`` runs four steps, each idempotent and each in its own transaction:

1. check   refuse if the person's token exists and this response is not already kept;
2. stage   put the response in the staging table (insert-if-absent by its random id);
3. token   record the person's token for the wave (insert-if-absent) and, in the same
           transaction, delete their in-progress state (their answers next to their
           identity): both are on the person's side, neither touches the response;
4. flush   when a whole batch is staged, move staged responses into the response
           table in whole shuffled batches.

The token and the response are never written in one transaction, and the
response table gets rows only in shuffled batches, so neither a shared
transaction nor insertion order nor a timestamp ties a response to a person.
The in-progress state keeps the answers until step 3, so a crash between any
two steps is finished by the next call (the bot's next turn) or by ``recover``.
Each write transaction on SQLite waits for the one writer, so a submission
makes as few as it can: the wave key is read without one unless it must be made.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.settings import Settings
from storage.database import Database
from storage.errors import StorageError, WaveKeyGone
from storage.models import ResponseRow, StagedResponseRow, WaveRow
from storage.responses import insert_shuffled, payload_for
from storage.state import StateStore, forget_state
from storage.tokens import add_token, destroy_wave_key, token_exists, token_for, wave_key
from storage.upsert import insert_if_absent
from storage.waves import mark_closed
from surveys.turns import Progress, Submission

log = logging.getLogger(__name__)

SURVEY_PREFIX = "survey/"

OutcomeKind = Literal["stored", "already_submitted", "wave_closed", "nothing_to_submit"]


class InvalidSubmission(StorageError):
    """The state document cannot be submitted as it is (no agency, wrong wave, bad response id)."""

    status = 400


@dataclass(frozen=True)
class SubmitOutcome:
    """What ``submit`` did.

    kind:
      "stored"             this call stored the response (staged it; it reaches the
                           response table with its batch)
      "already_submitted"  nothing new stored: this response was already kept by an
                           earlier (perhaps interrupted or duplicated) call, or the
                           person already submitted another one for the wave
      "wave_closed"        the wave has closed; nothing stored, the state is left
      "nothing_to_submit"  no state document, or it is not in status "submitting"
    ``kept`` is True when this response id is stored (now or before): False for a
    refused second response, whose answers are discarded with the state.
    ``flushed`` counts responses this call moved into the response table.
    """

    kind: OutcomeKind
    kept: bool = False
    wave_id: int | None = None
    flushed: int = 0


@dataclass(frozen=True)
class _Plan:
    state_key: str
    wave_id: int
    response_id: str
    token: str
    payload: dict[str, Any]


def to_submission(progress: Progress) -> Submission:
    """The Submission a progress in status "submitting" describes (answers that were given)."""
    agency = progress.answers.get("agency")
    if not isinstance(agency, str) or not agency:
        raise InvalidSubmission("the response has no agency")
    return Submission(progress.questionnaire, progress.version, agency, dict(progress.answers))


def _month(today: date | None) -> str:
    return (today or datetime.now(UTC).date()).strftime("%Y-%m")


async def _plan(
    db: Database, state_key: str, document: dict[str, Any], secret: bytes, today: date | None
) -> _Plan | SubmitOutcome:
    progress = Progress.from_json(document["progress"])
    wave_id = int(document["wave"])
    if progress.status != "submitting":
        return SubmitOutcome("nothing_to_submit", wave_id=wave_id)
    response_id = progress.response_id or ""
    if not 16 <= len(response_id) <= 64:
        raise InvalidSubmission("the response id should be a random string of 16 to 64 characters")
    payload = payload_for(to_submission(progress), _month(today))
    try:
        key = await _wave_key(db, wave_id, progress.questionnaire, secret, create=False)
        if key is None:  # the wave's first submission makes its key
            key = await _wave_key(db, wave_id, progress.questionnaire, secret, create=True)
    except WaveKeyGone:
        return SubmitOutcome("wave_closed", wave_id=wave_id)
    assert key is not None  # created above when missing
    return _Plan(state_key, wave_id, response_id, token_for(key, wave_id, str(document["person"])), payload)


async def _is_kept(session: AsyncSession, response_id: str) -> bool:
    staged = await session.scalar(select(StagedResponseRow.id).where(StagedResponseRow.id == response_id))
    stored = await session.scalar(select(ResponseRow.id).where(ResponseRow.id == response_id))
    return staged is not None or stored is not None


async def _wave_key(
    db: Database, wave_id: int, questionnaire: str, secret: bytes, *, create: bool
) -> bytes | None:
    async with db.transaction(read_only=not create) as session:
        found = await session.scalar(select(WaveRow.questionnaire).where(WaveRow.id == wave_id))
        if found is None:
            raise InvalidSubmission(f"no wave {wave_id}")
        if found != questionnaire:
            raise InvalidSubmission(f"wave {wave_id} is not of questionnaire {questionnaire!r}")
        return await wave_key(session, wave_id, secret, create=create)


async def _check(db: Database, plan: _Plan) -> bool:
    """Step 1: False when the person already submitted a different response for this wave."""
    async with db.transaction(read_only=True) as session:
        return not await token_exists(session, plan.token) or await _is_kept(session, plan.response_id)


async def _stage(db: Database, plan: _Plan) -> bool:
    """Step 2: True when this call staged the response (it was neither staged nor stored)."""
    async with db.transaction() as session:
        if await session.scalar(select(ResponseRow.id).where(ResponseRow.id == plan.response_id)):
            return False
        row = {"id": plan.response_id, "wave_id": plan.wave_id, "payload": plan.payload}
        return await insert_if_absent(session, StagedResponseRow, row)


async def _write_token(db: Database, plan: _Plan) -> None:
    """Step 3: the token, and the state deleted: the answers now live only in the anonymous tables."""
    async with db.transaction() as session:
        await add_token(session, plan.wave_id, plan.token)
        await forget_state(session, [plan.state_key])


async def _forget(db: Database, plan: _Plan) -> None:
    """A refused second submission: drop its answers, which nobody will store."""
    await StateStore(db).delete([plan.state_key])


async def submit(
    db: Database, state_key: str, settings: Settings, *, today: date | None = None
) -> SubmitOutcome:
    """Store the response in the survey state document at ``state_key`` (see the module docstring).

    The document is {"person", "wave", "progress"} with progress.status
    "submitting" and progress.response_id chosen once before the first call.
    Safe to call again after any failure, and for the same document twice.
    Raises StorageUnavailable when the database cannot be reached (call again
    later: nothing is lost), InvalidSubmission for a document that cannot be stored.
    """
    item = (await StateStore(db).read([state_key])).get(state_key)
    if item is None:
        return SubmitOutcome("nothing_to_submit")
    plan = await _plan(db, state_key, item.document, settings.secret_bytes(), today)
    if isinstance(plan, SubmitOutcome):
        return plan
    if not await _check(db, plan):
        await _forget(db, plan)
        return SubmitOutcome("already_submitted", kept=False, wave_id=plan.wave_id)
    new = await _stage(db, plan)
    await _write_token(db, plan)
    flushed = await flush(db, settings.response_batch) if await _batch_waiting(db, settings) else 0
    return SubmitOutcome(
        "stored" if new else "already_submitted", kept=True, wave_id=plan.wave_id, flushed=flushed
    )


async def has_submitted(db: Database, wave_id: int, person_id: str, settings: Settings | None = None) -> bool:
    """Whether this person's token exists for the wave (for reminders: only counts are ever shown).

    Needs the product secret: from ``settings``, or from ``Database.open(url, secret=...)``.
    Raises WaveKeyGone once the wave has closed: nobody can be tested any more.
    """
    secret = settings.secret_bytes() if settings is not None else db.secret
    if secret is None:
        raise StorageError("has_submitted needs settings, or a Database opened with secret=")
    async with db.transaction(read_only=True) as session:
        key = await wave_key(session, wave_id, secret, create=False)
        return key is not None and await token_exists(session, token_for(key, wave_id, person_id))


async def _batch_waiting(db: Database, settings: Settings) -> bool:
    """Whether a whole batch is staged, so the common case costs a read, not a write."""
    async with db.transaction(read_only=True) as session:
        staged = await session.scalar(select(func.count()).select_from(StagedResponseRow))
    return (staged or 0) >= settings.response_batch


async def flush(
    db: Database, batch: int, everything: bool = False, *, rng: random.Random | None = None
) -> int:
    """Move staged responses into the response table, shuffled, in whole batches of ``batch``.

    Which staged responses go is a random choice when not all of them do;
    ``everything`` moves them all (end of a wave, tests). Returns how many moved.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    async with db.transaction() as session:
        # FOR UPDATE (PostgreSQL) makes a concurrent flush wait and then see what is left.
        staged = list(
            await session.execute(
                select(
                    StagedResponseRow.id, StagedResponseRow.wave_id, StagedResponseRow.payload
                ).with_for_update()
            )
        )
        count = len(staged) if everything else len(staged) - len(staged) % batch
        if count == 0:
            return 0
        chosen = (rng or random.SystemRandom()).sample(staged, count)
        await insert_shuffled(session, [tuple(row) for row in chosen], rng)
        await session.execute(
            delete(StagedResponseRow).where(StagedResponseRow.id.in_([row[0] for row in chosen]))
        )
        return count


async def close_wave(db: Database, wave_id: int) -> int:
    """Close the wave: no more submissions, every staged response moved, the wave key destroyed.

    Returns how many staged responses were moved. Safe to repeat.
    """
    await mark_closed(db, wave_id)
    moved = await flush(db, 1, everything=True)
    async with db.transaction() as session:
        await destroy_wave_key(session, wave_id)
    return moved


async def recover(db: Database, settings: Settings) -> int:
    """Finish every interrupted submission (state documents left in "submitting"), then flush.

    Returns how many were finished. A document that cannot be stored is left
    where it is and logged by its problem only (its key would name the person).
    """
    finished = 0
    for key, item in (await StateStore(db).read_prefix(SURVEY_PREFIX)).items():
        progress = item.document.get("progress") or {}
        if progress.get("status") != "submitting":
            continue
        try:
            outcome = await submit(db, key, settings)
        except InvalidSubmission as exc:
            log.warning("left one interrupted submission that cannot be stored: %s", exc)
            continue
        finished += outcome.kept
    await flush(db, settings.response_batch)
    return finished
