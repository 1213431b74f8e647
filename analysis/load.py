"""The only I/O of the analysis: one query per wave from the database to the tidy frame.

It reads the response and answer tables through storage's ORM models (the
tables are storage's; this module only selects), joined in one query and
pivoted in pandas by ``analysis.frame.tidy_frame``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from analysis.frame import META_COLUMNS, tidy_frame
from storage.agency_summaries import read_summaries
from storage.database import Database
from storage.models import AnswerRow, ResponseRow
from storage.waves import Wave, get_wave, latest_wave, list_waves, wave_agencies
from surveys.model import Definition

CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class WaveData:
    """A wave's responses and what is needed to collate them."""

    wave: Wave
    frame: pd.DataFrame
    agencies: tuple[tuple[str, str, int | None], ...]  # (code, name, headcount) in report order
    previous_wave: Wave | None
    previous: pd.DataFrame | None
    agency_summaries: dict[str, str] = field(default_factory=dict)  # agencies' own, by code


async def load_long(db: Database, wave_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses, answers) of one wave, in the layout ``analysis.frame.tidy_frame`` reads."""
    query = (
        select(
            ResponseRow.id,
            ResponseRow.agency,
            ResponseRow.submitted_month,
            AnswerRow.item_id,
            AnswerRow.ordinal,
            AnswerRow.value,
            AnswerRow.number,
        )
        .outerjoin(AnswerRow, AnswerRow.response_id == ResponseRow.id)
        .where(ResponseRow.wave_id == wave_id)
    )
    columns = ["response_id", "agency", "submitted_month", "item", "ordinal", "value", "number"]
    chunks = []
    async with db.transaction() as session:
        result = await session.stream(query)
        async for rows in result.partitions(CHUNK_ROWS):  # bounded memory for big waves
            chunks.append(pd.DataFrame(rows, columns=columns))
    long = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=columns)
    responses = long.drop_duplicates("response_id").assign(wave=wave_id)[list(META_COLUMNS)]
    answers = long[long["item"].notna()]
    value = answers["value"].astype(object).where(answers["number"].isna(), answers["number"].astype(object))
    answers = pd.DataFrame(
        {
            "response_id": answers["response_id"],
            "item": answers["item"],
            "ordinal": answers["ordinal"].astype("int64"),
            "value": value,
        }
    )
    return responses.reset_index(drop=True), answers.reset_index(drop=True)


async def load_frame(
    db: Database, wave_id: int, definition: Definition, agencies: Sequence[str]
) -> pd.DataFrame:
    """The tidy frame of one wave (one row per response, typed columns)."""
    responses, answers = await load_long(db, wave_id)
    return tidy_frame(responses, answers, definition, agencies)


async def resolve_wave(db: Database, wave_id: int | None, questionnaire: str) -> Wave:
    """The wave asked for, or the latest live wave of ``questionnaire`` (the latest demonstration
    wave when there is no live one); LookupError when there is none."""
    if wave_id is not None:
        wave = await get_wave(db, wave_id)
    else:
        wave = await latest_wave(db, questionnaire) or await latest_wave(db, questionnaire, demo=True)
    if wave is None:
        raise LookupError(f"no wave {wave_id}" if wave_id is not None else f"no '{questionnaire}' wave yet")
    return wave


async def load_wave_data(
    db: Database, wave: Wave, definition: Definition, order: Sequence[str] = ()
) -> WaveData:
    """A wave's frame plus its agencies (partnership ``order`` first) and the previous wave's frame."""
    listed = await wave_agencies(db, wave.id)
    rank = {code: n for n, code in enumerate(order)}
    agencies = tuple(sorted(listed, key=lambda a: (rank.get(a[0], len(rank)), a[0])))
    codes = [code for code, _, _ in agencies]
    frame = await load_frame(db, wave.id, definition, codes)
    # a demonstration wave is compared with the demonstration wave before it, a live wave with a live one
    waves = await list_waves(db, wave.questionnaire, demo=wave.demo)
    earlier = [w for w in waves if (w.opens, w.id) < (wave.opens, wave.id)]
    previous_wave = earlier[-1] if earlier else None
    previous = await load_frame(db, previous_wave.id, definition, codes) if previous_wave else None
    summaries = await read_summaries(db, wave.id)
    return WaveData(wave, frame, agencies, previous_wave, previous, summaries)
