"""Charts of the collated return; each function draws on an Axes it is given.

No pyplot: callers make ``matplotlib.figure.Figure()`` themselves, so charts
can be drawn in a server or a worker thread. Colours are colour-blind safe
(a purple-orange diverging scheme for agree scales, Okabe-Ito blue and
orange for comparisons, hatching as well as colour for "below target"),
agencies are named in full, and bars carry their counts. Each function
returns the chart's alt text, stating the figures it drew (the caption is the
report's). A suppressed figure is drawn as a gap labelled with the reason,
never as a bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from analysis.summaries import PARTNERSHIP, TARGET_RATE

# ColorBrewer PuOr (colour-blind safe): agreement purple, disagreement orange, neutral grey.
AGREE_COLOURS = ("#542788", "#998ec3", "#d9d9d9", "#f1a340", "#b35806")
AGENCY_COLOUR = "#0072B2"  # Okabe-Ito blue
PARTNERSHIP_COLOUR = "#E69F00"  # Okabe-Ito orange
TARGET_COLOUR = "#000000"
MUTED = "#595959"
SMALL = 9  # points; charts are drawn 4.6in wide (analysis.reports), so this is about 10px on a phone
# x units (percentage points) one SMALL character takes on the agreement chart: its axes are
# about 2.35in wide for about 230 units, a digit about 0.07in
_UNITS_PER_CHAR = 7.5
#: What a chart says where a figure is hidden, by suppression reason (see analysis.suppression).
HIDDEN = {"too_few": "hidden: too few responses", "cover": "hidden: protects another small group"}


def _hidden_note(ax: Axes, x: float, y: float, reason: object) -> None:
    ax.text(
        x,
        y,
        HIDDEN.get(str(reason), HIDDEN["too_few"]),
        va="center",
        ha="left",
        fontsize=SMALL,
        color=MUTED,
        style="italic",
    )


def _bars(
    ax: Axes,
    bars: Sequence[tuple[float, float, float]],
    height: float,
    colour: str,
    label: str | None = None,
    **style: object,
) -> None:
    """Horizontal bars, each (y, left, width), drawn as one collection.

    The same rectangles as ``ax.barh`` draws, without an artist, a bar container
    and a data-limit update of its own per bar (most of the cost of drawing a
    chart's bars); the left end of the value axis stays at 0, as barh keeps it."""
    if not bars:
        return
    half = height / 2
    shapes = [
        [(left, y - half), (left + width, y - half), (left + width, y + half), (left, y + half)]
        for y, left, width in bars
    ]
    collection = PolyCollection(
        shapes,
        facecolors=colour,
        edgecolors=style.pop("edgecolor", "none"),
        label=label,
        **style,  # type: ignore[arg-type]
    )
    collection.sticky_edges.x.append(0)
    ax.add_collection(collection, autolim=True)


def _wrap(text: str, width: int = 24) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def _who(group: str, names: Mapping[str, str]) -> str:
    return "the partnership" if group == PARTNERSHIP else names.get(group, group)


def plot_agree_scale(
    ax: Axes,
    distributions: pd.DataFrame,
    items: Sequence[tuple[str, str]],
    group: str,
    names: Mapping[str, str],
) -> str:
    """Diverging stacked bars of agree-scale items for one group; returns the chart's alt text.

    ``items`` are (item id, short label) in display order. Agreement extends
    right of zero, disagreement left, "neither" straddles zero; each segment
    wide enough to read carries its count.
    """
    rows = distributions[distributions["group"] == group]
    y_labels = []
    said = []
    longest = 0
    segments: list[list[tuple[float, float, float]]] = [[] for _ in AGREE_COLOURS]
    legend: list[str] = []
    for y, (item_id, label) in enumerate(items):
        data = rows[rows["item"] == item_id]
        y_labels.append(_wrap(label))
        if data.empty or bool(data["suppressed"].iloc[0]) or pd.isna(data["base"].iloc[0]):
            reason = data["reason"].iloc[0] if not data.empty else ""
            _hidden_note(ax, -98, y, reason)
            said.append(f"{label}: {HIDDEN.get(str(reason), 'no answers')}")
            continue
        pct = data["percent"].to_numpy(float)
        counts = data["count"].to_numpy(int)
        # strongly agree, agree | neither (straddles 0) | disagree, strongly disagree
        half = pct[2] / 2
        starts = [half + pct[1], half, -half, -half - pct[3], -half - pct[3] - pct[4]]
        legend = legend or [str(v) for v in data["label"]]
        for k in range(len(AGREE_COLOURS)):
            segments[k].append((y, starts[k], pct[k]))
            if pct[k] >= _UNITS_PER_CHAR * len(str(counts[k])) + 2:  # only where the count fits
                ax.text(
                    starts[k] + pct[k] / 2,
                    y,
                    str(counts[k]),
                    ha="center",
                    va="center",
                    fontsize=SMALL,
                    color="white" if k in (0, 4) else "black",
                )
        base = int(data["base"].iloc[0])
        ax.text(101, y, f"n={base}", va="center", fontsize=SMALL, color=MUTED)
        longest = max(longest, len(f"n={base}"))
        said.append(f"{label}: {pct[0] + pct[1]:.0f}% agree, {pct[3] + pct[4]:.0f}% disagree (of {base})")
    for k, colour in enumerate(AGREE_COLOURS):
        _bars(ax, segments[k], 0.7, colour, legend[k] if legend else None, edgecolor="white")
    ax.set_yticks(range(len(items)), y_labels, fontsize=SMALL)
    ax.invert_yaxis()
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_xlim(-100, max(128, 102 + _UNITS_PER_CHAR * longest))  # room for the widest "n=..." on the right
    ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"], fontsize=SMALL)
    ax.set_xlabel("<- disagree   % of those asked   agree ->", fontsize=SMALL)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.12, -0.09),
            ncol=2,
            fontsize=SMALL,
            frameon=False,
        )
    ax.spines[["top", "right"]].set_visible(False)
    return f"How far staff in {_who(group, names)} agree with each statement. " + "; ".join(said) + "."


def plot_agency_vs_partnership(
    ax: Axes,
    figures: pd.DataFrame,
    measures: Sequence[tuple[str, str]],
    agency: str,
    names: Mapping[str, str],
) -> str:
    """Paired horizontal bars: the agency's percentage beside the partnership's, labelled count/base.

    Returns the alt text."""
    height = 0.38
    y_labels = []
    said = []
    who = _who(agency, names)
    bars: dict[str, list[tuple[float, float, float]]] = {agency: [], PARTNERSHIP: []}
    for y, (measure_id, label) in enumerate(measures):
        y_labels.append(_wrap(label))
        parts = []
        for offset, group in ((-height / 2, agency), (height / 2, PARTNERSHIP)):
            row = figures[(figures["group"] == group) & (figures["measure"] == measure_id)]
            if row.empty or bool(row["suppressed"].iloc[0]) or pd.isna(row["value"].iloc[0]):
                reason = row["reason"].iloc[0] if not row.empty else ""
                _hidden_note(ax, 1, y + offset, reason)
                parts.append(f"{_who(group, names)} {HIDDEN.get(str(reason), 'no answers')}")
                continue
            value = float(row["value"].iloc[0])
            bars[group].append((y + offset, 0.0, value))
            shown = f"{value:.0f}% ({int(row['count'].iloc[0])}/{int(row['base'].iloc[0])})"
            ax.text(value + 1, y + offset, shown, va="center", fontsize=SMALL)
            parts.append(f"{_who(group, names)} {shown}")
        said.append(f"{label}: " + ", ".join(parts))
    for group, colour in ((agency, AGENCY_COLOUR), (PARTNERSHIP, PARTNERSHIP_COLOUR)):
        _bars(ax, bars[group], height, colour, _who(group, names))
    ax.set_yticks(range(len(measures)), y_labels, fontsize=SMALL)
    ax.invert_yaxis()
    ax.set_xlim(0, 130)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=SMALL)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.3, -0.04), ncol=1, fontsize=SMALL, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return f"{who} beside the whole partnership, % (count/base). " + "; ".join(said) + "."


def plot_response_rates(ax: Axes, responses: pd.DataFrame, names: Mapping[str, str]) -> str:
    """Response rate per agency (by name) against the board's 10% target line; returns the alt text."""
    rows = responses[responses["group"] != PARTNERSHIP].reset_index(drop=True)
    said = []
    met_bars: list[tuple[float, float, float]] = []
    missed_bars: list[tuple[float, float, float]] = []
    for y, row in rows.iterrows():
        name = names.get(row["group"], row["group"])
        if bool(row["suppressed"]):
            _hidden_note(ax, 0.2, y, row["reason"])
            said.append(f"{name} {HIDDEN.get(str(row['reason']), '')}")
        elif pd.isna(row["rate"]):
            ax.text(
                0.2,
                y,
                f"{row['responses']} responses (no headcount)",
                va="center",
                fontsize=SMALL,
                color=MUTED,
            )
            said.append(f"{name} {row['responses']} responses, no headcount")
        else:
            rate = float(row["rate"])
            met = bool(row["target_met"])
            (met_bars if met else missed_bars).append((float(y), 0.0, rate))
            shown = f"{rate:.1f}% ({row['responses']}/{row['headcount']})"
            ax.text(rate + 0.3, y, shown + ("" if met else " below target"), va="center", fontsize=SMALL)
            said.append(f"{name} {shown}" + ("" if met else ", below target"))
    _bars(ax, met_bars, 0.7, AGENCY_COLOUR, edgecolor="white")
    _bars(ax, missed_bars, 0.7, PARTNERSHIP_COLOUR, edgecolor="white", hatch="//")
    ax.axvline(TARGET_RATE, color=TARGET_COLOUR, linestyle="--", linewidth=1)
    ax.text(TARGET_RATE, -0.9, f" {TARGET_RATE:.0f}% target", fontsize=SMALL, va="bottom")
    ax.set_yticks(range(len(rows)), [_wrap(names.get(g, g)) for g in rows["group"]], fontsize=SMALL)
    ax.invert_yaxis()
    top = rows["rate"].astype("Float64").max()
    ax.set_xlim(0, max(float(top) if pd.notna(top) else 0.0, TARGET_RATE) * 1.9 + 1)
    ax.set_xlabel("% of frontline headcount who responded", fontsize=SMALL)
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.spines[["top", "right"]].set_visible(False)
    return (
        f"Response rate of each agency against the {TARGET_RATE:.0f}% target (hatched bars are below it). "
        + "; ".join(said)
        + "."
    )


def plot_themes(ax: Axes, themes: pd.DataFrame, group: str, names: Mapping[str, str], top: int = 6) -> str:
    """The group's most common themes of free text, as % of those who answered, with counts.

    Returns the alt text."""
    mine = themes[themes["group"] == group]
    rows = mine[mine["rank"].notna()].sort_values("rank").head(top)
    who = _who(group, names)
    if mine["suppressed"].any():
        reason = mine["reason"].iloc[0]
        _hidden_note(ax, 0.5, 0, reason)
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_xlim(0, 100)
        return f"What staff in {who} would change: {HIDDEN.get(str(reason), 'hidden')}."
    _bars(ax, [(y, 0.0, float(p)) for y, p in enumerate(rows["percent"])], 0.7, AGENCY_COLOUR)
    for y, (_, row) in enumerate(rows.iterrows()):
        ax.text(float(row["percent"]) + 0.5, y, f"{row['count']}", va="center", fontsize=SMALL)
    ax.set_yticks(range(len(rows)), [_wrap(str(v)) for v in rows["label"]], fontsize=SMALL)
    ax.invert_yaxis()
    ax.set_xlabel("% who answered (count beside bar)", fontsize=SMALL)
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.spines[["top", "right"]].set_visible(False)
    said = [f"{row['label']}: {row['count']} ({float(row['percent']):.0f}%)" for _, row in rows.iterrows()]
    return f"What staff in {who} would change, most common themes: " + "; ".join(said) + "."
