"""The only I/O of the analysis: a wave from the database to the tidy frame.

Storage hands the wave over column-wise (``storage.responses.read_wave_columns``:
its responses, then its answer rows in chunks, read with the driver's own
cursor); each chunk is turned into typed arrays per item at once, so a big wave
never sits in memory as millions of row objects. ``analysis.frame`` builds the
columns from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.frame import META_COLUMNS, analysed_items, frame_from_items
from storage.agency_summaries import read_summaries
from storage.database import Database
from storage.responses import AnswerColumns, WaveResponses, read_wave_columns
from storage.waves import Wave, get_wave, latest_wave, list_waves, wave_agencies
from surveys.model import Definition


@dataclass(frozen=True)
class WaveData:
    """A wave's responses and what is needed to collate them."""

    wave: Wave
    frame: pd.DataFrame
    agencies: tuple[tuple[str, str, int | None], ...]  # (code, name, headcount) in report order
    previous_wave: Wave | None
    previous: pd.DataFrame | None
    agency_summaries: dict[str, str] = field(default_factory=dict)  # agencies' own, by code


def _values(answers: AnswerColumns) -> pd.Series:
    """The stored value of each answer row: the rating's number, else the text."""
    number = pd.Series(answers.number, dtype=object)
    return pd.Series(answers.value, dtype=object).where(number.isna(), number)


class _Responses:
    """The responses of a wave as a META_COLUMNS frame, from storage's column-wise hand-over."""

    def __init__(self, wave_id: int) -> None:
        self.wave_id = wave_id
        self.meta = pd.DataFrame({key: [] for key in META_COLUMNS})

    def begin(self, responses: WaveResponses) -> None:
        self.meta = pd.DataFrame(
            {
                "response_id": responses.ids,
                "wave": np.full(len(responses.ids), self.wave_id, dtype=np.int64),
                "agency": responses.agency,
                "submitted_month": responses.submitted_month,
            }
        )
        self.position = pd.Index(responses.ids)


class _Long(_Responses):
    """Collects the answers too, one row per answer (``load_long``: for small waves)."""

    def __init__(self, wave_id: int) -> None:
        super().__init__(wave_id)
        self.chunks: list[pd.DataFrame] = []

    def take(self, answers: AnswerColumns) -> None:
        self.chunks.append(
            pd.DataFrame(
                {
                    "response_id": answers.response_id,
                    "item": answers.item,
                    "ordinal": answers.ordinal.astype(np.int64),
                    "value": _values(answers),
                }
            )
        )


class _Columns(_Responses):
    """Keeps each chunk's answers per item as positions, ordinals and values, where the values
    of a choice or rating item are a categorical (codes, not millions of equal strings)."""

    def __init__(self, wave_id: int, definition: Definition) -> None:
        super().__init__(wave_id)
        self.items = {item.id: item for item in analysed_items(definition)}
        self.parts: dict[str, list[tuple[np.ndarray, np.ndarray, object]]] = {}

    def take(self, answers: AnswerColumns) -> None:
        chunk = pd.DataFrame(
            {
                "where": self.position.get_indexer(answers.response_id),
                "item": answers.item,
                "ordinal": answers.ordinal.astype(np.int64),
                "value": _values(answers),
            }
        )
        for item_id, rows in chunk.groupby("item", sort=False):
            item = self.items.get(str(item_id))
            if item is None:
                continue
            values = rows["value"].to_numpy(dtype=object)
            kept = values if item.type == "text" else pd.Categorical(values)
            self.parts.setdefault(item.id, []).append(
                (rows["where"].to_numpy(), rows["ordinal"].to_numpy(), kept)
            )

    def by_item(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per item, positions and values with a list's values in order (ordinals, stably)."""
        out = {}
        for item_id, parts in self.parts.items():
            where = np.concatenate([p[0] for p in parts])
            ordinal = np.concatenate([p[1] for p in parts])
            values = np.concatenate([np.asarray(p[2], dtype=object) for p in parts])
            order = np.argsort(ordinal, kind="stable")
            keep = where[order] >= 0
            out[item_id] = (where[order][keep], values[order][keep])
        return out


async def load_long(db: Database, wave_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses, answers) of one wave, in the layout ``analysis.frame.tidy_frame`` reads."""
    reader = _Long(wave_id)
    await read_wave_columns(db, wave_id, reader)
    columns = ["response_id", "item", "ordinal", "value"]
    answers = pd.concat(reader.chunks, ignore_index=True) if reader.chunks else pd.DataFrame(columns=columns)
    return reader.meta, answers


async def load_frame(
    db: Database, wave_id: int, definition: Definition, agencies: Sequence[str]
) -> pd.DataFrame:
    """The tidy frame of one wave (one row per response, typed columns)."""
    reader = _Columns(wave_id, definition)
    await read_wave_columns(db, wave_id, reader)
    return frame_from_items(reader.meta, reader.by_item(), definition, agencies)


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
