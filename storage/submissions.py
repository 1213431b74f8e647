"""Storing a confirmed response so it is never lost, never doubled, and never linkable to its person.

A confirmation is one write: the person's sealed survey document
(storage.survey_state) in status "submitting", marked ``pending``. From then
on the response is durable, encrypted under the wave key, keyed by a keyed
hash of the person; nothing is written on the anonymous side yet.

Responses and tokens reach their tables only in a flush: one transaction that
takes a random whole batch of ``RESPONSE_BATCH`` pending documents of a wave,
writes their tokens and their responses, each list in its own random order,
and deletes the documents. So every token and every response of a batch share
one transaction id, their positions are shuffled independently, and nothing
finer than "this batch" (and the month) ties a response to a token: each batch
is one anonymity set. ``close_wave`` flushes what is left, then destroys the
wave key, its tokens and every survey document of the wave.

"Has this person submitted?" is: their token is in a flushed batch, or their
pending document is waiting for one. There is nothing to finish after a crash:
a confirmation either was written or was not, and a retried call changes
nothing. A pending document that cannot be stored (say text the database
refuses) is quarantined with a message naming its wave and problem, never its
text, and never stops the rest of its batch.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Literal

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from common.settings import Settings
from storage.affected import affected
from storage.database import Database, unavailable_reason
from storage.errors import ETagConflict, NotFound, StorageError, WaveKeyGone
from storage.models import BotStateRow, SubmissionTokenRow, WaveKeyRow, WaveRow
from storage.responses import insert_shuffled, payload_for
from storage.state import StateItem, StateStore
from storage.survey_state import SURVEY_PREFIX, SealBroken, Sealer, opener, sealer, wave_prefix
from storage.texts import strings
from storage.tokens import destroy_wave_key, open_wave_key, token_for, wave_key_on
from storage.upsert import insert_many_if_absent, table_of
from storage.waves import mark_closed
from surveys.turns import Progress, Submission

log = logging.getLogger(__name__)

__all__ = ["SURVEY_PREFIX", "close_wave", "flush", "has_submitted", "recover", "submit", "submitted_among"]

OutcomeKind = Literal["stored", "already_submitted", "wave_closed", "nothing_to_submit"]
_RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_system_random = random.SystemRandom()
# People tested per query by submitted_among (each is two bound parameters' worth, well inside any limit).
_LOOKUP_CHUNK = 500


class InvalidSubmission(StorageError):
    """The state document cannot be submitted as it is (no agency, wrong wave, bad response id)."""

    status = 400


class Unstorable(InvalidSubmission):
    """An answer holds text the database cannot store (a lone surrogate, a NUL)."""


@dataclass(frozen=True)
class SubmitOutcome:
    """What ``submit`` did.

    kind:
      "stored"             the response is kept: pending in its sealed document until
                           its batch is flushed (this call or an earlier one)
      "already_submitted"  the person's token is already in a flushed batch, so this
                           second response is refused and its document deleted
      "wave_closed"        the wave has closed; nothing stored, the state is left
      "nothing_to_submit"  no state document, or it is not in status "submitting"
    ``kept`` is True when this response is kept (now or before).
    ``flushed`` counts responses this call moved into the response table.
    """

    kind: OutcomeKind
    kept: bool = False
    wave_id: int | None = None
    flushed: int = 0


@dataclass(frozen=True)
class FlushResult:
    """What a flush did: responses moved, and one line per quarantined document (no content)."""

    moved: int = 0
    quarantined: tuple[str, ...] = field(default_factory=tuple)

    def __add__(self, other: FlushResult) -> FlushResult:
        return FlushResult(self.moved + other.moved, self.quarantined + other.quarantined)


@dataclass(frozen=True)
class _Ready:
    """A pending document opened and checked: what its flush writes."""

    key: str
    response_id: str
    token: str
    payload: dict[str, Any]
    settled: bool  # its own submission has finished (sealed the month in)


def to_submission(progress: Progress) -> Submission:
    """The Submission a progress in status "submitting" describes (answers that were given)."""
    agency = progress.answers.get("agency")
    if not isinstance(agency, str) or not agency:
        raise InvalidSubmission("the response has no agency")
    return Submission(progress.questionnaire, progress.version, agency, dict(progress.answers))


def _month(today: date | None) -> str:
    return (today or datetime.now(UTC).date()).strftime("%Y-%m")


def _check_storable(payload: Mapping[str, Any]) -> None:
    """Raise Unstorable, naming the item but never its text, when a value cannot be stored."""
    for item, value in payload.get("answers", {}).items():
        for text in strings([item, value]):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise Unstorable(f"the answer to {item!r} holds a lone surrogate") from None
            if "\x00" in text:
                raise Unstorable(f"the answer to {item!r} holds a NUL character")
    for text in strings({k: v for k, v in payload.items() if k != "answers"}):
        if "\x00" in text or not text.isprintable():
            raise Unstorable("the response's agency or month is not plain text")


def _ready(opened: Sealer, document: Mapping[str, Any], wave_key: bytes) -> _Ready:
    """Open a pending document and check that it can be written; InvalidSubmission when not."""
    try:
        content = opened.open(dict(document))
    except SealBroken as exc:
        raise InvalidSubmission("its sealed document cannot be opened") from exc
    progress = Progress.from_json(content["progress"])
    response_id = progress.response_id or ""
    if not _RESPONSE_ID.fullmatch(response_id):
        raise InvalidSubmission("its response id is not 16 to 64 URL-safe characters")
    payload = payload_for(to_submission(progress), str(content.get("month") or _month(None)))
    _check_storable(payload)
    return _Ready(
        opened.key,
        response_id,
        token_for(wave_key, opened.wave_id, str(content["person"])),
        payload,
        "month" in content,
    )


def _key_and_refusal(
    connection: Connection, wave_id: int, secret: bytes, state_key: str, document: Mapping[str, Any]
) -> tuple[bytes, dict[str, Any], bool] | None:
    """(wave key, the document's content, whether its person's token is already kept), read in one
    transaction; None when the wave has no key. Raises WaveKeyGone, NotFound as wave_key_on does."""
    key = wave_key_on(connection, wave_id, secret, create=False)
    if key is None:
        return None
    content = opener(wave_id, key, state_key).open(dict(document))
    token = token_for(key, wave_id, str(content["person"]))
    return key, content, connection.execute(_TOKENS_IN, {"tokens": [token]}).first() is not None


async def submit(
    db: Database, state_key: str, settings: Settings, *, today: date | None = None
) -> SubmitOutcome:
    """Keep the confirmed response in the sealed survey document at ``state_key`` (module docstring).

    The document must be in status "submitting" with progress.response_id
    chosen once. The month is fixed here (``today``, else now) and sealed into
    the document; a whole batch waiting is flushed. Safe to call again after
    any failure, and twice for the same document. Raises StorageUnavailable
    when the database cannot be reached (call again later: nothing is lost),
    InvalidSubmission for a document that cannot be stored.
    """
    store = StateStore(db)
    secret = settings.secret_bytes()
    for _attempt in range(3):
        item = (await store.read([state_key])).get(state_key)
        if item is None:
            return SubmitOutcome("nothing_to_submit")
        wave_id = int(item.document["wave"])
        read = partial(
            _key_and_refusal, wave_id=wave_id, secret=secret, state_key=state_key, document=item.document
        )
        try:
            found = await db.run(read, read_only=True)
        except (WaveKeyGone, NotFound):
            return SubmitOutcome("wave_closed", wave_id=wave_id)
        if found is None:
            raise InvalidSubmission(f"wave {wave_id} has no key, so this document was not sealed by it")
        key, content, refused = found
        opened = opener(wave_id, key, state_key)
        progress = Progress.from_json(content["progress"])
        if progress.status != "submitting":
            return SubmitOutcome("nothing_to_submit", wave_id=wave_id)
        if refused:
            await store.delete([state_key])
            return SubmitOutcome("already_submitted", kept=False, wave_id=wave_id)
        if "month" not in content or not item.document.get("pending"):
            content["month"] = content.get("month") or _month(today)
            try:
                await store.write({state_key: StateItem(opened.seal(content), item.e_tag)})
            except ETagConflict:
                continue  # a concurrent turn wrote: read again
        flushed = 0
        if await _pending_count(db, wave_id) >= settings.response_batch:
            # Only settled documents: one whose own submit is still running must find it in place.
            flushed = (
                await flush(db, settings.response_batch, secret=secret, wave_id=wave_id, settled_only=True)
            ).moved
        return SubmitOutcome("stored", kept=True, wave_id=wave_id, flushed=flushed)
    raise StorageError("the survey document kept changing while it was submitted")


async def has_submitted(db: Database, wave_id: int, person_id: str, settings: Settings | None = None) -> bool:
    """Whether this person's response is kept for the wave (for reminders: only counts are ever shown).

    True when their token is in a flushed batch or their confirmed document is
    pending. Needs the product secret: from ``settings``, or from
    ``Database.open(url, secret=...)``. Raises WaveKeyGone once the wave has
    closed: nobody can be tested any more.
    """
    secret = settings.secret_bytes() if settings is not None else db.secret
    if secret is None:
        raise StorageError("has_submitted needs settings, or a Database opened with secret=")
    return person_id in await submitted_among(db, wave_id, [person_id], secret)


async def submitted_among(db: Database, wave_id: int, people: Sequence[str], secret: bytes) -> set[str]:
    """Those of ``people`` whose response is kept for the wave: :func:`has_submitted` for many at once.

    One read transaction and two indexed lookups per ``_LOOKUP_CHUNK`` people,
    so invitations and reminders test a whole batch just before sending it.
    Only ever used to leave people out of sends, never stored. Raises
    WaveKeyGone once the wave has closed.
    """
    return await db.run(partial(_submitted_on, wave_id=wave_id, people=people, secret=secret), read_only=True)


# Built once, on the tables (Core): asked on every start of a questionnaire (Database.run).
_TOKENS_T, _STATE_T = table_of(SubmissionTokenRow), table_of(BotStateRow)
_TOKENS_IN = select(_TOKENS_T.c.token).where(_TOKENS_T.c.token.in_(bindparam("tokens", expanding=True)))
_DOCUMENTS_IN = select(_STATE_T.c.key, _STATE_T.c.document).where(
    _STATE_T.c.key.in_(bindparam("keys", expanding=True))
)


def _submitted_on(connection: Connection, wave_id: int, people: Sequence[str], secret: bytes) -> set[str]:
    key = wave_key_on(connection, wave_id, secret, create=False)
    if key is None:
        return set()
    found: set[str] = set()
    for start in range(0, len(people), _LOOKUP_CHUNK):
        chunk = people[start : start + _LOOKUP_CHUNK]
        by_token = {token_for(key, wave_id, person): person for person in chunk}
        tokens = connection.execute(_TOKENS_IN, {"tokens": list(by_token)}).scalars()
        found.update(by_token[token] for token in tokens)
        by_key = {sealer(wave_id, key, person).key: person for person in chunk}
        rows = connection.execute(_DOCUMENTS_IN, {"keys": list(by_key)})
        found.update(by_key[row_key] for row_key, document in rows if document and document.get("pending"))
    return found


async def _pending_count(db: Database, wave_id: int) -> int:
    """Pending documents of the wave (a read, so the common submission costs no extra write)."""
    async with db.transaction(read_only=True) as session:
        documents = await session.scalars(
            select(BotStateRow.document).where(
                BotStateRow.key.startswith(wave_prefix(wave_id), autoescape=True)
            )
        )
        return sum(1 for document in documents if _is_pending(document))


def _is_pending(document: Mapping[str, Any] | None) -> bool:
    return bool(document and document.get("pending") and not document.get("quarantined"))


async def _flush_keys(db: Database, secret: bytes, wave_id: int | None) -> list[tuple[int, bytes]]:
    """(wave id, key) of every wave that still has a key (closed ones too, until close_wave ends)."""
    query = select(WaveKeyRow.wave_id, WaveKeyRow.sealed).order_by(WaveKeyRow.wave_id)
    if wave_id is not None:
        query = query.where(WaveKeyRow.wave_id == wave_id)
    async with db.transaction(read_only=True) as session:
        rows = list(await session.execute(query))
    return [(wave, open_wave_key(wave, sealed, secret)) for wave, sealed in rows]


async def flush(
    db: Database,
    batch: int,
    everything: bool = False,
    *,
    secret: bytes | None = None,
    wave_id: int | None = None,
    rng: random.Random | None = None,
    settled_only: bool = False,
) -> FlushResult:
    """Move pending responses (and their tokens) into their tables, in whole shuffled batches.

    Per wave (only ``wave_id`` when given): a random choice of whole batches of
    ``batch`` when not all go; ``everything`` moves them all (end of a wave).
    ``settled_only`` (a flush made by a submission) leaves out documents whose own
    submission has not finished, so that submission still finds its document.
    A document that cannot be stored is quarantined (kept aside, named by its
    problem in the result) and the rest still go. Needs the product secret
    (``secret``, else the Database's).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    secret = secret if secret is not None else db.secret
    if secret is None:
        raise StorageError("flush needs the product secret")
    result = FlushResult()
    for wave, key in await _flush_keys(db, secret, wave_id):
        job = _WaveFlush(db, wave, key, batch, everything, rng or _system_random, settled_only)
        result += await _flush_wave(job)
    return result


@dataclass(frozen=True)
class _WaveFlush:
    """One wave's flush, as ``flush`` was asked for it (its batches are retried as one)."""

    db: Database
    wave_id: int
    key: bytes
    batch: int
    everything: bool
    rng: random.Random
    settled_only: bool


def _documents_of(wave_id: int) -> Select[tuple[str, Any]]:
    """The state documents of a wave (its pending responses among them)."""
    return select(BotStateRow.key, BotStateRow.document).where(
        BotStateRow.key.startswith(wave_prefix(wave_id), autoescape=True)
    )


async def _flush_wave(job: _WaveFlush) -> FlushResult:
    problems: list[str] = []
    for _attempt in range(3):
        try:
            return await _flush_batch(job, problems)
        except StorageError:
            raise
        except Exception as exc:  # the database refused the batch for a reason no check foresaw
            if unavailable_reason(exc) is not None:
                raise
            log.warning(
                "wave %s: the database refused a batch (%s); trying its documents one by one",
                job.wave_id,
                type(exc).__name__,
            )
            await _find_refused(job, problems)
    return FlushResult(0, tuple(problems))


async def _flush_batch(job: _WaveFlush, problems: list[str]) -> FlushResult:
    wave_id, key, rng = job.wave_id, job.key, job.rng
    async with job.db.transaction() as session:
        # FOR UPDATE (PostgreSQL) makes a concurrent flush wait and then see what is left.
        rows = await session.execute(_documents_of(wave_id).with_for_update())
        ready: list[_Ready] = []
        for state_key, document in rows:
            if not _is_pending(document):
                continue
            try:
                ready.append(_ready(opener(wave_id, key, state_key), document, key))
            except InvalidSubmission as exc:
                await _quarantine(session, state_key, document, wave_id, str(exc), problems)
        if job.settled_only:
            ready = [one for one in ready if one.settled]
        count = len(ready) if job.everything else len(ready) - len(ready) % job.batch
        chosen = rng.sample(ready, count)
        tokens = [{"token": one.token, "wave_id": wave_id} for one in chosen]
        rng.shuffle(tokens)
        await insert_many_if_absent(session, SubmissionTokenRow, tokens)
        await insert_shuffled(session, [(one.response_id, wave_id, one.payload) for one in chosen], rng)
        if chosen:
            await session.execute(delete(BotStateRow).where(BotStateRow.key.in_([one.key for one in chosen])))
        return FlushResult(count, tuple(problems))


async def _quarantine(
    session: Any, state_key: str, document: Mapping[str, Any], wave_id: int, problem: str, problems: list[str]
) -> None:
    """Set a pending document aside (it stays sealed, and goes with the wave key) and say why."""
    await session.execute(
        update(BotStateRow)
        .where(BotStateRow.key == state_key)
        .values(document={**document, "quarantined": True})
    )
    message = f"wave {wave_id}: one confirmed response quarantined, not stored: {problem}"
    problems.append(message)
    log.warning("%s", message)


class _Rollback(Exception):
    """Ends a trial transaction (nothing it wrote is kept)."""


async def _find_refused(job: _WaveFlush, problems: list[str]) -> None:
    """Try each pending document alone, in a transaction always rolled back; quarantine the refused."""
    db, wave_id, key, rng = job.db, job.wave_id, job.key, job.rng
    async with db.transaction(read_only=True) as session:
        rows = list(await session.execute(_documents_of(wave_id)))
    pending = [(state_key, document) for state_key, document in rows if _is_pending(document)]
    rng.shuffle(pending)
    for state_key, document in pending:
        try:
            one = _ready(opener(wave_id, key, state_key), document, key)
            async with db.transaction() as session:
                await insert_shuffled(session, [(one.response_id, wave_id, one.payload)], rng)
                raise _Rollback
        except _Rollback:
            continue
        except StorageError:
            raise
        except Exception as exc:
            if unavailable_reason(exc) is not None:
                raise
            async with db.transaction() as session:
                await _quarantine(
                    session,
                    state_key,
                    document,
                    wave_id,
                    f"the database refused it ({type(exc).__name__})",
                    problems,
                )


@dataclass(frozen=True)
class CloseResult:
    """What ``close_wave`` did: the final flush, and how many unstored documents went with the key."""

    flushed: FlushResult
    shredded: int


async def close_wave(db: Database, wave_id: int, *, secret: bytes | None = None) -> CloseResult:
    """Close the wave: no more submissions, every pending response stored, then the key destroyed.

    In that order, each step safe to repeat: a failure part way (the database
    gone) leaves the wave closed with its key, and running it again finishes.
    A quarantined document cannot stop it: it is destroyed with the key (the
    result counts it). Destroying the key also deletes the wave's tokens and
    every survey document of the wave, which nothing can open any more.
    """
    await mark_closed(db, wave_id)
    flushed = await flush(db, 1, everything=True, secret=secret, wave_id=wave_id)
    async with db.transaction() as session:
        await destroy_wave_key(session, wave_id)
        result = await session.execute(
            delete(BotStateRow).where(BotStateRow.key.startswith(wave_prefix(wave_id), autoescape=True))
        )
    return CloseResult(flushed, affected(result))


async def recover(db: Database, settings: Settings) -> FlushResult:
    """Flush every whole batch waiting (after a crash or a restart); quarantines what cannot be stored."""
    return await flush(db, settings.response_batch, secret=settings.secret_bytes())


async def closed_waves_with_keys(db: Database) -> list[int]:
    """Waves marked closed whose key still exists: a close-wave that has not finished."""
    query = (
        select(WaveRow.id).join(WaveKeyRow, WaveKeyRow.wave_id == WaveRow.id).where(WaveRow.closed.is_(True))
    )
    async with db.transaction(read_only=True) as session:
        return list(await session.scalars(query))
