"""Report files open: HTML parses with its charts embedded, XLSX loads with numbers, PNGs decode, PDF."""

from __future__ import annotations

import base64
import dataclasses
import io
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pandas as pd
import pdfplumber
import pytest
from openpyxl import load_workbook

from analysis.collate import collate
from analysis.impact import annex_tables, issues, write_impact_annex
from analysis.measures import load_measures
from analysis.reports import _partnership_rows, compare_view, report_dir, write_report
from analysis.summaries import PARTNERSHIP
from analysis.synthetic import generate
from analysis.themes import load_codebook
from common.partnership import load_partnership
from surveys.loader import load_definitions
from tests.helpers.shared import ROOT

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def setup():
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    definitions = load_definitions(partnership)
    return partnership, definitions


@pytest.fixture(scope="module")
def written(setup, tmp_path_factory):
    partnership, definitions = setup
    definition = definitions["practitioner"]
    agencies = [(a.code, a.headcount) for a in partnership.agencies]
    codes = [c for c, _ in agencies]
    frame = generate(definition, agencies, 1500, wave=3, months=["2026-05"], seed=4)
    previous = generate(definition, agencies, 1200, wave=2, months=["2025-05"], seed=5)
    summary = collate(
        frame,
        definition,
        load_measures(definition, codes),
        dict(agencies),
        10,
        wave=3,
        previous=previous,
        codebook=load_codebook("one_change"),
    )
    names = {a.code: a.name for a in partnership.agencies}
    root = tmp_path_factory.mktemp("reports")
    small = next(code for code in codes if summary.responses.set_index("group").loc[code, "suppressed"])
    big = "EDU"
    folders = {
        group: write_report(
            summary if group == PARTNERSHIP else summary.for_agency(group),
            definition,
            group,
            root,
            names,
            "Survey",
        )
        for group in (big, small, PARTNERSHIP)
    }
    return summary, folders, big, small


def test_report_folders_follow_the_served_layout(written):
    _, folders, big, _ = written
    assert folders[big] == report_dir(folders[big].parents[1], 3, big)
    assert folders[PARTNERSHIP].name == "partnership"


def test_html_parses_and_embeds_decodable_charts(written):
    _, folders, big, _ = written
    page = Page()
    page.feed((folders[big] / "report.html").read_text(encoding="utf-8"))
    assert "table" in page.tags
    assert page.images
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        image = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert image.shape[0] > 100
        assert image.shape[1] > 100
    text = " ".join(page.text)
    assert "Key findings" in text
    assert "of those who made a referral" in text
    assert "<script" not in (folders[big] / "report.html").read_text(encoding="utf-8")


def test_html_is_readable_on_a_phone_and_printable(written):
    _, folders, big, _ = written
    html = (folders[big] / "report.html").read_text(encoding="utf-8")
    assert 'name="viewport"' in html
    assert "@media print" in html
    assert "size:A4 portrait" in html
    assert "overflow-x:auto" in html


def test_png_files_decode(written):
    _, folders, _, _ = written
    for png in Path(folders[PARTNERSHIP]).glob("chart-*.png"):
        assert matplotlib.image.imread(png).ndim == 3


def test_workbook_has_a_sheet_per_section_with_numbers_as_numbers(written):
    _, folders, big, _ = written
    book = load_workbook(folders[big] / "report.xlsx")
    assert {"Responses and response rate", "Headline figures", "Answers to every question"} <= set(
        book.sheetnames
    )
    sheet = book["Responses and response rate"]
    header = [c.value for c in sheet[1]]
    responses = [row[header.index("Responses")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int) for v in responses)
    headline = book["Headline figures"]
    column = [c.value for c in headline[1]].index("Education (schools and colleges)") + 1
    values = [row[0].value for row in headline.iter_rows(min_row=2, min_col=column, max_col=column)]
    values = [v for v in values if v is not None]
    assert values
    assert all(isinstance(v, int | float) for v in values)


def test_an_agency_report_shows_only_that_agency_and_the_partnership(written):
    _, folders, big, _ = written
    rows = pd.read_csv(folders[big] / "responses.csv")
    assert rows["Agency"].tolist() == ["Education (schools and colleges)", "Partnership"]


def test_csv_and_pdf_are_written(written):
    _, folders, big, _ = written
    assert (folders[big] / "report.pdf").read_bytes().startswith(b"%PDF")
    headline = pd.read_csv(folders[big] / "headline.csv")
    assert "Measure" in headline.columns
    assert len(headline) > 10


def test_a_suppressed_agency_shows_no_figures_and_no_quotes(written):
    summary, folders, _, small = written
    responses = pd.read_csv(folders[small] / "responses.csv")
    own = responses.iloc[0]
    assert pd.isna(own["Responses"])
    assert "suppressed" in own["Note"]
    themes = pd.read_csv(folders[small] / "themes.csv")
    mine = themes[themes["Agency"] != "Partnership"]
    assert mine["Example quotes (redacted)"].isna().all()
    assert mine["Count"].isna().all()
    assert not summary.themes[summary.themes["group"] == small]["quotes"].map(len).any()


def test_impact_annex_lists_issues_by_category_and_agency(setup, tmp_path):
    _, definitions = setup
    definition = definitions["impact-assessment"]
    responses = pd.DataFrame({"response_id": ["a", "b"], "agency": ["CSC", "TVP"]})
    answers = pd.DataFrame(
        {
            "response_id": ["a", "a", "b"],
            "item": ["impact_q1", "impact_q1", "impact_q1"],
            "ordinal": [1, 2, 1],
            "value": [
                "Overspend on placements",
                "Recruitment of social workers",
                "Rise in domestic abuse referrals",
            ],
        }
    )
    found = issues(responses, answers, definition)
    assert found[["agency", "category"]].values.tolist() == [
        ["CSC", "lack-of-resource"],
        ["CSC", "staffing-pressure"],
        ["TVP", "rise-in-demand"],
    ]
    q1 = annex_tables(found, definition, ["CSC", "TVP"])[0].table.set_index("Category")
    assert q1.loc["Rise in demand", "TVP"] == "• Rise in domestic abuse referrals"
    assert q1.loc["Lack of resource", "Issues"] == 1
    assert q1.loc["Rise in demand", "CSC"] == ""
    folder = write_impact_annex(
        tmp_path, found, definition, ["CSC", "TVP"], {"CSC": "Children's Social Care"}
    )
    assert len(load_workbook(folder / "impact-annex.xlsx").sheetnames) == 6
    Page().feed((folder / "impact-annex.html").read_text(encoding="utf-8"))


def test_the_partnership_report_lists_every_agency_one_row_each(written):
    summary, folders, _, _ = written
    headline = pd.read_csv(folders[PARTNERSHIP] / "headline.csv")
    assert headline["Agency"].nunique() == len(summary.groups)
    assert "Partnership" in set(headline["Agency"])
    hidden = headline[headline["Note"].fillna("").str.startswith("suppressed")]
    assert hidden["% or mean"].isna().all()
    assert hidden["Count"].isna().all()
    assert {"Last wave", "Change", "Change beyond chance"} <= set(headline.columns)


def test_a_measure_with_no_test_possible_against_last_wave_renders_unmarked(written):
    """Regression: a comparison row whose change and test are NA (no figure to compare with) made
    `analysis report` fail with "boolean value of NA is ambiguous"."""
    summary, _, big, _ = written
    comparison = summary.comparison.copy()
    comparison["change"] = comparison["change"].astype("Float64")
    comparison.loc[comparison["group"].isin([big, PARTNERSHIP]), ["change", "significant"]] = pd.NA
    broken = dataclasses.replace(summary, comparison=comparison)
    rows = compare_view(broken, big)
    assert rows
    assert all("change_mark" not in row for row in rows)
    assert all("interval" not in row for row in _partnership_rows(broken))


def test_every_pdf_page_is_numbered_in_its_footer(written):
    _, folders, big, _ = written
    with pdfplumber.open(folders[big] / "report.pdf") as pdf:
        total = len(pdf.pages)
        footers = [page.extract_text().splitlines()[-1] for page in pdf.pages]
    assert total > 1
    assert all(line.endswith(f"Page {n} of {total}") for n, line in enumerate(footers, start=1)), footers
