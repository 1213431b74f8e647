"""The board's view written out: HTML (a Jinja2 template, autoescaped), an XLSX workbook and CSVs."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from assessments.board import BoardView, Cell
from assessments.model import Rating
from assessments.workbook import FILL

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML = "self-assessment.html"
XLSX = "self-assessment.xlsx"
MATRIX_CSV = "matrix.csv"
ACTIONS_CSV = "actions.csv"


def uk_day(when: date) -> str:
    """ "Monday 3 December 2018": how the board writes dates."""
    return f"{when:%A} {when.day} {when:%B %Y}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=False,
    )
    env.filters["day"] = uk_day
    return env


def _label(rating: Rating | None) -> str:
    return rating.label if rating else ""


def _changes(view: BoardView) -> list[Cell]:
    return [cell for row in view.agencies for cell in row.cells if cell.change]


def render_html(view: BoardView) -> str:
    names = {row.code: row.name for row in view.agencies}
    return (
        _environment()
        .get_template("report.html.j2")
        .render(view=view, names=names, ratings=list(Rating), changes=_changes(view))
    )


MATRIX_COLUMNS = (
    "agency",
    "agency_name",
    "standard",
    "self_rating",
    "standing",
    "previous",
    "change",
    "reasons",
)
ACTION_COLUMNS = ("agency", "agency_name", "standard", "rating", "action", "lead", "due", "status", "overdue")


def matrix_rows(view: BoardView) -> list[tuple[object, ...]]:
    """One row per agency and standard (long form, for CSV and spreadsheets)."""
    return [
        (
            row.code,
            row.name,
            cell.standard,
            _label(cell.self_rating),
            _label(cell.standing) if row.returned else "no return",
            _label(cell.previous),
            cell.change,
            "; then ".join(cell.reasons),
        )
        for row in view.agencies
        for cell in row.cells
    ]


def action_rows(view: BoardView) -> list[tuple[object, ...]]:
    """The tracker, overdue first."""
    names = {row.code: row.name for row in view.agencies}
    return [
        (
            a.agency,
            names[a.agency],
            a.standard,
            _label(a.rating),
            a.actions,
            a.lead,
            a.due.isoformat() if a.due else "",
            a.status,
            "yes" if a.overdue else "",
        )
        for a in view.actions
    ]


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # with a BOM, Excel reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _sheet(book: Workbook, title: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"


def write_xlsx(view: BoardView, path: Path) -> None:
    """The same content as the HTML, one sheet per section; the matrix cells are coloured and labelled."""
    book = Workbook()
    matrix = book.active
    assert matrix is not None
    matrix.title = "Matrix"
    matrix.append(["Agency", *(s.id for s in view.standards)])
    for cell in matrix[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(view.agencies, start=2):
        matrix.cell(row_number, 1, row.name)
        for column, cell in enumerate(row.cells, start=2):
            if cell.standing is None:
                matrix.cell(row_number, column, "no return")
                continue
            text = cell.standing.label
            if cell.self_rating is not cell.standing:
                text += f" (own: {_label(cell.self_rating)})"
            target = matrix.cell(row_number, column, text)
            target.fill = PatternFill("solid", fgColor=FILL[cell.standing])
    matrix.column_dimensions["A"].width = 36
    matrix.freeze_panes = "B2"
    _sheet(book, "By standard", MATRIX_COLUMNS, matrix_rows(view))
    _sheet(
        book,
        "Downgrades",
        ("agency", "standard", "self_rating", "standing", "reasons"),
        [
            (c.agency, c.standard, _label(c.self_rating), _label(c.standing), "; then ".join(c.reasons))
            for c in view.downgrades
        ],
    )
    _sheet(
        book,
        "Questionnaire evidence",
        ("agency", "responses", "headcount", "share", "target", "met", "explanation"),
        [
            (
                r.code,
                r.evidence.responses,
                r.evidence.headcount,
                r.evidence.share,
                r.evidence.target,
                "yes" if r.evidence.met else "no",
                r.evidence.explanation,
            )
            for r in view.agencies
        ],
    )
    _sheet(
        book,
        "Comparison",
        ("agency", "standard", "previous", "now", "change"),
        [(c.agency, c.standard, _label(c.previous), _label(c.standing), c.change) for c in _changes(view)],
    )
    _sheet(book, "Actions", ACTION_COLUMNS, action_rows(view))
    book.save(path)


def write_report(view: BoardView, directory: Path) -> list[Path]:
    """Write the HTML, the XLSX and the two CSVs into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    html = directory / HTML
    html.write_text(render_html(view), encoding="utf-8")
    xlsx = directory / XLSX
    write_xlsx(view, xlsx)
    matrix = directory / MATRIX_CSV
    _write_csv(matrix, MATRIX_COLUMNS, matrix_rows(view))
    actions = directory / ACTIONS_CSV
    _write_csv(actions, ACTION_COLUMNS, action_rows(view))
    return [html, xlsx, matrix, actions]
