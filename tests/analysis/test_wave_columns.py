"""The column-wise wave loader gives the same frame as pivoting the stored rows one by one.

The hand-made responses in tests/analysis/conftest.py (skips, conditions not
met, multi-choice, ratings, free text) plus one response with several free-text
answers go in through storage; ``load_frame`` (storage's bulk read, chunk by
chunk) must give exactly the frame ``tidy_frame`` makes from the same answers.
Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pandas.testing import assert_frame_equal

from analysis.frame import frame_from_answers
from analysis.load import load_frame, load_long
from storage.responses import AnswerColumns, WaveResponses, add_responses, read_responses, read_wave_columns
from storage.waves import create_wave
from surveys.turns import Submission
from tests.analysis.conftest import AGENCIES, HAND_ROWS, SMALL

SEVERAL_TEXTS = {
    **HAND_ROWS[0],
    "response_id": "r-several",
    "change": ("less paperwork", "more staff", "a; semicolon"),
}
ROWS = (*HAND_ROWS, SEVERAL_TEXTS)


def _submission(row: dict) -> tuple[Submission, str]:
    answers = {
        key: value for key, value in row.items() if key not in {"response_id", "wave", "submitted_month"}
    }
    answers["agency"] = row["agency"]
    return Submission(SMALL.id, SMALL.version, row["agency"], answers), row["submitted_month"]


def _by_content(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored ids are new random ones, so rows are compared by everything else."""
    rest = frame.drop(columns=["response_id"])
    order = rest.astype("str").apply(tuple, axis=1).sort_values().index
    return rest.loc[order].reset_index(drop=True)


class Recorder:
    def __init__(self) -> None:
        self.responses: WaveResponses | None = None
        self.chunks: list[AnswerColumns] = []

    def begin(self, responses: WaveResponses) -> None:
        self.responses = responses

    def take(self, answers: AnswerColumns) -> None:
        self.chunks.append(answers)


async def _wave_with_rows(db):
    wave = await create_wave(db, SMALL.id, SMALL.version, date(2026, 5, 1), date(2026, 6, 1), ())
    await add_responses(db, wave.id, [_submission(dict(row)) for row in ROWS])
    return wave


async def test_the_bulk_loader_gives_the_frame_of_the_stored_answers(db):
    wave = await _wave_with_rows(db)
    loaded = await load_frame(db, wave.id, SMALL, AGENCIES)
    expected = frame_from_answers([{**row, "wave": wave.id} for row in ROWS], SMALL, AGENCIES)
    assert loaded.dtypes.equals(expected.dtypes)
    assert_frame_equal(_by_content(loaded), _by_content(expected))
    several = loaded.loc[loaded["change"].str.contains("semicolon", na=False), "change"]
    assert several.tolist() == ["less paperwork; more staff; a; semicolon"]


async def test_a_wave_is_handed_over_in_chunks_with_every_stored_answer(db):
    wave = await _wave_with_rows(db)
    other = await create_wave(db, SMALL.id, SMALL.version, date(2025, 5, 1), date(2025, 6, 1), ())
    await add_responses(db, other.id, [_submission(dict(HAND_ROWS[0]))])
    recorder = Recorder()
    await read_wave_columns(db, wave.id, recorder, chunk=4)
    assert recorder.responses is not None
    assert len(recorder.responses.ids) == len(ROWS)
    assert all(len(chunk.item) <= 4 for chunk in recorder.chunks)
    assert len(recorder.chunks) > 2
    handed = {
        (rid, item, int(ordinal), number if number is not None else value)
        for chunk in recorder.chunks
        for rid, item, ordinal, value, number in zip(
            chunk.response_id, chunk.item, chunk.ordinal, chunk.value, chunk.number, strict=True
        )
    }
    stored = set()
    for response in await read_responses(db, wave.id):
        for item, value in response.answers.items():
            values = enumerate(value, start=1) if isinstance(value, tuple) else [(0, value)]
            stored.update((response.id, item, ordinal, one) for ordinal, one in values)
    assert handed == stored


async def test_an_empty_wave_loads_as_an_empty_frame(db):
    wave = await create_wave(db, SMALL.id, SMALL.version, date(2026, 5, 1), date(2026, 6, 1), ())
    frame = await load_frame(db, wave.id, SMALL, AGENCIES)
    assert frame.empty
    assert frame.dtypes.equals(frame_from_answers([], SMALL, AGENCIES).dtypes)
    responses, answers = await load_long(db, wave.id)
    assert responses.empty
    assert answers.empty
