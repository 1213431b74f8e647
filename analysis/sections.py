"""The sections of a collated return, as tables every output format renders the same way (pure).

An agency's report shows that agency beside the partnership (and beside its
last wave); the partnership's report shows every agency. Each section is a
DataFrame of plain numbers and words, so the workbook keeps numbers as
numbers and the HTML, CSV and PDF are rendered from the very same cells.
A blank number is a suppressed (or empty) figure; the ``Note`` column says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.findings import versus_rest
from analysis.summaries import PARTNERSHIP, Summary
from analysis.suppression import reason_text
from surveys.model import Definition


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    table: pd.DataFrame


def group_name(group: str, names: dict[str, str]) -> str:
    return "Partnership" if group == PARTNERSHIP else names.get(group, group)


def _note(reasons: pd.Series, n: int) -> pd.Series:
    """The Note column: why a row's figures are blank (the same words in every output)."""
    return pd.Series(
        [f"suppressed: {reason_text(r, n)}" if r else "" for r in reasons], index=reasons.index, dtype="str"
    )


def _side_by_side(
    table: pd.DataFrame,
    keys: Sequence[str],
    groups: Sequence[str],
    columns: dict[str, str],
    names: dict[str, str],
) -> pd.DataFrame:
    """Rows keyed by ``keys``, with each group's ``columns`` side by side (agency, then partnership)."""
    parts = []
    for group in groups:
        part = table[table["group"] == group].set_index(list(keys))
        part = part[list(columns)].rename(
            columns={c: f"{group_name(group, names)} {label}" for c, label in columns.items()}
        )
        parts.append(part)
    return pd.concat(parts, axis=1).reset_index()


def response_section(summary: Summary, names: dict[str, str]) -> Section:
    table = summary.responses
    out = pd.DataFrame(
        {
            "Agency": [group_name(g, names) for g in table["group"]],
            "Responses": table["responses"],
            "Frontline headcount": table["headcount"],
            "Response rate %": table["rate"].round(1),
            "10% target met": table["target_met"].map({True: "yes", False: "no"}).astype("object"),
            "Note": _note(table["reason"], summary.min_group_size),
        }
    )
    return Section(
        "responses",
        "Responses and response rate",
        "Responses against each agency's frontline headcount; the board's target is 10%.",
        out,
    )


WIDE_GROUPS = 2  # an agency beside the partnership reads best side by side; more groups go one row each


def _long_headline(summary: Summary, groups: Sequence[str], names: dict[str, str]) -> pd.DataFrame:
    rows = summary.figures[summary.figures["group"].isin(groups)]
    table = pd.DataFrame(
        {
            "Measure": rows["label"],
            "Of": rows["of"],
            "Agency": [group_name(g, names) for g in rows["group"]],
            "Unit": rows["unit"],
            "% or mean": rows["value"].round(1),
            "Count": rows["count"],
            "Base": rows["base"],
        }
    )
    if not summary.comparison.empty:
        comp = rows[["group", "measure"]].merge(summary.comparison, on=["group", "measure"], how="left")
        table["Last wave"] = comp["previous"].round(1).to_numpy()
        table["Change"] = comp["change"].round(1).to_numpy()
        table["Change beyond chance"] = comp["significant"].map({True: "yes", False: "no"}).to_numpy()
    table["Note"] = _note(rows["reason"], summary.min_group_size).to_numpy()
    return table.reset_index(drop=True)


def headline_section(summary: Summary, groups: Sequence[str], names: dict[str, str]) -> Section:
    intro = (
        "Each figure is a percentage (or a mean rating) with the count it rests on and the base it is "
        "of, named in the Of column."
    )
    if summary.previous_wave is not None:
        intro += (
            f" Last wave is wave {summary.previous_wave}; change is in percentage points (or rating "
            "points) and marked beyond chance when a two-sided test gives p < 0.05."
        )
    if len(groups) > WIDE_GROUPS:
        return Section("headline", "Headline figures", intro, _long_headline(summary, groups, names))
    agency = next(g for g in groups if g != PARTNERSHIP)
    return Section("headline", "Headline figures", intro, _agency_headline(summary, agency, names))


def _agency_headline(summary: Summary, agency: str, names: dict[str, str]) -> pd.DataFrame:
    """One row per measure: the agency, the partnership, the rest of it and the test, last wave."""
    figures = summary.figures
    mine = figures[figures["group"] == agency].reset_index(drop=True)
    everyone = figures[figures["group"] == PARTNERSHIP].set_index("measure")
    rest = versus_rest(summary, agency).set_index("measure").reindex(mine["measure"])
    name = group_name(agency, names)
    table = pd.DataFrame(
        {
            "Measure": mine["label"],
            "Of": mine["of"],
            "Unit": mine["unit"],
            name: mine["value"].round(1),
            f"{name} count": mine["count"],
            f"{name} base": mine["base"],
            "Partnership": mine["measure"].map(everyone["value"]).round(1).to_numpy(),
            "Rest of partnership": rest["rest"].round(1).to_numpy(),
            "Difference from the rest": rest["difference"].round(1).to_numpy(),
            "95% interval from": rest["ci_low"].round(1).to_numpy(),
            "95% interval to": rest["ci_high"].round(1).to_numpy(),
            "p": rest["p_value"].round(4).to_numpy(),
            "Difference beyond chance": rest["significant"].map({True: "yes", False: "no"}).to_numpy(),
        }
    )
    if not summary.comparison.empty:
        comp = summary.comparison[summary.comparison["group"] == agency].set_index("measure")
        table["Last wave"] = mine["measure"].map(comp["previous"]).round(1).to_numpy()
        table["Change"] = mine["measure"].map(comp["change"]).round(1).to_numpy()
        table["Change beyond chance"] = (
            mine["measure"].map(comp["significant"].map({True: "yes", False: "no"})).to_numpy()
        )
    table["Note"] = _note(mine["reason"], summary.min_group_size).to_numpy()
    return table


def distribution_section(
    summary: Summary, definition: Definition, groups: Sequence[str], names: dict[str, str]
) -> Section:
    texts = {item.id: item.text for item in definition.items}
    table = summary.distributions.assign(percent=summary.distributions["percent"].round(1))
    if len(groups) > WIDE_GROUPS:
        rows = table[table["group"].isin(groups)]
        wide = pd.DataFrame(
            {
                "Item": rows["item"],
                "Question": rows["item"].map(texts),
                "Agency": [group_name(g, names) for g in rows["group"]],
                "Answer": rows["label"],
                "Count": rows["count"],
                "%": rows["percent"],
                "Of (base)": rows["base"],
                "Note": _note(rows["reason"], summary.min_group_size),
            }
        ).reset_index(drop=True)
    else:
        wide = _side_by_side(
            table, ["item", "value", "label"], groups, {"count": "count", "percent": "%"}, names
        )
        wide.insert(1, "Question", wide["item"].map(texts))
        wide = wide.rename(columns={"item": "Item", "label": "Answer"}).drop(columns="value")
    return Section(
        "distributions",
        "Answers to every question",
        "How many chose each answer, and the % of those who were asked that question.",
        wide,
    )


def theme_section(summary: Summary, groups: Sequence[str], names: dict[str, str]) -> Section:
    themes = summary.themes
    if themes.empty:
        return Section(
            "themes", "What staff would change", "No free-text answers were coded.", pd.DataFrame()
        )
    rows = themes[themes["group"].isin(groups)]
    table = pd.DataFrame(
        {
            "Agency": [group_name(g, names) for g in rows["group"]],
            "Rank": rows["rank"],
            "Theme": rows["label"],
            "Count": rows["count"],
            "% of those who answered": rows["percent"].round(1),
            "Answered": rows["base"],
            "Example quotes (redacted)": [" | ".join(q) for q in rows["quotes"]],
            "Note": _note(rows["reason"], summary.min_group_size),
        }
    )
    table = table[table["Rank"].notna() | (table["Note"] != "")].reset_index(drop=True)
    return Section(
        "themes",
        "What staff would change: themes",
        "Free-text answers coded to the board's codebook; one answer may carry several themes. "
        "Quotes are redacted and never shown for a suppressed group.",
        table,
    )


def comparison_section(summary: Summary, groups: Sequence[str], names: dict[str, str]) -> Section | None:
    if summary.comparison.empty:
        return None
    comp = summary.comparison[summary.comparison["group"].isin(groups)]
    table = pd.DataFrame(
        {
            "Agency": [group_name(g, names) for g in comp["group"]],
            "Measure": comp["label"],
            "Unit": comp["unit"],
            "This wave": comp["value"].round(1),
            "Last wave": comp["previous"].round(1),
            "Change": comp["change"].round(1),
            "95% interval from": comp["ci_low"].round(1),
            "95% interval to": comp["ci_high"].round(1),
            "p": comp["p_value"].round(4),
            "Beyond chance": comp["significant"].map({True: "yes", False: "no"}).astype("object"),
            "Note": _note(comp["reason"], summary.min_group_size),
        }
    )
    return Section(
        "comparison",
        f"Change since wave {summary.previous_wave}",
        "Change in percentage points (two-proportion z-test) or in mean rating (z-test on means).",
        table.reset_index(drop=True),
    )


def report_sections(summary: Summary, definition: Definition, names: dict[str, str]) -> list[Section]:
    """Every section, for the groups the summary holds (one agency and the partnership, or all)."""
    groups = list(summary.groups)
    sections = [
        response_section(summary, names),
        headline_section(summary, groups, names),
        theme_section(summary, groups, names),
        distribution_section(summary, definition, groups, names),
    ]
    comparison = comparison_section(summary, groups, names)
    return [*sections, comparison] if comparison is not None else sections
