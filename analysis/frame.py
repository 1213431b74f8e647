"""The tidy response frame: one row per response, one typed column per item.

Columns follow the questionnaire definition, so a new item becomes a new
column without code:

- ``response_id``, ``wave`` (int), ``agency`` (ordered categorical of agency
  codes in the partnership's order), ``submitted_month`` ("YYYY-MM");
- single-choice and likert items: ordered categoricals of the choice values;
- rating items: nullable ``Int64``;
- text items: strings (several answers to one item joined with "; ");
- multi-choice items: one nullable boolean column per choice, named by
  :func:`multi_column` (NA when the item was skipped or not shown), so use of
  each choice is a vectorised sum.

The same module turns the frame back into the export layout and into
``Submission`` rows, so the three shapes cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveys.model import Definition, Item
from surveys.turns import Submission

META_COLUMNS = ("response_id", "wave", "agency", "submitted_month")
EXPORT_META = ("agency", "wave", "submitted_month")
JOIN = "; "
AGENCY_ITEM = "agency"


def multi_column(item_id: str, value: str) -> str:
    """Name of the boolean column for one choice of a multi-choice item."""
    return f"{item_id}::{value}"


def choice_values(item: Item, agencies: Sequence[str]) -> list[str]:
    """Stored values of a choice item in the order listed (agency codes for the agency item)."""
    if item.id == AGENCY_ITEM and not item.choices:
        return list(agencies)
    return [choice.value for choice in item.choices]


def analysed_items(definition: Definition) -> tuple[Item, ...]:
    """Items that become columns (the agency item is the ``agency`` meta column)."""
    return tuple(item for item in definition.items if item.id != AGENCY_ITEM)


def empty_long() -> pd.DataFrame:
    """An answers table with no rows, in the layout :func:`tidy_frame` reads."""
    return pd.DataFrame({"response_id": [], "item": [], "ordinal": [], "value": []})


def tidy_frame(
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    definition: Definition,
    agencies: Sequence[str],
) -> pd.DataFrame:
    """Pivot stored rows into the tidy frame.

    ``responses`` has the META_COLUMNS (one row per response); ``answers`` has
    ``response_id``, ``item``, ``ordinal`` and ``value`` (one row per answer,
    one per chosen option of a multi-choice item). Unknown items are ignored.
    """
    position = pd.Index(responses["response_id"].astype("str"))
    answers = answers.sort_values(["item", "ordinal"], kind="stable")
    by_item = {}
    for key, rows in answers.groupby("item", sort=False):
        where = position.get_indexer(rows["response_id"])
        keep = where >= 0
        by_item[key] = (where[keep], rows["value"].to_numpy(dtype=object)[keep])
    return frame_from_items(responses, by_item, definition, agencies)


def frame_from_items(
    responses: pd.DataFrame,
    by_item: Mapping[str, tuple[np.ndarray, np.ndarray]],
    definition: Definition,
    agencies: Sequence[str],
) -> pd.DataFrame:
    """The tidy frame from the responses (META_COLUMNS) and, per item id, the positions of
    the responses that answered it and their values (a list's values in order, several rows
    to one position). Unknown items are ignored."""
    frame = responses.loc[:, list(META_COLUMNS)].reset_index(drop=True)
    frame["response_id"] = frame["response_id"].astype("str")
    frame["wave"] = frame["wave"].astype("int64")
    frame["agency"] = pd.Categorical(frame["agency"], categories=list(agencies), ordered=True)
    frame["submitted_month"] = frame["submitted_month"].astype("str")
    nothing = (np.array([], int), np.array([], object))
    columns: dict[str, Any] = {}
    for item in analysed_items(definition):
        where, values = by_item.get(item.id, nothing)
        columns.update(_item_columns(item, len(frame), where, values, agencies))
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def _item_columns(
    item: Item, size: int, where: np.ndarray, values: np.ndarray, agencies: Sequence[str]
) -> dict[str, Any]:
    if item.type == "multi":
        answered = np.zeros(size, bool)
        answered[where] = True
        out = {}
        for value in choice_values(item, agencies):
            chosen = np.zeros(size, bool)
            chosen[where[values == value]] = True
            out[multi_column(item.id, value)] = pd.arrays.BooleanArray(chosen, ~answered)
        return out
    if item.type == "rating":
        column = pd.array([pd.NA] * size, dtype="Int64")
        column[where] = pd.array([int(v) for v in values], dtype="Int64")
        return {item.id: column}
    if item.type == "text":
        text = pd.Series([None] * size, dtype="object")
        values = values.astype(str)
        several = pd.Index(where).duplicated(keep=False)  # most people give one answer: no join
        text.iloc[where[~several]] = values[~several]
        joined = pd.Series(values[several]).groupby(where[several], sort=False).agg(JOIN.join)
        text.iloc[joined.index.to_numpy()] = joined.to_numpy()
        return {item.id: text.astype("str").where(text.notna())}
    categories = choice_values(item, agencies)
    codes = np.full(size, -1, dtype=np.int16)
    codes[where] = pd.Index(categories).get_indexer(values.astype(str))
    return {item.id: pd.Categorical.from_codes(codes, categories=categories, ordered=True)}


def long_from_answers(rows: Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split plain response dicts into the (responses, answers) tables :func:`tidy_frame` reads.

    Each dict has the META_COLUMNS plus item ids mapped to stored values (a
    tuple for multi-choice or several text answers; None when skipped). This
    is how tests and the demo data describe responses by hand.
    """
    meta: list[dict[str, Any]] = []
    long: list[tuple[str, str, int, Any]] = []
    for row in rows:
        meta.append({key: row[key] for key in META_COLUMNS})
        for key, value in row.items():
            if key in META_COLUMNS or value is None:
                continue
            parts = value if isinstance(value, tuple | list) else (value,)
            long.extend((row["response_id"], key, n, part) for n, part in enumerate(parts))
    responses = pd.DataFrame(meta, columns=list(META_COLUMNS))
    answers = pd.DataFrame(long, columns=["response_id", "item", "ordinal", "value"])
    return responses, answers if long else empty_long()


def frame_from_answers(
    rows: Iterable[Mapping[str, Any]], definition: Definition, agencies: Sequence[str]
) -> pd.DataFrame:
    """Tidy frame from plain response dicts (see :func:`long_from_answers`)."""
    responses, answers = long_from_answers(rows)
    return tidy_frame(responses, answers, definition, agencies)


def multi_labels(frame: pd.DataFrame, item: Item, agencies: Sequence[str]) -> pd.Series:
    """A multi-choice item as text: chosen labels joined with "; " in the listed order, NA if unanswered."""
    values = choice_values(item, agencies)
    labels = {choice.value: choice.label for choice in item.choices}
    chosen = frame[[multi_column(item.id, v) for v in values]].fillna(False).to_numpy(bool)
    names = np.array([labels.get(v, v) for v in values], dtype=object)
    joined = [JOIN.join(names[row]) for row in chosen]
    answered = frame[multi_column(item.id, values[0])].notna().to_numpy() if values else chosen.any(1)
    return pd.Series(joined, index=frame.index, dtype="str").where(answered)


def export_frame(frame: pd.DataFrame, definition: Definition, agencies: Sequence[str]) -> pd.DataFrame:
    """One row per response, one column per item id, plus agency, wave and submitted_month.

    Choice items show their stored value (the exact label; the agency code),
    ratings are integers, multi-choice labels are joined with "; " in the
    listed order, and an item that was skipped or not shown is empty (NA).
    """
    out = pd.DataFrame({key: frame[key] for key in EXPORT_META}, index=frame.index)
    out["agency"] = out["agency"].astype("str")
    for item in analysed_items(definition):
        if item.type == "multi":
            out[item.id] = multi_labels(frame, item, agencies)
        elif item.type in {"single", "likert"}:
            out[item.id] = frame[item.id].astype("str").where(frame[item.id].notna())
        else:
            out[item.id] = frame[item.id]
    return out.reset_index(drop=True)


def submissions(
    frame: pd.DataFrame, definition: Definition, agencies: Sequence[str]
) -> Iterator[tuple[Submission, str]]:
    """Each row of the frame as (Submission, submitted_month), for bulk insert through storage."""
    items = analysed_items(definition)
    plain = {
        item.id: frame[item.id].astype(object).where(frame[item.id].notna(), None).tolist()
        for item in items
        if item.type != "multi"
    }
    multi = {}
    for item in items:
        if item.type == "multi":
            values = choice_values(item, agencies)
            chosen = frame[[multi_column(item.id, v) for v in values]].to_numpy(dtype=object)
            multi[item.id] = [
                None if row[0] is pd.NA else tuple(v for v, hit in zip(values, row, strict=True) if hit)
                for row in chosen
            ]
    agency = frame["agency"].astype(str).tolist()
    months = frame["submitted_month"].tolist()
    for n in range(len(frame)):
        answers: dict[str, Any] = {AGENCY_ITEM: agency[n]}
        for item in items:
            if item.type == "multi":
                answers[item.id] = multi[item.id][n]
                continue
            value = plain[item.id][n]
            answers[item.id] = int(value) if item.type == "rating" and value is not None else value
        yield Submission(definition.id, definition.version, agency[n], answers), months[n]
