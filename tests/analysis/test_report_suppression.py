"""Every report of a demo wave, rendered for real, shows no hidden figure in any output (issue 13).

The wave is built so that every kind of hiding happens: Public Health has 7
responses (too few), Clinical Commissioning Group 17 (hidden as cover, so
Public Health cannot be worked out by subtraction), Education is large but only
4 of its people answered the referral-feedback question, and the Voluntary and
Community Sector has 15 free-text answers (enough for counts, too few for
quotes). The same wave is collated without suppression to learn the true
figures; each true figure that the real reports hide, and that no shown figure
happens to equal, must then be absent from the HTML (alt text included), the
PDF's text, the charts' text, the XLSX and the CSVs. Words written only by the
hidden groups must be absent too. The PDFs are also checked for A4 pages and
for text that runs off the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pdfplumber
import pytest
from openpyxl import load_workbook

from analysis.collate import collate
from analysis.findings import versus_rest
from analysis.measures import load_measures
from analysis.reports import build_charts, write_reports
from analysis.summaries import PARTNERSHIP
from analysis.synthetic import generate
from analysis.themes import load_codebook
from common.partnership import load_partnership
from surveys.loader import load_definitions
from tests.helpers.shared import ROOT

pytestmark = pytest.mark.slow

PARTNERSHIP_FILE = load_partnership(ROOT / "config" / "partnership.example.yaml")
DEFINITION = load_definitions(PARTNERSHIP_FILE)["practitioner"]
AGENCIES = [(a.code, a.headcount) for a in PARTNERSHIP_FILE.agencies]
CODES = [c for c, _ in AGENCIES]
NAMES = {a.code: a.name for a in PARTNERSHIP_FILE.agencies}
TOO_FEW, COVER, BIG, FEW_QUOTES = "PH", "CCG", "EDU", "VCS"
SIZES = {TOO_FEW: 7, COVER: 17, "OTHER": 0}
SECRET_WORDS = {TOO_FEW: "zebra", COVER: "okapi", FEW_QUOTES: "aardvark"}
A4 = (595.28, 841.89)  # points
MARGIN = 14 * 72 / 25.4  # the template's 14mm side margins, in points


def demo_frame(size: int, wave: int, seed: int) -> pd.DataFrame:
    """Synthetic responses with the small groups this test needs (see the module docstring)."""
    frame = generate(DEFINITION, AGENCIES, size, wave=wave, months=["2026-05"], seed=seed)
    rng = np.random.default_rng(seed)
    agency = frame["agency"].astype(str).to_numpy(dtype=object)
    agency[np.isin(agency, list(SIZES))] = BIG
    for code, count in SIZES.items():
        rows = rng.choice(np.flatnonzero(agency == BIG), size=count, replace=False)
        agency[rows] = code
    frame["agency"] = pd.Categorical(agency, categories=CODES, ordered=True)
    big = np.flatnonzero(agency == BIG)
    answered = big[frame["referral_feedback"].iloc[big].notna().to_numpy()]
    frame.loc[answered[4:], "referral_feedback"] = None  # 4 answers left in a large agency
    # as in issue 13: the small agency was not asked an item that the cover agency answered, so
    # that item's own bases alone would not hide the cover agency (1 of 11 said "Always")
    frame.loc[agency == TOO_FEW, "referral_feedback"] = None
    cover = np.flatnonzero(agency == COVER)
    frame.loc[cover, "raised_concern"] = "Yes"
    frame.loc[cover, "referral_feedback"] = ["Always"] + ["Sometimes"] * 10 + [None] * (len(cover) - 11)
    text = np.array(frame["one_change"].astype(object), dtype=object)
    vcs = np.flatnonzero(agency == FEW_QUOTES)
    text[vcs[15:]] = None
    text[vcs[:15]] = "More staff please"
    for code, word in SECRET_WORDS.items():
        rows = np.flatnonzero(agency == code)[:3]
        text[rows] = f"More safeguarding training for our {word} team please"
    frame["one_change"] = pd.array(text, dtype="str")
    return frame


def summarise(frame: pd.DataFrame, previous: pd.DataFrame, min_group_size: int):
    return collate(
        frame,
        DEFINITION,
        load_measures(DEFINITION, CODES),
        dict(AGENCIES),
        min_group_size,
        wave=5,
        previous=previous,
        codebook=load_codebook("one_change"),
        min_quote_size=20,
        demo=True,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    frame, previous = demo_frame(3000, 5, 11), demo_frame(2500, 4, 12)
    summary = summarise(frame, previous, 10)
    truth = summarise(frame, previous, 1)
    reasons = summary.responses.set_index("group")["reason"]
    assert reasons[TOO_FEW] == "too_few"
    assert reasons[COVER] == "cover"
    assert (reasons.drop([TOO_FEW, COVER]) == "").all()
    root = tmp_path_factory.mktemp("reports")
    groups = [*CODES, PARTNERSHIP]
    folders = {
        f.name: f for f in write_reports(summary, DEFINITION, groups, root, NAMES, "Survey", workers=2)
    }
    charts = []
    for group in groups:
        cut = summary if group == PARTNERSHIP else summary.for_agency(group)
        charts.extend(build_charts(cut, DEFINITION, group, NAMES))
    return summary, truth, folders, charts


def _pairs(table: pd.DataFrame, count: str, base: str) -> set[str]:
    rows = table[table[count].notna() & table[base].notna()]
    return {f"{int(c)}/{int(b)}" for c, b in zip(rows[count], rows[base], strict=True)}


def hidden_strings(summary, truth) -> set[str]:
    """ "count/base" as the reports write it, for every hidden figure no shown figure shares."""
    hidden, shown = set(), set()
    for real, full, count, base in (
        (summary.figures, truth.figures, "count", "base"),
        (summary.responses, truth.responses, "responses", "headcount"),
        (summary.distributions, truth.distributions, "count", "base"),
    ):
        mask = real["suppressed"].to_numpy(bool)
        hidden |= _pairs(full[mask], count, base)
        shown |= _pairs(real[~mask], count, base)
    return hidden - shown


def hidden_values(summary, truth) -> set[float]:
    """Hidden percentages (one decimal, as the workbook has them) equal to no number the reports may show.

    What may be shown is every number left in the suppressed summary (last wave, changes and
    intervals included) and each agency's comparison with the rest of the partnership."""
    hidden, shown = set(), set()
    for real, full, column in (
        (summary.figures, truth.figures, "value"),
        (summary.responses, truth.responses, "rate"),
        (summary.distributions, truth.distributions, "percent"),
        (summary.themes, truth.themes, "percent"),
    ):
        mask = real["suppressed"].to_numpy(bool)
        hidden |= {round(float(v), 1) for v in full.loc[mask, column].dropna()}
    tables = [summary.figures, summary.responses, summary.distributions, summary.themes, summary.comparison]
    tables += [versus_rest(summary, code) for code in CODES]
    for table in tables:
        for column in table.select_dtypes("number"):
            shown |= {round(float(v), 1) for v in table[column].dropna()}
    return hidden - shown


def texts(folders: dict[str, Path]) -> dict[str, str]:
    """Every report's HTML source (alt text included) and PDF text, by file."""
    out = {}
    for folder in folders.values():
        page = (folder / "report.html").read_text(encoding="utf-8")
        out[str(folder / "report.html")] = re.sub(r"data:image/png;base64,[^\"]*", "", page)  # alt text stays
        with pdfplumber.open(folder / "report.pdf") as pdf:
            out[str(folder / "report.pdf")] = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return out


def cells(folders: dict[str, Path]) -> dict[str, list[object]]:
    """Every cell of every workbook and CSV, by file."""
    out: dict[str, list[object]] = {}
    for folder in folders.values():
        book = load_workbook(folder / "report.xlsx")
        out[str(folder / "report.xlsx")] = [
            c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row
        ]
        for csv in folder.glob("*.csv"):
            table = pd.read_csv(csv)
            out[str(csv)] = [v for column in table for v in table[column]]
    return out


def test_the_wave_hides_figures_worth_looking_for(rendered):
    summary, truth, _, _ = rendered
    strings = hidden_strings(summary, truth)
    # the cover agency's own response count and figures are among them, and so is the small item base
    assert any(s.endswith("/17") for s in strings)
    assert "1/11" in strings
    assert "0/4" in strings or any(re.fullmatch(r"\d/4", s) for s in strings)
    assert len(hidden_values(summary, truth)) >= 3


def test_no_hidden_count_and_base_in_any_page_pdf_or_chart(rendered):
    summary, truth, folders, charts = rendered
    pattern = re.compile(
        r"(?<![\d/])(" + "|".join(re.escape(s) for s in sorted(hidden_strings(summary, truth))) + r")(?![\d])"
    )
    found = {name: pattern.findall(text) for name, text in texts(folders).items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    drawn = [text for chart in charts for text in (*chart.texts, chart.alt)]
    assert [t for t in drawn if pattern.search(t)] == []


def test_no_hidden_percentage_in_any_workbook_or_csv(rendered):
    summary, truth, folders, _ = rendered
    hidden = hidden_values(summary, truth)
    found = {
        name: sorted({round(v, 1) for v in values if isinstance(v, float) and round(v, 1) in hidden})
        for name, values in cells(folders).items()
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_hidden_agencies_rows_are_blank_in_every_workbook_and_csv(rendered):
    _, _, folders, _ = rendered
    for folder in folders.values():
        for csv in folder.glob("*.csv"):
            table = pd.read_csv(csv)
            if "Agency" not in table:
                continue
            rows = table[table["Agency"].isin([NAMES[TOO_FEW], NAMES[COVER]])]
            if rows.empty:
                continue
            numbers = rows.select_dtypes("number").drop(
                columns=["Frontline headcount", "Rank"], errors="ignore"
            )
            assert numbers.isna().all().all(), csv
            assert rows["Note"].str.startswith("suppressed").all(), csv


def test_words_written_only_by_hidden_groups_appear_nowhere(rendered):
    _, _, folders, charts = rendered
    everything = [*texts(folders).values(), *(str(v) for vs in cells(folders).values() for v in vs)]
    everything += [text for chart in charts for text in (*chart.texts, chart.alt)]
    for word in SECRET_WORDS.values():
        assert not any(word in text for text in everything), word


def test_each_hidden_group_is_told_the_true_reason(rendered):
    _, _, folders, _ = rendered
    cover = (folders[COVER] / "report.html").read_text(encoding="utf-8")
    assert "figures are not shown</strong>: hidden so that another small group" in cover
    assert "figures are not shown</strong>: too few responses" not in cover
    few = (folders[TOO_FEW] / "report.html").read_text(encoding="utf-8")
    assert "figures are not shown</strong>: too few responses (fewer than 10)" in few
    notes = pd.read_csv(folders[COVER] / "responses.csv").set_index("Agency")["Note"]
    assert notes[NAMES[COVER]].startswith("suppressed: hidden so that another small group")
    board = (folders["partnership"] / "report.html").read_text(encoding="utf-8")
    assert f"{NAMES[COVER]}: all figures hidden (hidden so that another small group" in board
    assert f"{NAMES[TOO_FEW]}: all figures hidden (too few responses" in board


def test_a_small_item_base_in_a_large_agency_is_hidden_with_its_reason(rendered):
    summary, _, folders, _ = rendered
    row = summary.figures.set_index(["group", "measure"]).loc[(BIG, "referral_outcome_always")]
    assert row["suppressed"]
    assert row["reason"] == "too_few"
    headline = pd.read_csv(folders[BIG] / "headline.csv").set_index("Measure")
    assert pd.isna(headline.loc["Always told the outcome of their referrals", NAMES[BIG]])


def test_quotes_need_more_answers_than_counts(rendered):
    summary, _, folders, _ = rendered
    themes = summary.themes[summary.themes["group"] == FEW_QUOTES]
    assert not themes["suppressed"].any()  # 15 answered: counts are shown
    assert themes["quotes"].map(len).sum() == 0  # but no quotes under 20
    page = (folders[FEW_QUOTES] / "report.html").read_text(encoding="utf-8")
    assert "No quotes are shown: quotes appear only where at least 20 people answered" in page
    big = summary.themes[summary.themes["group"] == BIG]
    assert big["quotes"].map(len).sum() > 0


def test_every_output_says_it_is_a_demonstration(rendered):
    _, _, folders, _ = rendered
    for folder in folders.values():
        assert "Demonstration data" in (folder / "report.html").read_text(encoding="utf-8")
        with pdfplumber.open(folder / "report.pdf") as pdf:
            assert all("DEMONSTRATION DATA" in (page.extract_text() or "") for page in pdf.pages)
        for csv in folder.glob("*.csv"):
            assert set(pd.read_csv(csv)["Data"]) == {"DEMONSTRATION: synthetic responses, not real"}
        book = load_workbook(folder / "report.xlsx")
        assert all(sheet["A1"].value == "Data" for sheet in book)


def test_pdf_pages_are_all_a4_and_nothing_runs_off_the_page(rendered):
    _, _, folders, _ = rendered
    for folder in folders.values():
        with pdfplumber.open(folder / "report.pdf") as pdf:
            for page in pdf.pages:
                assert (round(page.width, 1), round(page.height, 1)) == (round(A4[0], 1), round(A4[1], 1))
                off = [
                    c["text"]
                    for c in page.chars
                    if c["text"].strip() and (c["x0"] < MARGIN - 1 or c["x1"] > page.width - MARGIN + 1)
                ]
                assert off == [], (folder.name, page.page_number, "".join(off)[:80])
                for rect in page.rects:
                    assert rect["x0"] >= MARGIN - 1, (folder.name, page.page_number)
                    assert rect["x1"] <= page.width - MARGIN + 1, (folder.name, page.page_number)


def test_pdf_has_the_themes_quotes_and_the_method(rendered):
    summary, _, folders, _ = rendered
    with pdfplumber.open(folders[BIG] / "report.pdf") as pdf:
        text = " ".join((page.extract_text() or "") for page in pdf.pages)
    text = " ".join(text.split())
    assert "Key findings" in text
    assert "What staff would change" in text
    assert "How to read this report" in text
    quote = next(q for qs in summary.themes[summary.themes["group"] == BIG]["quotes"] for q in qs)
    assert " ".join(quote.split()[:3]) in text
