"""Collated figures per agency and for the partnership, from the tidy frame (pure).

Everything rests on one count per item: an (agencies x values) table made
with a single ``np.bincount`` over the categorical codes. Distributions,
headline measures, theme counts and their suppression all derive from those
tables, so each figure and its base come from the same numbers and 1,000,000
responses take one pass per item. Nothing here prints or changes its input.

Every table has ``group`` (an agency code, or PARTNERSHIP for everyone),
``count`` beside ``percent`` and the ``base`` they are of, and ``suppressed``;
a suppressed row has its numbers blanked (NA), never just flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.frame import analysed_items, choice_values, multi_column
from analysis.measures import Measure
from analysis.suppression import REASON_KEYS, SHOWN, TOO_FEW, suppressed_total, suppression_reasons
from analysis.targets import load_targets
from analysis.themes import Codebook
from surveys.model import Definition, Item
from surveys.redaction import redact

PARTNERSHIP = "ALL"
QUOTES = 3
QUOTE_CHARS = 220
TARGET_RATE = load_targets().response_rate_percent  # responses from at least this % of frontline staff
Z_95 = 1.959963984540054

FIGURE_COLUMNS = [
    "group",
    "measure",
    "label",
    "of",
    "count",
    "base",
    "value",
    "unit",
    "sd",
    "suppressed",
    "reason",
]


@dataclass(frozen=True)
class Counts:
    """Counts of one item: ``counts[g, k]`` people of agency g gave value k; ``base[g]`` answered.

    For a multi-choice item (or themes) one person may count under several values."""

    item: str
    values: tuple[str, ...]
    labels: tuple[str, ...]
    counts: np.ndarray
    base: np.ndarray


@dataclass(frozen=True)
class Summary:
    """The collated return of one wave: every table an output needs."""

    wave: int
    min_group_size: int
    groups: tuple[str, ...]
    responses: pd.DataFrame
    figures: pd.DataFrame
    distributions: pd.DataFrame
    themes: pd.DataFrame
    comparison: pd.DataFrame
    previous_wave: int | None = None
    min_quote_size: int = 0
    demo: bool = False
    # each agency's own summary of its findings, sent back to the board by its lead (by agency code)
    agency_summaries: Mapping[str, str] = field(default_factory=dict)
    # tables derived from this summary, computed once each (e.g. an agency against the rest of the
    # partnership, which the partnership's report needs for its league table and each agency's
    # page); a cut of the summary (for_agency) starts empty
    derived: dict[object, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    def for_agency(self, agency: str) -> Summary:
        """Only this agency's rows and the partnership's (what that agency's lead may see)."""
        keep = {agency, PARTNERSHIP}

        def only(table: pd.DataFrame) -> pd.DataFrame:
            return table[table["group"].isin(keep)].reset_index(drop=True)

        return replace(
            self,
            groups=tuple(g for g in self.groups if g in keep),
            responses=only(self.responses),
            figures=only(self.figures),
            distributions=only(self.distributions),
            themes=only(self.themes),
            comparison=only(self.comparison),
            agency_summaries={k: v for k, v in self.agency_summaries.items() if k == agency},
        )


@dataclass(frozen=True)
class Groups:
    """Each row's agency as a bin number; rows without a known agency go to an extra last bin."""

    codes: np.ndarray
    count: int

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Groups:
        agency = frame["agency"].cat
        n = len(agency.categories)
        codes = agency.codes.to_numpy(np.int64)
        return cls(np.where(codes < 0, n, codes), n)

    def tally(self, codes: np.ndarray, n_values: int) -> np.ndarray:
        """(agencies x values) counts of ``codes`` (-1 = no answer), with one bincount and no copies."""
        width = n_values + 1
        flat = np.bincount(self.codes * width + (codes + 1), minlength=(self.count + 1) * width)
        return flat.reshape(self.count + 1, width)[: self.count, 1:]


def boolean_counts(
    frame: pd.DataFrame,
    name: str,
    columns: Sequence[str],
    values: Sequence[str],
    labels: Sequence[str],
    groups: Groups | None = None,
) -> Counts:
    """Counts for several boolean columns answered together (multi-choice options, themes)."""
    groups = groups or Groups.of(frame)
    counts = np.zeros((groups.count, len(columns)), dtype=np.int64)
    answered = np.zeros(len(frame), dtype=bool)
    for j, column in enumerate(columns):
        data = frame[column]
        answered |= data.notna().to_numpy()
        counts[:, j] = groups.tally(data.to_numpy(dtype=np.int64, na_value=0) - 1, 1)[:, 0]
    base = groups.tally(answered.astype(np.int64) - 1, 1)[:, 0]
    return Counts(name, tuple(values), tuple(labels), counts, base)


def item_counts(
    frame: pd.DataFrame, item: Item, agencies: Sequence[str], groups: Groups | None = None
) -> Counts:
    """The (agencies x values) count table of one choice or rating item."""
    groups = groups or Groups.of(frame)
    if item.type == "multi":
        values = choice_values(item, agencies)
        labels = [c.label for c in item.choices]
        columns = [multi_column(item.id, v) for v in values]
        return boolean_counts(frame, item.id, columns, values, labels, groups)
    if item.type == "rating":
        low, high = (item.scale.minimum, item.scale.maximum) if item.scale else (1, 5)
        values = [str(v) for v in range(low, high + 1)]
        codes = frame[item.id].to_numpy(dtype=np.int64, na_value=low - 1) - low
        codes[codes > high - low] = -1
        counts = groups.tally(codes, len(values))
        return Counts(item.id, tuple(values), tuple(values), counts, counts.sum(1))
    values = choice_values(item, agencies)
    label_of = {c.value: c.label for c in item.choices}
    counts = groups.tally(frame[item.id].cat.codes.to_numpy(np.int64), len(values))
    return Counts(item.id, tuple(values), tuple(label_of.get(v, v) for v in values), counts, counts.sum(1))


def _with_partnership(array: np.ndarray) -> np.ndarray:
    return np.concatenate([array, array.sum(axis=0, keepdims=True)], axis=0)


def agency_reasons(frame: pd.DataFrame, min_group_size: int) -> np.ndarray:
    """Each agency's suppression reason code from its number of responses (the agency-level rule)."""
    groups = Groups.of(frame)
    responses = groups.tally(np.zeros(len(frame), dtype=np.int64), 1)[:, 0]
    return suppression_reasons(responses, min_group_size)


def _reasons(base: np.ndarray, min_group_size: int, forced: np.ndarray | None = None) -> np.ndarray:
    """Reason keys ("", "too_few", "cover") per agency plus the partnership row, for one base vector."""
    codes = np.append(
        suppression_reasons(base, min_group_size, forced),
        TOO_FEW if suppressed_total(base.sum(), min_group_size) else SHOWN,
    )
    return np.asarray([REASON_KEYS[int(c)] for c in codes], dtype=object)


def _percent(count: npt.ArrayLike, base: npt.ArrayLike) -> np.ndarray:
    counts, bases = np.asarray(count), np.asarray(base)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares: np.ndarray = np.where(bases > 0, 100.0 * counts / np.maximum(bases, 1), np.nan)
    return shares


def _used_value(measure: Measure) -> str:
    """The value a "use" measure counts: the part of its column after "::" (item::value)."""
    if measure.column is None:
        raise ValueError(f"measure '{measure.id}' counts one value but names no column")
    return measure.column.split("::", 1)[1]


def _blank(table: pd.DataFrame, numbers: Sequence[str]) -> pd.DataFrame:
    """Turn numeric columns into nullable dtypes and blank them on suppressed (or empty) rows."""
    for column in numbers:
        kind = "Int64" if column in {"count", "base", "responses"} else "Float64"
        table[column] = pd.array(table[column], dtype=kind)
        table.loc[table["suppressed"], column] = pd.NA
        if kind == "Float64":
            table[column] = table[column].fillna(pd.NA)  # NaN from an empty base is "no figure"
    return table


def distribution_table(
    all_counts: Sequence[Counts],
    groups: Sequence[str],
    min_group_size: int,
    forced: np.ndarray | None = None,
) -> pd.DataFrame:
    """Distribution of every item: one row per group and value, count and percent of the item's base.

    ``forced`` is :func:`agency_reasons` of the frame: agencies hidden in every table."""
    parts = []
    for c in all_counts:
        counts, base = _with_partnership(c.counts), np.append(c.base, c.base.sum())
        reasons = _reasons(c.base, min_group_size, forced)
        n_groups, n_values = counts.shape
        parts.append(
            pd.DataFrame(
                {
                    "group": np.repeat(np.asarray(groups, dtype=object), n_values),
                    "item": c.item,
                    "value": np.tile(np.asarray(c.values, dtype=object), n_groups),
                    "label": np.tile(np.asarray(c.labels, dtype=object), n_groups),
                    "count": counts.ravel(),
                    "base": np.repeat(base, n_values),
                    "percent": _percent(counts.ravel(), np.repeat(base, n_values)),
                    "suppressed": np.repeat(reasons != "", n_values),
                    "reason": np.repeat(reasons, n_values),
                }
            )
        )
    table = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=["group", "item", "value", "label", "count", "base", "percent", "suppressed", "reason"]
        )
    )
    table["suppressed"] = table["suppressed"].astype(bool)
    return _blank(table, ["count", "base", "percent"])


def figure_table(
    measures: Sequence[Measure],
    counts_by_item: Mapping[str, Counts],
    groups: Sequence[str],
    min_group_size: int,
    forced: np.ndarray | None = None,
) -> pd.DataFrame:
    """Headline measures per group: count, base, value (% or mean), the denominator's words."""
    parts = []
    for m in measures:
        c = counts_by_item[m.item]
        counts, base = _with_partnership(c.counts), np.append(c.base, c.base.sum())
        reasons = _reasons(c.base, min_group_size, forced)
        sd = np.full(len(base), np.nan)
        if m.kind == "mean":
            numbers = np.asarray([float(v) for v in c.values])
            with np.errstate(invalid="ignore", divide="ignore"):
                value = counts @ numbers / base
                sd = np.sqrt(np.maximum(counts @ numbers**2 / base - value**2, 0.0))
            count = np.full(len(base), -1)
            unit = "mean"
        else:
            wanted = [_used_value(m)] if m.kind == "use" else list(m.counts)
            index = [c.values.index(v) for v in wanted]
            count = counts[:, index].sum(axis=1)
            value = _percent(count, base)
            unit = "%"
        parts.append(
            pd.DataFrame(
                {
                    "group": list(groups),
                    "measure": m.id,
                    "label": m.label,
                    "of": m.of,
                    "count": count,
                    "base": base,
                    "value": value,
                    "unit": unit,
                    "sd": sd,
                    "suppressed": reasons != "",
                    "reason": reasons,
                }
            )
        )
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FIGURE_COLUMNS)
    table["suppressed"] = table["suppressed"].astype(bool)
    table = _blank(table, ["count", "base", "value", "sd"])
    table.loc[table["unit"] == "mean", "count"] = pd.NA
    return table[FIGURE_COLUMNS]


def response_table(
    frame: pd.DataFrame, headcounts: Mapping[str, int | None], min_group_size: int
) -> pd.DataFrame:
    """Responses per agency against frontline headcount and the 10% target.

    The partnership's rate counts only agencies with a known headcount on both
    sides, so responses from an agency without one do not inflate it.
    """
    groups = Groups.of(frame)
    agencies = list(frame["agency"].cat.categories)
    responses = groups.tally(np.zeros(len(frame), dtype=np.int64), 1)[:, 0]
    heads = np.array([headcounts.get(a) or 0 for a in agencies], dtype=np.int64)
    known = heads > 0
    total_heads = int(heads[known].sum())
    all_responses = np.append(responses, responses.sum())
    rate = np.append(
        _percent(responses, heads), _percent(responses[known].sum(), total_heads) if total_heads else np.nan
    )
    reasons = _reasons(responses, min_group_size)
    table = pd.DataFrame(
        {
            "group": [*agencies, PARTNERSHIP],
            "responses": all_responses,
            "headcount": np.append(heads, total_heads),
            "rate": rate,
            "suppressed": reasons != "",
            "reason": reasons,
        }
    )
    table = _blank(table, ["responses", "rate"])
    table["headcount"] = table["headcount"].astype("Int64").mask(np.append(~known, total_heads == 0))
    table["target_met"] = pd.array(table["rate"] >= TARGET_RATE, dtype="boolean")
    return table


def _quote(text: str) -> str:
    """A quote as shown: redacted again (belt and braces) and cut to a readable length."""
    text = " ".join(redact(text).split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Answers:
    """Distinct (agency, answer) pairs of a coded text item and how often each occurs.

    Themes depend only on the answer, so counts and quotes work on these
    pairs (thousands) rather than on every response (up to millions).
    """

    group: np.ndarray  # agency bin of each pair (Groups numbering)
    answer: np.ndarray  # distinct-answer number of each pair
    times: np.ndarray  # how many responses gave that answer in that agency
    row: np.ndarray  # for each distinct answer, one row of the frame that has it
    hits: np.ndarray  # (distinct answers x themes) booleans

    @classmethod
    def of(cls, groups: Groups, coded: pd.DataFrame, ids: Sequence[str]) -> _Answers:
        answer = coded["answer"].to_numpy(np.int64)
        ok = answer >= 0
        width = int(answer.max()) + 1 if ok.any() else 1
        pairs, times = np.unique(groups.codes[ok] * width + answer[ok], return_counts=True)
        row = np.zeros(width, dtype=np.int64)
        row[answer[ok]] = np.flatnonzero(ok)  # any row of an answer will do: they hold the same text
        hits = coded[list(ids)].iloc[row].to_numpy(dtype=bool, na_value=False)
        return cls(pairs // width, pairs % width, times, row, hits)

    def counts(self, groups: Groups, codebook: Codebook) -> Counts:
        ids = codebook.theme_ids
        size = groups.count + 1
        per_theme = [
            np.bincount(self.group, weights=self.times * self.hits[self.answer, t], minlength=size)[:-1]
            for t in range(len(ids))
        ]
        counts = (
            np.stack(per_theme, axis=1).astype(np.int64) if ids else np.zeros((groups.count, 0), np.int64)
        )
        base = np.bincount(self.group, weights=self.times, minlength=size)[:-1].astype(np.int64)
        return Counts(codebook.item, ids, tuple(codebook.label(t) for t in ids), counts, base)


def theme_table(
    frame: pd.DataFrame,
    coded: pd.DataFrame,
    codebook: Codebook,
    min_group_size: int,
    quotes: int = QUOTES,
    min_quote_size: int = 0,
) -> pd.DataFrame:
    """Themes of one free-text item per group: count, percent of those who answered, rank, quotes.

    ``coded`` is ``analysis.themes.code_column`` of ``frame[codebook.item]``.
    Quotes are the most confidently coded distinct answers, redacted. A group
    gets quotes only when it is not suppressed and at least ``min_quote_size``
    of its people answered (a higher bar than for counts: a sentence can give
    its writer away where a number cannot); the partnership's quotes come only
    from agencies that clear that bar, so no quote can be traced to a small group.
    """
    agencies = [str(a) for a in frame["agency"].cat.categories]
    groups = (*agencies, PARTNERSHIP)
    ids = list(codebook.theme_ids)
    bins = Groups.of(frame)
    answers = _Answers.of(bins, coded, ids)
    table = distribution_table(
        [answers.counts(bins, codebook)], groups, min_group_size, agency_reasons(frame, min_group_size)
    )
    table = table.drop(columns="item").rename(columns={"value": "theme"})
    too_few = table["base"].fillna(0) < max(min_quote_size, 1)
    hidden = set(table.loc[(table["suppressed"] | too_few) & (table["group"] != PARTNERSHIP), "group"])

    shown = np.array([g < bins.count and agencies[g] not in hidden for g in range(bins.count + 1)])[
        answers.group
    ]
    rows = answers.row[answers.answer[shown]]
    texts = pd.DataFrame(
        {
            "group": np.asarray([*agencies, ""], dtype=object)[answers.group[shown]],
            "text": frame[codebook.item].to_numpy(dtype=object)[rows],
            "confidence": coded["confidence"].to_numpy()[rows],
        }
    )
    texts = pd.concat([texts, pd.DataFrame(answers.hits[answers.answer[shown]], columns=ids)], axis=1)
    texts = texts.assign(length=texts["text"].str.len()).sort_values(
        ["confidence", "length", "text"], ascending=[False, True, True], kind="stable"
    )
    picked: dict[tuple[str, str], tuple[str, ...]] = {}
    # answers coded "other" in a multi-theme codebook ("none", "n/a") are not worth quoting
    quoted = [t for t in ids if codebook.single or t != codebook.fallback]
    for theme in quoted:
        hits = texts[texts[theme].to_numpy(bool)]
        for group, rows in hits.groupby("group", sort=False):
            picked[(str(group), theme)] = tuple(_quote(t) for t in rows["text"].head(quotes))
        overall = hits.drop_duplicates("text")["text"].head(quotes)
        picked[(PARTNERSHIP, theme)] = tuple(_quote(t) for t in overall)
    table["quotes"] = [
        () if hidden else picked.get((g, t), ())
        for g, t, hidden in zip(table["group"], table["theme"], table["suppressed"] | too_few, strict=True)
    ]
    ranked = table["count"].astype("Float64").fillna(-1)
    table["rank"] = ranked.groupby(table["group"]).rank(method="first", ascending=False).astype("Int64")
    table.loc[table["suppressed"] | (table["count"].fillna(0) == 0), "rank"] = pd.NA
    return table.sort_values(
        ["group", "rank"],
        key=lambda c: c.map(groups.index) if c.name == "group" else c,
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    erfc = np.frompyfunc(math.erfc, 1, 1)
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(z)
    out[ok] = erfc(np.abs(z[ok]) / math.sqrt(2)).astype(float)
    return out


def comparison_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Each figure beside the previous wave's: change, 95% interval of the change, z and p.

    Shares use a two-proportion z-test (pooled) and an unpooled interval, in
    percentage points; means use a two-sample z-test on the means. A row
    where either wave's figure is suppressed is suppressed.
    """
    cols = ["group", "measure", "value", "base", "sd", "suppressed", "reason"]
    both = current[["label", "unit", *cols]].merge(
        previous[cols], on=["group", "measure"], how="inner", suffixes=("", "_previous")
    )
    n1 = both["base"].to_numpy(float, na_value=np.nan)
    n2 = both["base_previous"].to_numpy(float, na_value=np.nan)
    v1 = both["value"].to_numpy(float, na_value=np.nan)
    v2 = both["value_previous"].to_numpy(float, na_value=np.nan)
    share = (both["unit"] == "%").to_numpy()
    p1, p2 = v1 / 100.0, v2 / 100.0
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        se_test = np.where(
            share,
            np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) * 100,
            np.sqrt(
                both["sd"].to_numpy(float, na_value=np.nan) ** 2 / n1
                + both["sd_previous"].to_numpy(float, na_value=np.nan) ** 2 / n2
            ),
        )
        se_diff = np.where(share, np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * 100, se_test)
        change = v1 - v2
        z = np.where(se_test > 0, change / se_test, np.where(change == 0, 0.0, np.nan))
    p = _two_sided_p(z)
    out = pd.DataFrame(
        {
            "group": both["group"],
            "measure": both["measure"],
            "label": both["label"],
            "unit": both["unit"],
            "value": v1,
            "previous": v2,
            "change": change,
            "ci_low": change - Z_95 * se_diff,
            "ci_high": change + Z_95 * se_diff,
            "z": z,
            "p_value": p,
            "suppressed": (both["suppressed"] | both["suppressed_previous"]).to_numpy(bool),
            "reason": both["reason"].where(both["reason"] != "", both["reason_previous"]).to_numpy(),
        }
    )
    out = _blank(out, ["value", "previous", "change", "ci_low", "ci_high", "z", "p_value"])
    out["significant"] = pd.array(out["p_value"] < 0.05, dtype="boolean")
    return out


def summarise(
    frame: pd.DataFrame,
    definition: Definition,
    measures: Sequence[Measure],
    headcounts: Mapping[str, int | None],
    min_group_size: int,
    *,
    previous: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    wave: int | None = None,
    min_quote_size: int = 0,
    demo: bool = False,
) -> Summary:
    """Every table of the collated return for the wave in ``frame``.

    ``previous`` is the previous wave's tidy frame (same agencies), for the
    comparison; ``themes`` is the output of ``analysis.themes.theme_table``;
    ``wave`` is needed only when the frame is empty.
    """
    agencies = [str(a) for a in frame["agency"].cat.categories]
    groups = (*agencies, PARTNERSHIP)
    items = [it for it in analysed_items(definition) if it.type in {"single", "likert", "multi", "rating"}]
    groups_now = Groups.of(frame)
    counts = {it.id: item_counts(frame, it, agencies, groups_now) for it in items}
    forced = agency_reasons(frame, min_group_size)
    figures = figure_table(measures, counts, groups, min_group_size, forced)
    comparison = pd.DataFrame(columns=["group", "measure"])
    previous_wave = None
    if previous is not None and len(previous):
        groups_before = Groups.of(previous)
        previous_counts = {it.id: item_counts(previous, it, agencies, groups_before) for it in items}
        before = figure_table(
            measures, previous_counts, groups, min_group_size, agency_reasons(previous, min_group_size)
        )
        comparison = comparison_table(figures, before)
        previous_wave = int(previous["wave"].iloc[0])
    return Summary(
        wave=wave if wave is not None else int(frame["wave"].iloc[0]),
        min_group_size=min_group_size,
        groups=groups,
        responses=response_table(frame, headcounts, min_group_size),
        figures=figures,
        distributions=distribution_table(list(counts.values()), groups, min_group_size, forced),
        themes=themes if themes is not None else pd.DataFrame(columns=["group", "theme"]),
        comparison=comparison,
        previous_wave=previous_wave,
        min_quote_size=min_quote_size,
        demo=demo,
    )
