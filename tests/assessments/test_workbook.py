"""The agency's workbook: one row per standard, a rating drop-down, and every problem found on return."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assessments.model import Alternative, Entry, Rating, Return, StandardSet
from assessments.workbook import RoundInfo, WorkbookProblems, read_return, write_template
from tests.assessments.conftest import MET, NOT_MET
from tests.assessments.workbooks import fill, green_everywhere

ROUND = RoundInfo(4, "2026-27", "section11-adults-2018", date(2026, 12, 3))
TODAY = date(2026, 11, 30)


@pytest.fixture
def template(tmp_path: Path, standards: StandardSet) -> Path:
    path = tmp_path / "CSC.xlsx"
    write_template(path, standards, ROUND, ("CSC", "Children's Social Care"))
    return path


def test_the_template_has_one_row_per_standard_and_a_drop_down_of_ratings(
    template: Path, standards: StandardSet
) -> None:
    book = load_workbook(template)
    sheet = book["Standards"]
    assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == [s.id for s in standards]
    assert sheet.cell(8, 4).value.startswith("3a.1 A training needs analysis")
    (ratings, dates) = sheet.data_validations.dataValidation
    assert (ratings.type, ratings.formula1, str(ratings.sqref)) == (
        "list",
        '"Blue,Green,Amber,Red"',
        "E2:E11",
    )
    assert (dates.type, str(dates.sqref)) == ("date", "J2:J11")
    about = book["About"]
    assert (about["B1"].value, about["B3"].value) == ("CSC", 4)


def test_a_filled_workbook_reads_back_screened(template: Path, standards: StandardSet) -> None:
    rows = green_everywhere(standards)
    rows["2a"]["how_met"] = "Family views changed the service; Jane Smith, 07700 900123, told us so."
    rows["3b"] = {
        "rating": "amber",
        "actions": "Audit DBS renewals",
        "lead": "HR lead",
        "due": datetime(2027, 3, 31),
    }
    rows["1c"]["due"] = "31/03/2027"
    fill(template, rows, about={7: "Trust staff survey 2026"})
    read = read_return(template, standards, MET, TODAY)
    returned = read.returned
    assert (read.agency, read.round_id, returned.source, returned.submitted_on) == (
        "CSC",
        4,
        "workbook",
        TODAY,
    )
    assert (
        returned.by_standard["2a"].how_met == "Family views changed the service; [name], [phone], told us so."
    )
    assert returned.by_standard["3b"] == Entry(
        "3b", Rating.AMBER, "", "", "Audit DBS renewals", "HR lead", date(2027, 3, 31)
    )
    assert returned.by_standard["1c"].due == date(2027, 3, 31)
    assert returned.alternative == Alternative("Trust staff survey 2026")


def test_every_problem_is_reported_by_sheet_row_and_column(template: Path, standards: StandardSet) -> None:
    rows = green_everywhere(standards)
    rows["1a"]["rating"] = "Purple"
    rows["1b"]["due"] = "next spring"
    rows["3a"] = {"rating": "Red", "actions": "Train everyone"}  # no lead, no timescale
    rows["4a"] = {"rating": "Green", "how_met": "We take it seriously.", "impact": "Improved outcomes"}
    rows["5a"] = {"rating": None}
    fill(template, rows, about={5: "another-set"})
    with pytest.raises(WorkbookProblems) as raised:
        read_return(template, standards, NOT_MET, TODAY)
    assert [str(p) for p in raised.value.problems] == [
        "About row 5, column B: standards 'another-set' are not this round's ('section11-adults-2018')",
        "Standards row 2, column E (BRAG rating): 'Purple' is not Blue, Green, Amber or Red",
        "Standards row 3, column J (Timescale): 'next spring' is not a date (e.g. 31/03/2027)",
        "Standards row 8, column I (Lead): 3a: Red needs actions to raise it to Green or Blue, "
        "with a lead and a timescale; add a lead and a timescale",
        "Standards row 10, column H (Actions required to raise to Green / Blue): 4a: Amber (rated Green; "
        'Green needs both sections: "how met" does not address any point of the checklist (4a.1, 4a.2, '
        "4a.3)) needs actions to raise it to Green or Blue, with a lead and a timescale; add the actions, "
        "a lead and a timescale",
        "Standards row 11, column E (BRAG rating): 5a: choose a rating (Blue, Green, Amber or Red)",
    ]


def test_a_missing_row_a_duplicate_and_an_unknown_standard_are_named(
    template: Path, standards: StandardSet
) -> None:
    fill(template, green_everywhere(standards))
    book = load_workbook(template)
    sheet = book["Standards"]
    sheet.cell(3, 1, "1a")  # 1b's row now says 1a
    sheet.cell(4, 1, "9z")
    book.save(template)
    with pytest.raises(WorkbookProblems) as raised:
        read_return(template, standards, MET, TODAY)
    assert [str(p) for p in raised.value.problems] == [
        "Standards row 3, column A (Standard): standard 1a is also on row 2",
        "Standards row 4, column A (Standard): unknown standard '9z'",
        "Standards: standard 1b has no row",
        "Standards: standard 1c has no row",
    ]


def test_a_file_that_is_not_a_workbook_is_one_clear_problem(tmp_path: Path, standards: StandardSet) -> None:
    path = tmp_path / "return.xlsx"
    path.write_text("not a spreadsheet", encoding="utf-8")
    with pytest.raises(WorkbookProblems, match=r"return.xlsx: not an Excel workbook"):
        read_return(path, standards, MET, TODAY)


def test_the_template_is_filled_in_from_an_earlier_return(tmp_path: Path, standards: StandardSet) -> None:
    earlier = Return(
        4, "CSC", (Entry("2b", Rating.GREEN, "Threshold use", "Fewer delays"),), alternative=Alternative("X")
    )
    path = tmp_path / "again.xlsx"
    write_template(path, standards, ROUND, ("CSC", "Children's Social Care"), earlier)
    book = load_workbook(path)
    assert [book["Standards"].cell(6, c).value for c in (1, 5, 6)] == ["2b", "Green", "Threshold use"]
    assert book["About"]["B7"].value == "X"
