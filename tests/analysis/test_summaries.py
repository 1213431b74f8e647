"""Figures against hand-computed expectations on eight responses (tests/analysis/conftest.py).

With MIN_GROUP_SIZE 3: CCC has one response, so its figures are suppressed,
and BBB (the next smallest) is suppressed with it wherever CCC has a base,
so CCC cannot be recovered as partnership minus AAA minus BBB.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.summaries import comparison_table, summarise
from tests.analysis.conftest import HEADCOUNTS, SMALL

NA = pd.NA
K = 3


def expected(groups, count, base, value, suppressed) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": pd.Series(groups, dtype="str"),
            "count": pd.array(count, dtype="Int64"),
            "base": pd.array(base, dtype="Int64"),
            "value": pd.array(value, dtype="Float64"),
            "suppressed": suppressed,
        }
    )


def figure(summary, measure: str) -> pd.DataFrame:
    rows = summary.figures[summary.figures["measure"] == measure]
    return rows[["group", "count", "base", "value", "suppressed"]].reset_index(drop=True)


@pytest.fixture
def summary(hand_frame, small_measures):
    return summarise(hand_frame, SMALL, small_measures, HEADCOUNTS, K)


def test_trained_share_suppresses_the_single_response_and_its_complement(summary):
    assert_frame_equal(
        figure(summary, "trained"),
        expected(
            ["AAA", "BBB", "CCC", "ALL"],
            [3, NA, NA, 6],
            [4, NA, NA, 8],
            [75.0, NA, NA, 75.0],
            [False, True, True, False],
        ),
    )


def test_share_of_those_who_made_a_referral_names_its_denominator(summary):
    rows = summary.figures[summary.figures["measure"] == "told"]
    assert set(rows["of"]) == {"of those who made a referral"}
    # bases 2, 2, 1 are all below 3; the partnership's 3 of 5 still shows
    assert_frame_equal(
        figure(summary, "told"),
        expected(
            ["AAA", "BBB", "CCC", "ALL"],
            [NA, NA, NA, 3],
            [NA, NA, NA, 5],
            [NA, NA, NA, 60.0],
            [True, True, True, False],
        ),
    )


def test_agree_counts_only_those_asked_and_an_agency_hidden_overall_stays_hidden(summary):
    # BBB's own base here (3) is not small, but BBB is hidden at the response level (as cover
    # for CCC), so showing 2/3 for it would reveal what its response count hides (issue 13)
    two_thirds = 200 / 3
    assert_frame_equal(
        figure(summary, "agree:applied"),
        expected(
            ["AAA", "BBB", "CCC", "ALL"],
            [2, NA, NA, 4],
            [3, NA, NA, 6],
            [two_thirds, NA, NA, two_thirds],
            [False, True, True, False],
        ),
    )
    reasons = summary.figures[summary.figures["measure"] == "agree:applied"]["reason"].tolist()
    assert reasons == ["", "cover", "too_few", ""]
    assert set(summary.figures.loc[summary.figures["measure"] == "agree:applied", "of"]) == {
        "of those who have had training"
    }


def test_use_of_each_tool(summary):
    assert_frame_equal(
        figure(summary, "use:tools:Neglect Tool"),
        expected(
            ["AAA", "BBB", "CCC", "ALL"],
            [2, NA, NA, 3],
            [4, NA, NA, 8],
            [50.0, NA, NA, 37.5],
            [False, True, True, False],
        ),
    )
    assert_frame_equal(
        figure(summary, "use:tools:DASH"),
        expected(
            ["AAA", "BBB", "CCC", "ALL"],
            [2, NA, NA, 4],
            [4, NA, NA, 8],
            [50.0, NA, NA, 50.0],
            [False, True, True, False],
        ),
    )


def test_mean_rating_and_its_spread(summary):
    rows = summary.figures[summary.figures["measure"] == "mean:joint"].set_index("group")
    assert rows.loc["AAA", "value"] == pytest.approx(3.5)
    assert rows.loc["AAA", "sd"] == pytest.approx(math.sqrt(1.25))
    assert rows.loc["ALL", "value"] == pytest.approx(27 / 8)
    assert rows.loc["ALL", "sd"] == pytest.approx(math.sqrt(105 / 8 - (27 / 8) ** 2))
    assert rows.loc["ALL", "base"] == 8
    assert rows["count"].isna().all()  # a mean has a base, not a count
    assert rows.loc["BBB", "suppressed"]
    assert pd.isna(rows.loc["BBB", "value"])


def test_distribution_of_an_item(summary):
    rows = summary.distributions[(summary.distributions["item"] == "recency")]
    aaa = rows[rows["group"] == "AAA"].reset_index(drop=True)
    assert aaa["value"].tolist() == ["Recent", "Old", "Never"]
    assert aaa["count"].tolist() == [2, 1, 1]
    assert aaa["percent"].tolist() == [50.0, 25.0, 25.0]
    everyone = rows[rows["group"] == "ALL"]
    assert everyone["count"].tolist() == [4, 2, 2]
    # CCC's one answer is hidden in every category, and so is BBB's row, so ALL - AAA - BBB recovers nothing
    hidden = rows[rows["group"].isin(["BBB", "CCC"])]
    assert hidden["suppressed"].all()
    assert hidden["count"].isna().all()


def test_response_rates_against_headcount_and_target(summary):
    table = summary.responses.set_index("group")
    assert table.loc["AAA", "responses"] == 4
    assert table.loc["AAA", "rate"] == pytest.approx(10.0)
    assert bool(table.loc["AAA", "target_met"]) is True
    assert table.loc["CCC", "suppressed"]
    assert pd.isna(table.loc["CCC", "responses"])
    assert table.loc["BBB", "suppressed"]
    assert pd.isna(table.loc["BBB", "rate"])
    assert table.loc["BBB", "headcount"] == 20  # headcounts are configuration, not responses
    # the partnership rate counts agencies with a headcount on both sides: (4 + 3) / (40 + 20)
    assert table.loc["ALL", "responses"] == 8
    assert table.loc["ALL", "headcount"] == 60
    assert table.loc["ALL", "rate"] == pytest.approx(700 / 60)


def test_summary_does_not_change_its_input(hand_frame, small_measures):
    before = hand_frame.copy()
    summarise(hand_frame, SMALL, small_measures, HEADCOUNTS, K, previous=hand_frame)
    assert_frame_equal(hand_frame, before)


def test_for_agency_keeps_only_that_agency_and_the_partnership(summary):
    cut = summary.for_agency("AAA")
    for table in (cut.responses, cut.figures, cut.distributions):
        assert set(table["group"]) == {"AAA", "ALL"}


def _figures(value: float, base: int, unit: str = "%", sd: float | None = None) -> pd.DataFrame:
    count = round(value * base / 100) if unit == "%" else NA
    return pd.DataFrame(
        {
            "group": ["ALL"],
            "measure": ["m"],
            "label": ["M"],
            "of": ["of respondents"],
            "count": pd.array([count], dtype="Int64"),
            "base": pd.array([base], dtype="Int64"),
            "value": pd.array([value], dtype="Float64"),
            "unit": [unit],
            "sd": pd.array([sd], dtype="Float64"),
            "suppressed": [False],
            "reason": [""],
        }
    )


def test_comparison_two_proportion_test_by_hand():
    row = comparison_table(_figures(60.0, 100), _figures(50.0, 100)).iloc[0]
    # pooled p = .55; se = sqrt(.55 * .45 * (1/100 + 1/100)); z = .10 / se
    z = 0.10 / math.sqrt(0.55 * 0.45 * 0.02)
    assert row["change"] == pytest.approx(10.0)
    assert row["z"] == pytest.approx(z)
    assert row["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert row["p_value"] == pytest.approx(0.1552, abs=1e-4)
    assert not row["significant"]
    # unpooled interval: 10 +/- 1.96 * 100 * sqrt(.6*.4/100 + .5*.5/100) = 10 +/- 13.72
    assert row["ci_low"] == pytest.approx(10 - 1.959964 * 7.0, abs=1e-4)
    assert row["ci_high"] == pytest.approx(10 + 1.959964 * 7.0, abs=1e-4)


def test_comparison_flags_a_change_bigger_than_chance():
    row = comparison_table(_figures(70.0, 400), _figures(60.0, 400)).iloc[0]
    assert row["p_value"] == pytest.approx(0.00303, abs=1e-4)
    assert row["significant"]


def test_comparison_of_means_uses_both_spreads():
    row = comparison_table(_figures(3.6, 100, "mean", 1.0), _figures(3.3, 100, "mean", 1.0)).iloc[0]
    assert row["z"] == pytest.approx(0.3 / math.sqrt(0.02))
    assert row["significant"]


def test_comparison_is_suppressed_when_either_wave_is():
    current, previous = _figures(60.0, 100), _figures(50.0, 100)
    previous.loc[0, ["value", "count", "base"]] = NA
    previous["suppressed"] = True
    previous["reason"] = "too_few"
    row = comparison_table(current, previous).iloc[0]
    assert row["suppressed"]
    assert row["reason"] == "too_few"  # the reason travels with the hidden figure
    assert pd.isna(row["change"])
    assert pd.isna(row["p_value"])


def test_previous_wave_comparison_in_the_summary(hand_frame, small_measures):
    earlier = hand_frame.assign(wave=1)
    earlier["recency"] = pd.Categorical(["Never"] * 8, categories=["Recent", "Old", "Never"], ordered=True)
    summary = summarise(hand_frame, SMALL, small_measures, HEADCOUNTS, K, previous=earlier)
    row = summary.comparison.set_index(["group", "measure"]).loc[("ALL", "trained")]
    assert summary.previous_wave == 1
    assert row["previous"] == 0.0
    assert row["value"] == 75.0
    assert row["change"] == 75.0
    assert row["significant"]
    assert np.isclose(row["z"], 0.75 / math.sqrt(0.375 * 0.625 * (2 / 8)))


def test_theme_counts_and_quotes_respect_suppression(hand_frame):
    from dataclasses import replace

    from analysis.summaries import theme_table
    from analysis.themes import code_column, load_codebook

    frame = hand_frame.copy()
    frame["change"] = pd.array(
        [
            "more training",
            "training please",
            "more staff",
            "call Mr Smith about training",
            "staff",
            "training days",
            None,
            "training from ccc only",
        ],
        dtype="str",
    )
    book = replace(load_codebook("one_change"), item="change")
    table = theme_table(frame, code_column(frame["change"], book), book, K).set_index(["group", "theme"])
    assert table.loc[("AAA", "training"), "count"] == 3
    assert table.loc[("AAA", "training"), "base"] == 4
    assert table.loc[("AAA", "training"), "rank"] == 1
    # redacted again before it is shown
    quotes = table.loc[("AAA", "training"), "quotes"]
    assert any("[name]" in q for q in quotes)
    assert not any("Smith" in q for q in quotes)
    # CCC (one answer) and BBB (its complement) show nothing, and CCC's words are not quoted for ALL
    for group in ("BBB", "CCC"):
        assert table.loc[(group, "training"), "suppressed"]
        assert table.loc[(group, "training"), "quotes"] == ()
    assert table.loc[("ALL", "training"), "count"] == 5
    assert "training from ccc only" not in table.loc[("ALL", "training"), "quotes"]
    assert len(table.loc[("ALL", "training"), "quotes"]) == 3
