"""Charts of the collated return; each function draws on an Axes it is given.

No pyplot: callers make ``matplotlib.figure.Figure()`` themselves, so charts
can be drawn in a server or a worker thread. Colours are colour-blind safe
(a purple-orange diverging scheme for agree scales, Okabe-Ito blue and
orange for comparisons), every chart's title says what it shows, and bars
carry their counts. Suppressed figures are drawn as a labelled gap, never
as a bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from analysis.summaries import PARTNERSHIP, TARGET_RATE

# ColorBrewer PuOr (colour-blind safe): agreement purple, disagreement orange, neutral grey.
AGREE_COLOURS = ("#542788", "#998ec3", "#d9d9d9", "#f1a340", "#b35806")
AGENCY_COLOUR = "#0072B2"  # Okabe-Ito blue
PARTNERSHIP_COLOUR = "#E69F00"  # Okabe-Ito orange
TARGET_COLOUR = "#000000"
MUTED = "#595959"


def _suppressed_note(ax: Axes, y: float, min_group_size: int) -> None:
    ax.text(
        0,
        y,
        f"suppressed (fewer than {min_group_size} responses)",
        va="center",
        ha="left",
        fontsize=8,
        color=MUTED,
        style="italic",
    )


def _wrap(text: str, width: int = 42) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def plot_agree_scale(
    ax: Axes, distributions: pd.DataFrame, items: Sequence[tuple[str, str]], group: str, min_group_size: int
) -> None:
    """Diverging stacked bars of agree-scale items for one group.

    ``items`` are (item id, short label) in display order. Agreement extends
    right of zero, disagreement left, "neither" straddles zero; each segment
    wide enough to read carries its count.
    """
    rows = distributions[distributions["group"] == group]
    y_labels = []
    labelled = False
    for y, (item_id, label) in enumerate(items):
        data = rows[rows["item"] == item_id]
        y_labels.append(_wrap(label))
        if data.empty or bool(data["suppressed"].iloc[0]) or pd.isna(data["base"].iloc[0]):
            _suppressed_note(ax, y, min_group_size)
            continue
        pct = data["percent"].to_numpy(float)
        counts = data["count"].to_numpy(int)
        # strongly agree, agree | neither (straddles 0) | disagree, strongly disagree
        half = pct[2] / 2
        starts = [half + pct[1], half, -half, -half - pct[3], -half - pct[3] - pct[4]]
        for k in range(len(AGREE_COLOURS)):
            ax.barh(
                y,
                pct[k],
                left=starts[k],
                color=AGREE_COLOURS[k],
                edgecolor="white",
                height=0.7,
                label=None if labelled else str(data["label"].iloc[k]),
            )
            if pct[k] >= 7:
                ax.text(
                    starts[k] + pct[k] / 2,
                    y,
                    str(counts[k]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if k in (0, 4) else "black",
                )
        labelled = True
        ax.text(101, y, f"n={int(data['base'].iloc[0])}", va="center", fontsize=7, color=MUTED)
    ax.set_yticks(range(len(items)), y_labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_xlim(-100, 112)
    ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"], fontsize=7)
    ax.set_xlabel("← disagree   % of those asked   agree →", fontsize=8)
    title = "the partnership" if group == PARTNERSHIP else group
    ax.set_title(f"How far staff in {title} agree (numbers on bars are counts)", fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.4, -0.1),
            ncol=3,
            fontsize=6,
            frameon=False,
        )
    ax.spines[["top", "right"]].set_visible(False)


def plot_agency_vs_partnership(
    ax: Axes, figures: pd.DataFrame, measures: Sequence[tuple[str, str]], agency: str, min_group_size: int
) -> None:
    """Paired horizontal bars: the agency's percentage beside the partnership's, labelled count/base."""
    height = 0.38
    y_labels = []
    for y, (measure_id, label) in enumerate(measures):
        y_labels.append(_wrap(label))
        for offset, group, colour in (
            (-height / 2, agency, AGENCY_COLOUR),
            (height / 2, PARTNERSHIP, PARTNERSHIP_COLOUR),
        ):
            row = figures[(figures["group"] == group) & (figures["measure"] == measure_id)]
            if row.empty or bool(row["suppressed"].iloc[0]) or pd.isna(row["value"].iloc[0]):
                if group == agency:
                    _suppressed_note(ax, y + offset, min_group_size)
                continue
            value = float(row["value"].iloc[0])
            ax.barh(
                y + offset,
                value,
                height=height,
                color=colour,
                label=("the partnership" if group == PARTNERSHIP else agency) if y == 0 else None,
            )
            ax.text(
                value + 1,
                y + offset,
                f"{value:.0f}% ({int(row['count'].iloc[0])}/{int(row['base'].iloc[0])})",
                va="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(measures)), y_labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=7)
    ax.set_title(f"{agency} compared with the partnership (count/base beside each bar)", fontsize=9)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def plot_response_rates(ax: Axes, responses: pd.DataFrame, min_group_size: int) -> None:
    """Response rate per agency against the board's 10% target line; counts on bars."""
    rows = responses[responses["group"] != PARTNERSHIP].reset_index(drop=True)
    for y, row in rows.iterrows():
        if bool(row["suppressed"]):
            _suppressed_note(ax, y, min_group_size)
        elif pd.isna(row["rate"]):
            ax.text(
                0, y, f"{row['responses']} responses (no headcount)", va="center", fontsize=7, color=MUTED
            )
        else:
            rate = float(row["rate"])
            met = bool(row["target_met"])
            ax.barh(
                y,
                rate,
                color=AGENCY_COLOUR if met else PARTNERSHIP_COLOUR,
                height=0.7,
                hatch=None if met else "//",
                edgecolor="white",
            )
            ax.text(
                rate + 0.3, y, f"{rate:.1f}% ({row['responses']}/{row['headcount']})", va="center", fontsize=7
            )
    ax.axvline(TARGET_RATE, color=TARGET_COLOUR, linestyle="--", linewidth=1)
    ax.text(TARGET_RATE, -0.9, f" {TARGET_RATE:.0f}% target", fontsize=7, va="bottom")
    ax.set_yticks(range(len(rows)), list(rows["group"]), fontsize=7)
    ax.invert_yaxis()
    top = rows["rate"].astype("Float64").max()
    ax.set_xlim(0, max(float(top) if pd.notna(top) else 0.0, TARGET_RATE) * 1.45 + 1)
    ax.set_xlabel("% of frontline headcount who responded", fontsize=8)
    ax.set_title("Response rate per agency against the 10% target (hatched: below target)", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def plot_themes(ax: Axes, themes: pd.DataFrame, group: str, min_group_size: int, top: int = 6) -> None:
    """The group's most common themes of free text, as % of those who answered, with counts."""
    rows = themes[(themes["group"] == group) & themes["rank"].notna()].sort_values("rank").head(top)
    title = "the partnership" if group == PARTNERSHIP else group
    if themes[(themes["group"] == group)]["suppressed"].any():
        _suppressed_note(ax, 0, min_group_size)
        rows = rows.iloc[0:0]
    for y, (_, row) in enumerate(rows.iterrows()):
        ax.barh(y, float(row["percent"]), color=AGENCY_COLOUR, height=0.7)
        ax.text(float(row["percent"]) + 0.5, y, f"{row['count']}", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [_wrap(str(v), 34) for v in rows["label"]], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("% of those who answered", fontsize=8)
    ax.set_title(f"What staff in {title} would change: top themes (counts on bars)", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
