"""The board's report from hand-made round data: tracker order, escaping, and how it reads in a browser."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from assessments.board import BoardView, board_view
from assessments.evidence import QuestionnaireEvidence
from assessments.gather import RoundData
from assessments.model import Entry, Rating, Return, StandardSet
from assessments.report import render_html, write_report
from storage.assessments import Round
from tests.assessments.conftest import FULL_3A, IMPACT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TODAY = date(2026, 12, 10)
AGENCIES = [
    ("CSC", "Children's Social Care"),
    ("EVIL", "<script>alert(1)</script> Trust"),
    ("VCS", "Voluntary"),
]


def _round_data(round_id: int, returns: dict[str, Return], responses: int) -> RoundData:
    evidence = {code: QuestionnaireEvidence(code, responses, 450) for code, _ in AGENCIES}
    round_ = Round(
        round_id, f"Round {round_id}", "section11-adults-2018", date(2026, 10, 1), date(2026, 12, 3), None, 1
    )
    return RoundData(round_, returns, evidence)


def _return(agency: str, *entries: Entry) -> Return:
    return Return(1, agency, entries, submitted_on=date(2026, 11, 30))


@pytest.fixture
def view(standards: StandardSet) -> BoardView:
    current = _round_data(
        2,
        {
            "CSC": _return(
                "CSC",
                Entry("3a", Rating.BLUE, FULL_3A, IMPACT),
                Entry("2c", Rating.RED, actions="Contracts", lead="Commissioning", due=date(2027, 3, 1)),
                Entry("1a", Rating.AMBER, actions="Board lead", lead="CEO", due=date(2026, 12, 1)),
                Entry(
                    "1b", Rating.AMBER, actions="Done one", lead="CEO", due=date(2026, 11, 1), status="done"
                ),
            ),
            "EVIL": _return("EVIL", Entry("1a", Rating.GREEN, "<b>named lead</b>", "<i>improved</i>")),
        },
        responses=20,
    )
    previous = _round_data(1, {"CSC": _return("CSC", Entry("3a", Rating.AMBER))}, responses=0)
    return board_view(standards, current, previous, standards, AGENCIES, TODAY)


def test_the_tracker_lists_overdue_actions_first_then_by_due_date_and_done_last(view: BoardView) -> None:
    assert [(a.standard, a.overdue, a.status) for a in view.actions] == [
        ("1a", True, "not started"),
        ("2c", False, "not started"),
        ("1b", False, "done"),
    ]


def test_blue_without_questionnaire_evidence_shows_green_with_the_own_rating_beside_it(
    view: BoardView,
) -> None:
    cell = next(c for c in view.agencies[0].cells if c.standard == "3a")
    assert (cell.self_rating, cell.standing, cell.previous, cell.change) == (
        Rating.BLUE,
        Rating.GREEN,
        Rating.AMBER,
        "up",
    )
    assert cell.reasons[0].startswith("Blue needs questionnaire evidence: 20 responses")


def test_everything_an_agency_wrote_is_escaped(view: BoardView) -> None:
    html = render_html(view)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Trust" in html


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (`make browser` installs it)"
)
@pytest.mark.parametrize(("width", "matrix_scrolls"), [(390, True), (1366, False)])
async def test_the_report_reads_on_a_phone_and_a_desktop(
    view: BoardView,
    tmp_path: Path,
    width: int,
    matrix_scrolls: bool,
) -> None:
    paths = write_report(view, tmp_path)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        try:
            page = await (await browser.new_context(viewport={"width": width, "height": 900})).new_page()
            await page.goto(paths[0].as_uri())
            page_width = await page.evaluate("document.documentElement.scrollWidth")
            matrix = await page.evaluate(
                "(() => { const s = document.querySelector('.matrix').parentElement;"
                " return [s.scrollWidth, s.clientWidth]; })()"
            )
            reason = await page.evaluate(
                "(() => { const r = document.querySelector('td[data-label=Why]').getBoundingClientRect();"
                " return r.right; })()"
            )
        finally:
            await browser.close()
    assert page_width <= width  # nothing makes the whole page scroll sideways
    assert (
        matrix[0] > matrix[1]
    ) is matrix_scrolls  # only the matrix scrolls, inside its own box, on a phone
    assert reason <= width  # the reason for a downgrade is readable without scrolling
