"""An agency's self-assessment as an Excel workbook: the template it downloads, and reading it back.

The template has an "About" sheet (agency, round, return date, the optional
alternative questionnaire) and a "Standards" sheet with one row per standard
and a drop-down on the rating column. Reading it back reports every problem at
once, each with its sheet, row and column, including the rules' refusals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from assessments.evidence import QuestionnaireEvidence, with_declared
from assessments.model import Alternative, Entry, Rating, Return, StandardSet
from assessments.rules import Judgement, judge_all, refusals
from assessments.screening import screen, storable

ABOUT = "About"
STANDARDS = "Standards"
COLUMNS = (
    ("standard", "Standard", 10),
    ("part", "Part", 28),
    ("title", "Standard title", 34),
    ("checklist", "Compliance checklist (what to evidence)", 60),
    ("rating", "BRAG rating", 14),
    ("how_met", "Describe / identify how your organisation meets this standard", 60),
    (
        "impact",
        "What impact has this had on outcomes for children and adults with care and support needs",
        60,
    ),
    ("actions", "Actions required to raise to Green / Blue", 50),
    ("lead", "Lead", 24),
    ("due", "Timescale (date, e.g. 31/03/2027)", 18),
)
COLUMN = {key: index + 1 for index, (key, _, _) in enumerate(COLUMNS)}
ABOUT_ROWS = (
    "Agency code",
    "Agency",
    "Round",
    "Round title",
    "Standards",
    "Return by",
    "Alternative questionnaire",
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y")
FILL = {
    Rating.BLUE: "9DC3E6",
    Rating.GREEN: "A9D08E",
    Rating.AMBER: "FFD966",
    Rating.RED: "F4B084",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a returned workbook, where a person can find it."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class WorkbookProblems(Exception):
    """A workbook that cannot be accepted; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class RoundInfo:
    id: int
    title: str
    standards: str
    returns_by: date


def _column_name(key: str) -> str:
    index = COLUMN[key]
    return f"{get_column_letter(index)} ({COLUMNS[index - 1][1].split(' (')[0]})"


def write_template(
    path: Path,
    standards: StandardSet,
    round_: RoundInfo,
    agency: tuple[str, str],
    previous: Return | None = None,
) -> None:
    """Write the agency's workbook; ``previous`` (its earlier return this round) fills the rows in."""
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = ABOUT
    values = (agency[0], agency[1], round_.id, round_.title, standards.id, round_.returns_by, "")
    if previous is not None and previous.alternative is not None:
        values = (*values[:-1], previous.alternative.description)
    for row, (label, value) in enumerate(zip(ABOUT_ROWS, values, strict=True), start=1):
        about.cell(row, 1, label).font = Font(bold=True)
        cell = about.cell(row, 2, value)
        if isinstance(value, date):
            cell.number_format = "DD/MM/YYYY"
    notes = [
        "Fill in the Standards sheet: one row per standard. Do not change columns A to D or this sheet's "
        "first six rows.",
        "Ratings: " + "; ".join(f"{r.label} = {r.meaning}" for r in Rating) + ".",
        "Blue needs every checklist point evidenced in 'how met' and a completed practitioner questionnaire "
        "(or an alternative the board accepts: describe it in B7).",
        "Blue or Green needs both 'how met' and 'impact' to address the checklist, or it stands as Amber.",
        "Amber and Red need actions with a lead and a timescale.",
        "Do not name or identify the children and adults you work with: personal details are removed.",
    ]
    for offset, note in enumerate(notes):
        about.cell(len(ABOUT_ROWS) + 2 + offset, 1, note)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 60

    sheet = book.create_sheet(STANDARDS)
    for key, header, width in COLUMNS:
        cell = sheet.cell(1, COLUMN[key], header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(COLUMN[key])].width = width
    sheet.freeze_panes = "E2"
    given = previous.by_standard if previous is not None else {}
    for row, standard in enumerate(standards, start=2):
        entry = given.get(standard.id, Entry(standard.id))
        part = standards.part_of(standard)
        cells: Mapping[str, Any] = {
            "standard": standard.id,
            "part": f"Part {part.id}: {part.title}",
            "title": standard.title,
            "checklist": "\n".join(f"{p.id} {p.text}" for p in standard.checklist),
            "rating": entry.rating.label if entry.rating else None,
            "how_met": entry.how_met or None,
            "impact": entry.impact or None,
            "actions": entry.actions or None,
            "lead": entry.lead or None,
            "due": entry.due,
        }
        for key, value in cells.items():
            cell = sheet.cell(row, COLUMN[key], value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if key == "due":
                cell.number_format = "DD/MM/YYYY"
    last = len(standards.standards) + 1
    ratings = DataValidation(
        type="list",
        formula1='"' + ",".join(r.label for r in Rating) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="BRAG rating",
        error="Choose Blue, Green, Amber or Red.",
    )
    ratings.add(f"{get_column_letter(COLUMN['rating'])}2:{get_column_letter(COLUMN['rating'])}{last}")
    dates = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Timescale",
        error="Enter a date, e.g. 31/03/2027.",
    )
    dates.add(f"{get_column_letter(COLUMN['due'])}2:{get_column_letter(COLUMN['due'])}{last}")
    sheet.add_data_validation(ratings)
    sheet.add_data_validation(dates)
    for rating, colour in FILL.items():
        sheet.conditional_formatting.add(
            f"E2:E{last}",
            CellIsRule(
                operator="equal", formula=[f'"{rating.label}"'], fill=PatternFill("solid", bgColor=colour)
            ),
        )
    book.save(path)


def _date(value: Any) -> date | str | None:
    """A date from a cell (a real date, or text in a UK or ISO form); the text itself when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return text


@dataclass(frozen=True)
class ReadWorkbook:
    """A workbook read back: which agency and round it says it is for, and the return in it."""

    agency: str
    round_id: int
    returned: Return
    judgements: tuple[
        Judgement, ...
    ]  # each standard's own and standing rating, with the evidence it was read with


def read_header(path: Path) -> tuple[str, int]:
    """(agency code, round id) from the About sheet, so the caller can look up the round's evidence."""
    book = _open(path)
    about, problems = _about(book)
    if problems:
        raise WorkbookProblems(problems)
    return about


def _open(path: Path) -> Any:
    try:
        return load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise WorkbookProblems(
            [Problem(path.name, None, None, f"not an Excel workbook ({type(exc).__name__})")]
        ) from exc


def _about(book: Any) -> tuple[tuple[str, int], list[Problem]]:
    if ABOUT not in book.sheetnames:
        return ("", 0), [Problem(ABOUT, None, None, "the About sheet is missing")]
    sheet = book[ABOUT]
    problems = []
    code = str(sheet.cell(1, 2).value or "").strip()
    if not code:
        problems.append(Problem(ABOUT, 1, "B", "the agency code is missing"))
    round_value = sheet.cell(3, 2).value
    try:
        round_id = int(round_value)
    except (TypeError, ValueError):
        problems.append(Problem(ABOUT, 3, "B", f"the round should be a number, not {round_value!r}"))
        round_id = 0
    return (code, round_id), problems


def read_return(
    path: Path,
    standards: StandardSet,
    evidence: QuestionnaireEvidence,
    today: date,
) -> ReadWorkbook:
    """Read a returned workbook into a submitted Return; WorkbookProblems lists everything wrong with it.

    Text is screened before it is kept; the rules' refusals (a missing rating,
    an Amber or Red without actions, lead and timescale) are problems too,
    reported on the row and column to fix.
    """
    book = _open(path)
    (code, round_id), problems = _about(book)
    if code and code != evidence.agency:
        problems.append(Problem(ABOUT, 1, "B", f"agency code {code!r} is not {evidence.agency!r}"))
    set_id = str(book[ABOUT].cell(5, 2).value or "").strip() if ABOUT in book.sheetnames else ""
    if set_id and set_id != standards.id:
        problems.append(
            Problem(ABOUT, 5, "B", f"standards {set_id!r} are not this round's ({standards.id!r})")
        )
    described = storable(book[ABOUT].cell(7, 2).value) if ABOUT in book.sheetnames else ""
    if STANDARDS not in book.sheetnames:
        raise WorkbookProblems([*problems, Problem(STANDARDS, None, None, "the Standards sheet is missing")])
    sheet: Worksheet = book[STANDARDS]
    headings = [
        Problem(
            STANDARDS, 1, get_column_letter(COLUMN[key]), f"expected the heading {header!r}, found {found!r}"
        )
        for key, header, _ in COLUMNS
        if (found := str(sheet.cell(1, COLUMN[key]).value or "").strip()) != header
    ]
    if headings:  # with columns moved, nothing below can be read reliably
        raise WorkbookProblems([*problems, *headings])
    known = {standard.id for standard in standards}
    entries: dict[str, Entry] = {}
    rows: dict[str, int] = {}
    for row in range(2, sheet.max_row + 1):
        values = {key: sheet.cell(row, COLUMN[key]).value for key, _, _ in COLUMNS}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        standard_id = str(values["standard"] or "").strip()
        if standard_id not in known:
            problems.append(
                Problem(STANDARDS, row, _column_name("standard"), f"unknown standard {standard_id!r}")
            )
            continue
        if standard_id in entries:
            problems.append(
                Problem(
                    STANDARDS,
                    row,
                    _column_name("standard"),
                    f"standard {standard_id} is also on row {rows[standard_id]}",
                )
            )
            continue
        rating = None
        rating_text = str(values["rating"] or "").strip()
        if rating_text:
            rating = Rating.parse(rating_text)
            if rating is None:
                problems.append(
                    Problem(
                        STANDARDS,
                        row,
                        _column_name("rating"),
                        f"{rating_text!r} is not Blue, Green, Amber or Red",
                    )
                )
        due = _date(values["due"])
        if isinstance(due, str):
            problems.append(
                Problem(STANDARDS, row, _column_name("due"), f"{due!r} is not a date (e.g. 31/03/2027)")
            )
            due = None
        rows[standard_id] = row
        entries[standard_id] = Entry(
            standard_id,
            rating,
            screen(values["how_met"]),
            screen(values["impact"]),
            screen(values["actions"]),
            storable(values["lead"]),
            due,
        )
    for standard in standards:
        if standard.id not in entries:
            problems.append(Problem(STANDARDS, None, None, f"standard {standard.id} has no row"))
    alternative = Alternative(described) if described else None
    evidence = with_declared(evidence, described)
    for refusal in refusals(standards, list(entries.values()), evidence):
        if refusal.standard in rows and not any(p.row == rows[refusal.standard] for p in problems):
            problems.append(
                Problem(STANDARDS, rows[refusal.standard], _column_name(refusal.field), refusal.message)
            )
    if problems:
        raise WorkbookProblems(
            sorted(problems, key=lambda p: (p.sheet != ABOUT, p.row is None, p.row or 0, p.column or ""))
        )
    returned = Return(
        round_id,
        code,
        tuple(entries[s.id] for s in standards),
        submitted_on=today,
        source="workbook",
        alternative=alternative,
    )
    judged = tuple(judge_all(standards, returned.entries, evidence).values())
    return ReadWorkbook(code, round_id, returned, judged)
