"""The tidy frame, the export layout and Submissions all describe the same answers."""

from __future__ import annotations

import pandas as pd

from analysis.frame import export_frame, multi_column, submissions
from tests.analysis.conftest import AGENCIES, SMALL


def test_columns_are_typed_from_the_definition(hand_frame):
    assert isinstance(hand_frame["agency"].dtype, pd.CategoricalDtype)
    assert list(hand_frame["agency"].cat.categories) == list(AGENCIES)
    assert hand_frame["recency"].cat.ordered
    assert list(hand_frame["recency"].cat.categories) == ["Recent", "Old", "Never"]
    assert str(hand_frame["joint"].dtype) == "Int64"
    assert str(hand_frame[multi_column("tools", "DASH")].dtype) == "boolean"
    assert pd.api.types.is_string_dtype(hand_frame["change"])


def test_an_item_not_shown_is_missing_not_a_value(hand_frame):
    by_id = hand_frame.set_index("response_id")
    assert pd.isna(by_id.loc["r3", "applied"])
    assert pd.isna(by_id.loc["r3", "feedback"])
    assert pd.isna(by_id.loc["r2", "change"])


def test_export_joins_multi_choice_in_listed_order_and_leaves_skips_empty(hand_frame):
    table = export_frame(hand_frame, SMALL, AGENCIES)
    assert list(table.columns[:3]) == ["agency", "wave", "submitted_month"]
    assert [c for c in table.columns[3:]] == [i.id for i in SMALL.items if i.id != "agency"]
    first = table.iloc[0]
    assert first["tools"] == "Neglect Tool; DASH"
    assert first["joint"] == 4
    assert first["agency"] == "AAA"
    assert first["submitted_month"] == "2026-05"
    assert pd.isna(table.iloc[2]["applied"])
    assert pd.isna(table.iloc[1]["change"])


def test_submissions_round_trip_every_answer(hand_frame):
    (first, month), *_ = list(submissions(hand_frame, SMALL, AGENCIES))
    assert month == "2026-05"
    assert first.agency == "AAA"
    assert first.answers == {
        "agency": "AAA",
        "recency": "Recent",
        "applied": "Agree",
        "raised": "Yes",
        "feedback": "Always",
        "tools": ("Neglect Tool", "DASH"),
        "joint": 4,
        "change": "more training",
    }
