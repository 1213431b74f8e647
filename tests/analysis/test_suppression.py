"""Small-group suppression, primary and complementary, and that it reaches every output."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.exports import SUPPRESSED_AGENCY, export_table
from analysis.suppression import suppressed_groups, suppressed_total
from tests.analysis.conftest import AGENCIES, SMALL


def hidden(bases, k=10):
    return suppressed_groups(np.array(bases), k).tolist()


def test_nothing_small_nothing_hidden():
    assert hidden([10, 25, 300]) == [False, False, False]


def test_a_lone_small_group_takes_the_next_smallest_with_it():
    assert hidden([4, 50, 12, 300]) == [True, False, True, False]


def test_two_small_groups_that_together_are_still_small_take_a_third():
    # 2 + 3 = 5 could be recovered as a group of five: add the next smallest (11)
    assert hidden([2, 3, 11, 40]) == [True, True, True, False]


def test_two_small_groups_adding_up_to_enough_need_no_more():
    assert hidden([6, 7, 11, 40]) == [True, True, False, False]


def test_empty_groups_are_neither_hidden_nor_cover():
    assert hidden([0, 5, 0, 20, 30]) == [False, True, False, True, False]


def test_rows_are_independent():
    result = suppressed_groups(np.array([[4, 50, 12], [20, 30, 40]]), 10)
    assert result.tolist() == [[True, False, True], [False, False, False]]


def test_when_every_group_is_small_all_are_hidden_and_so_is_a_small_total():
    assert hidden([3, 4]) == [True, True]
    assert suppressed_total(np.array([7, 0, 12]), 10).tolist() == [True, False, False]


def test_export_blanks_small_agencies_and_their_complement(hand_frame):
    table = export_table(hand_frame, SMALL, AGENCIES, min_group_size=3)
    # CCC (1 response) is hidden, and BBB (3) with it; AAA (4) keeps its code; no row is dropped
    assert table["agency"].value_counts().to_dict() == {"AAA": 4, SUPPRESSED_AGENCY: 4}
    assert len(table) == len(hand_frame)


def test_export_keeps_every_agency_when_none_is_small(hand_frame):
    table = export_table(hand_frame, SMALL, AGENCIES, min_group_size=1)
    assert set(table["agency"]) == {"AAA", "BBB", "CCC"}
    assert pd.api.types.is_string_dtype(table["agency"])
