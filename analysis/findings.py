"""Key findings of a collated return, computed from the Summary (pure): what page one of a report says.

The numbers are worked out here; the words are the template's
(analysis/templates/), so a board can reword page one without touching code.
An agency is compared with the rest of the partnership (everyone else), not
with a partnership that contains it, so the test compares two independent
groups: a two-proportion z-test for shares, a z-test on means for ratings,
each with the 95% interval of the difference. Nothing here reads a figure
that the Summary has blanked, so a suppressed figure cannot reach page one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.summaries import PARTNERSHIP, TARGET_RATE, Summary, comparison_table

TOP = 3  # themes named on page one
MOST = 4  # significant differences (and changes) named on page one, largest first
TEST_NAME = "two-proportion z-test, or z-test on means for ratings, with the 95% interval of the difference"


def is_headline(measure: str) -> bool:
    """The board's listed measures and mean ratings (generated agree/use measures are detail)."""
    return not measure.startswith(("agree:", "use:"))


def versus_rest(summary: Summary, agency: str) -> pd.DataFrame:
    """Each of the agency's figures beside the rest of the partnership (everyone else).

    Columns: measure, label, unit, value (agency), rest, difference (agency
    minus rest, points), ci_low, ci_high, p_value, significant, suppressed.
    A suppressed agency figure (or partnership figure) leaves the row blank.
    Computed once per summary and agency (the table returned is shared: do not change it).
    """
    key = ("versus_rest", agency)
    if key not in summary.derived:
        summary.derived[key] = _versus_rest(summary, agency)
    return summary.derived[key]


def _versus_rest(summary: Summary, agency: str) -> pd.DataFrame:
    figures = summary.figures
    mine = figures[figures["group"] == agency].set_index("measure")
    everyone = figures[figures["group"] == PARTNERSHIP].set_index("measure").reindex(mine.index)
    share = (mine["unit"] == "%").to_numpy()
    n_a = mine["base"].to_numpy(float, na_value=np.nan)
    n_p = everyone["base"].to_numpy(float, na_value=np.nan)
    v_a = mine["value"].to_numpy(float, na_value=np.nan)
    v_p = everyone["value"].to_numpy(float, na_value=np.nan)
    sd_a = mine["sd"].to_numpy(float, na_value=np.nan)
    sd_p = everyone["sd"].to_numpy(float, na_value=np.nan)
    n_r = n_p - n_a
    with np.errstate(invalid="ignore", divide="ignore"):
        v_r = (v_p * n_p - v_a * n_a) / n_r
        # ratings: the rest's spread from both groups' sums of squares
        square_r = ((sd_p**2 + v_p**2) * n_p - (sd_a**2 + v_a**2) * n_a) / n_r
        sd_r = np.where(share, np.nan, np.sqrt(np.maximum(square_r - v_r**2, 0.0)))
    usable = n_r > 0
    rest = pd.DataFrame(
        {
            "group": agency,
            "measure": mine.index,
            "value": pd.array(np.where(usable, v_r, np.nan), dtype="Float64"),
            "base": pd.array(np.where(usable, n_r, np.nan), dtype="Float64"),
            "sd": pd.array(sd_r, dtype="Float64"),
            "suppressed": (mine["suppressed"] | everyone["suppressed"].fillna(True)).to_numpy(bool),
            "reason": mine["reason"].to_numpy(),
        }
    )
    rest["value"] = rest["value"].fillna(pd.NA)
    rest["base"] = rest["base"].fillna(pd.NA)
    compared = comparison_table(mine.reset_index(), rest)
    return compared.rename(columns={"previous": "rest", "change": "difference"}).drop(columns=["group", "z"])


@dataclass(frozen=True)
class Figure:
    """One figure as page one states it."""

    label: str
    of: str
    unit: str
    value: float
    count: int | None
    base: int
    partnership: float | None = None


@dataclass(frozen=True)
class Difference:
    """A figure that differs from a comparison beyond chance (rest of partnership, or last wave)."""

    label: str
    unit: str
    value: float
    other: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class Theme:
    label: str
    count: int
    percent: float
    base: int


@dataclass(frozen=True)
class Hidden:
    """What suppression hid for one group: the group itself, or some of its figures."""

    group: str
    reason: str  # "too_few" or "cover" for a whole agency; "" when only some figures are hidden
    figures: int  # headline figures hidden (all of them for a hidden agency)


@dataclass(frozen=True)
class KeyFindings:
    group: str
    responses: int | None
    headcount: int | None
    rate: float | None
    target: float
    target_met: bool | None
    reason: str  # the group's own suppression reason ("" when shown)
    headlines: tuple[Figure, ...]
    above: tuple[Difference, ...]
    below: tuple[Difference, ...]
    rises: tuple[Difference, ...]
    falls: tuple[Difference, ...]
    previous_wave: int | None
    themes: tuple[Theme, ...]
    theme_base: int | None
    hidden: tuple[Hidden, ...]
    below_target: tuple[str, ...] = ()  # partnership report: agencies under the target
    met_target: int = 0


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _integer(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _differences(table: pd.DataFrame, value: str, other: str, change: str) -> list[Difference]:
    rows = table[table["significant"].fillna(False).astype(bool)]
    rows = rows.reindex(rows[change].abs().sort_values(ascending=False).index)
    return [
        Difference(
            str(r["label"]),
            str(r["unit"]),
            float(r[value]),
            float(r[other]),
            float(r[change]),
            float(r["ci_low"]),
            float(r["ci_high"]),
            float(r["p_value"]),
        )
        for _, r in rows.iterrows()
    ]


def _split(found: list[Difference]) -> tuple[tuple[Difference, ...], tuple[Difference, ...]]:
    return (
        tuple(d for d in found if d.difference > 0)[:MOST],
        tuple(d for d in found if d.difference < 0)[:MOST],
    )


def _themes(summary: Summary, group: str) -> tuple[tuple[Theme, ...], int | None]:
    themes = summary.themes
    if themes.empty or "rank" not in themes:
        return (), None
    rows = themes[(themes["group"] == group) & themes["rank"].notna()].sort_values("rank").head(TOP)
    base = themes.loc[themes["group"] == group, "base"]
    top = tuple(
        Theme(str(r["label"]), int(r["count"]), float(r["percent"]), int(r["base"]))
        for _, r in rows.iterrows()
    )
    return top, _integer(base.iloc[0]) if len(base) else None


def _hidden(summary: Summary, groups: list[str]) -> tuple[Hidden, ...]:
    responses = summary.responses.set_index("group")
    figures = summary.figures[summary.figures["measure"].map(is_headline)]
    out = []
    for group in groups:
        own = figures[figures["group"] == group]
        reason = str(responses.loc[group, "reason"]) if group in responses.index else ""
        count = int(own["suppressed"].sum())
        if reason or count:
            out.append(Hidden(group, reason, count))
    return tuple(out)


def key_findings(summary: Summary, group: str) -> KeyFindings:
    """Page one of ``group``'s report (an agency, or PARTNERSHIP for the board's report).

    ``summary`` is what the reader may see: ``summary.for_agency(code)`` for an agency lead.
    """
    responses = summary.responses.set_index("group")
    own = responses.loc[group]
    figures = summary.figures
    mine = figures[(figures["group"] == group) & figures["measure"].map(is_headline)]
    everyone = figures[figures["group"] == PARTNERSHIP].set_index("measure")["value"]
    headlines = tuple(
        Figure(
            str(r["label"]),
            str(r["of"]),
            str(r["unit"]),
            float(r["value"]),
            _integer(r["count"]),
            int(r["base"]),
            None if group == PARTNERSHIP else _number(everyone.get(r["measure"])),
        )
        for _, r in mine.iterrows()
        if not r["suppressed"] and pd.notna(r["value"])
    )
    above: tuple[Difference, ...] = ()
    below: tuple[Difference, ...] = ()
    if group != PARTNERSHIP:
        above, below = _split(_differences(versus_rest(summary, group), "value", "rest", "difference"))
    rises: tuple[Difference, ...] = ()
    falls: tuple[Difference, ...] = ()
    if not summary.comparison.empty:
        changes = summary.comparison[summary.comparison["group"] == group]
        rises, falls = _split(_differences(changes, "value", "previous", "change"))
    themes, theme_base = _themes(summary, group)
    agencies = [g for g in summary.groups if g != PARTNERSHIP]
    rated = responses.loc[agencies]
    rated = rated[rated["rate"].notna()]
    return KeyFindings(
        group=group,
        responses=_integer(own["responses"]),
        headcount=_integer(own["headcount"]),
        rate=_number(own["rate"]),
        target=TARGET_RATE,
        target_met=None if pd.isna(own["target_met"]) else bool(own["target_met"]),
        reason=str(own["reason"]),
        headlines=headlines,
        above=above,
        below=below,
        rises=rises,
        falls=falls,
        previous_wave=summary.previous_wave,
        themes=themes,
        theme_base=theme_base,
        hidden=_hidden(summary, [*agencies, PARTNERSHIP] if group == PARTNERSHIP else [group]),
        below_target=tuple(rated.index[~rated["target_met"].astype(bool)]) if group == PARTNERSHIP else (),
        met_target=int(rated["target_met"].astype(bool).sum()) if group == PARTNERSHIP else 0,
    )


def league_table(summary: Summary, names: Mapping[str, str]) -> list[dict[str, object]]:
    """The partnership report's league table: per agency, response rate and each listed measure,
    with how it compares with the rest of the partnership ("above", "below", "similar", or the
    suppression reason). Rows in descending order of response rate; hidden agencies last."""
    responses = summary.responses.set_index("group")
    listed = [m for m in dict.fromkeys(summary.figures["measure"]) if is_headline(m)]
    rows: list[dict[str, Any]] = []
    for agency in (g for g in summary.groups if g != PARTNERSHIP):
        row = responses.loc[agency]
        compared = versus_rest(summary, agency).set_index("measure")
        cells = []
        for measure in listed:
            c = compared.loc[measure]
            if c["suppressed"]:
                cells.append({"value": None, "unit": c["unit"], "mark": "hidden", "reason": c["reason"]})
                continue
            significant = bool(c["significant"]) if pd.notna(c["significant"]) else False
            mark = ("above" if c["difference"] > 0 else "below") if significant else "similar"
            cells.append({"value": _number(c["value"]), "unit": c["unit"], "mark": mark, "reason": ""})
        rows.append(
            {
                "code": agency,
                "name": names.get(agency, agency),
                "responses": _integer(row["responses"]),
                "headcount": _integer(row["headcount"]),
                "rate": _number(row["rate"]),
                "target_met": None if pd.isna(row["target_met"]) else bool(row["target_met"]),
                "reason": str(row["reason"]),
                "cells": cells,
            }
        )
    rows.sort(key=lambda r: (bool(r["reason"]), -(r["rate"] if r["rate"] is not None else -1.0)))
    return rows
