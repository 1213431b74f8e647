"""The anonymous response table: what a response looks like stored, and moving rows into it shuffled.

A response keeps its agency, the two role bands (``works_with`` and
``role_level`` answers) and the submission month; each answer is one row per
value (see storage.models.AnswerRow). Rows always go in as a shuffled batch.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import AnswerRow, ResponseRow
from storage.upsert import insert_many_if_absent
from surveys.turns import AnswerValue, Submission

ROLE_BANDS = ("works_with", "role_level")
ANSWER_CHUNK = 200_000  # answer rows handed over at a time when a whole wave is read
_system_random = random.SystemRandom()


@dataclass(frozen=True)
class StoredResponse:
    """One response as read back: ``answers`` holds only the items that have a value."""

    id: str
    wave_id: int
    agency: str
    works_with: str | None
    role_level: str | None
    submitted_month: str
    answers: Mapping[str, AnswerValue]


def new_response_id() -> str:
    """A random response id (128 bits, hex): never sequential, says nothing about who or when."""
    return secrets.token_hex(16)


def payload_for(submission: Submission, month: str) -> dict[str, Any]:
    """The JSON a staged response keeps: agency, month and the answers that have values."""
    answers = {
        item: list(value) if isinstance(value, tuple | list) else value
        for item, value in submission.answers.items()
        if value is not None
    }
    return {"agency": submission.agency, "month": month, "answers": answers}


def _band(answers: Mapping[str, Any], item: str) -> str | None:
    value = answers.get(item)
    return value if isinstance(value, str) else None


def _cell(value: Any) -> dict[str, Any]:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"value": None, "number": value}
    return {"value": str(value), "number": None}


def rows_for(
    response_id: str, wave_id: int, payload: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The response row and its answer rows for one staged payload."""
    answers: Mapping[str, Any] = payload["answers"]
    response = {
        "id": response_id,
        "wave_id": wave_id,
        "agency": payload["agency"],
        "submitted_month": payload["month"],
        **{band: _band(answers, band) for band in ROLE_BANDS},
    }
    cells: list[dict[str, Any]] = []
    for item, value in answers.items():
        values = list(enumerate(value, start=1)) if isinstance(value, list) else [(0, value)]
        cells.extend(
            {"response_id": response_id, "item_id": item, "ordinal": ordinal, **_cell(one)}
            for ordinal, one in values
        )
    return response, cells


async def insert_shuffled(
    session: AsyncSession,
    staged: Sequence[tuple[str, int, Mapping[str, Any]]],
    rng: random.Random | None = None,
) -> None:
    """Insert (id, wave id, payload) responses in a random order, skipping ids already stored."""
    order = list(staged)
    (rng or _system_random).shuffle(order)
    responses, cells = [], []
    for response_id, wave_id, payload in order:
        response, answer_cells = rows_for(response_id, wave_id, payload)
        responses.append(response)
        cells.extend(answer_cells)
    await insert_many_if_absent(session, ResponseRow, responses)
    await insert_many_if_absent(session, AnswerRow, cells)


async def add_responses(
    db: Database, wave_id: int, rows: Iterable[tuple[Submission, str]], rng: random.Random | None = None
) -> int:
    """Bulk-insert (submission, "YYYY-MM") pairs straight into the response table, shuffled.

    For demo data and benchmarks: it bypasses tokens and staging, so it must
    never be used for a real person's submission. Returns how many were added.
    """
    staged = [(new_response_id(), wave_id, payload_for(sub, month)) for sub, month in rows]
    async with db.transaction() as session:
        await insert_shuffled(session, staged, rng)
    return len(staged)


async def read_responses(db: Database, wave_id: int | None = None) -> list[StoredResponse]:
    """Every stored response (of one wave when given) with its answers, ordered by id."""
    query = select(ResponseRow).order_by(ResponseRow.id)
    cells = select(AnswerRow).order_by(AnswerRow.response_id, AnswerRow.item_id, AnswerRow.ordinal)
    if wave_id is not None:
        query = query.where(ResponseRow.wave_id == wave_id)
        cells = cells.join(ResponseRow, ResponseRow.id == AnswerRow.response_id).where(
            ResponseRow.wave_id == wave_id
        )
    async with db.transaction(read_only=True) as session:
        responses = list(await session.scalars(query))
        answers: dict[str, dict[str, Any]] = {}
        for cell in await session.scalars(cells):
            value = cell.number if cell.number is not None else cell.value
            items = answers.setdefault(cell.response_id, {})
            if cell.ordinal == 0:
                items[cell.item_id] = value
            else:
                items[cell.item_id] = (*items.get(cell.item_id, ()), value)
    return [
        StoredResponse(
            row.id,
            row.wave_id,
            row.agency,
            row.works_with,
            row.role_level,
            row.submitted_month,
            answers.get(row.id, {}),
        )
        for row in responses
    ]


@dataclass(frozen=True)
class WaveResponses:
    """A wave's responses column-wise (same positions in each list), in no particular order."""

    ids: list[str]
    agency: list[str]
    submitted_month: list[str]


@dataclass(frozen=True)
class AnswerColumns:
    """Some of a wave's answer rows column-wise: the response's id, the item, the ordinal
    (0 a single value, 1.. the values of a list in order), and the stored value: ``number``
    for a rating (``value`` None), else ``value`` (``number`` None)."""

    response_id: np.ndarray
    item: np.ndarray
    ordinal: np.ndarray
    value: np.ndarray
    number: np.ndarray

    @classmethod
    def of(cls, batch: Sequence[Sequence[Any]]) -> AnswerColumns:
        """Columns (object arrays) of driver rows; numpy makes them in one pass, in C."""
        rows = np.array(batch, dtype=object)
        return cls(*(rows[:, n] for n in range(5)))


class WaveReader(Protocol):
    """What :func:`read_wave_columns` hands a wave to: first its responses, then its answers."""

    def begin(self, responses: WaveResponses) -> None: ...

    def take(self, answers: AnswerColumns) -> None: ...


_WAVE_RESPONSES = "SELECT id, agency, submitted_month FROM responses WHERE wave_id = {p}"
_WAVE_ANSWERS = (
    "SELECT a.response_id, a.item_id, a.ordinal, a.value, a.number"
    " FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.wave_id = {p}"
)


async def read_wave_columns(
    db: Database, wave_id: int, reader: WaveReader, chunk: int = ANSWER_CHUNK
) -> None:
    """Hand a whole wave to ``reader``: its responses, then its answers ``chunk`` rows at a time.

    For analysis of whole waves (a million responses is about nineteen million
    answer rows). It reads with the database driver's own cursor in one
    read-only transaction, so the only per-row objects are the driver's tuples,
    and the reader can turn each chunk into typed arrays before the next comes.
    """
    p = "$1" if db.dialect == "postgresql" else "?"
    async with db.transaction(read_only=True) as session:
        connection = await session.connection()
        driver: Any = (await connection.get_raw_connection()).driver_connection
        if db.dialect == "postgresql":
            # SQLAlchemy opens the driver's transaction at its first statement; a cursor needs one
            await connection.exec_driver_sql("SELECT 1")
            reader.begin(_responses(await driver.fetch(_WAVE_RESPONSES.format(p=p), wave_id)))
            cursor = await driver.cursor(_WAVE_ANSWERS.format(p=p), wave_id)
            while batch := await cursor.fetch(chunk):
                reader.take(AnswerColumns.of(batch))
        else:
            async with driver.execute(_WAVE_RESPONSES.format(p=p), (wave_id,)) as found:
                reader.begin(_responses(await found.fetchall()))
            async with driver.execute(_WAVE_ANSWERS.format(p=p), (wave_id,)) as found:
                while batch := await found.fetchmany(chunk):
                    reader.take(AnswerColumns.of(batch))


def _responses(rows: Sequence[Sequence[Any]]) -> WaveResponses:
    ids, agency, month = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    return WaveResponses(ids, agency, month)


async def count_by_agency(db: Database, wave_id: int) -> dict[str, int]:
    """Number of stored responses per agency code in one wave (staged ones are not counted)."""
    query = (
        select(ResponseRow.agency, func.count())
        .where(ResponseRow.wave_id == wave_id)
        .group_by(ResponseRow.agency)
    )
    async with db.transaction(read_only=True) as session:
        return {agency: count for agency, count in await session.execute(query)}
