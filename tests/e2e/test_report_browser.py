"""The HTML reports in a real browser, at a phone's width and a desktop's: page one is readable.

Debian's chromium (``make browser`` installs it) driven by Playwright opens an
agency's report and the partnership's, written from a demo wave by the real
report writer. Skipped, with the reason, where chromium is absent. Set
BROWSER_SCREENSHOTS=<dir> to keep screenshots of page one at each width.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from analysis.collate import collate
from analysis.measures import load_measures
from analysis.reports import write_reports
from analysis.summaries import PARTNERSHIP
from analysis.synthetic import generate
from analysis.themes import load_codebook
from common.partnership import load_partnership
from surveys.loader import load_definitions
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.helpers.shared import ROOT

DESKTOP = {"width": 1280, "height": 900}
AGENCY = "CSC"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (`make browser` installs it)"
    ),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """An agency's report and the partnership's, from a demo wave with a previous wave."""
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    definition = load_definitions(partnership)["practitioner"]
    agencies = [(a.code, a.headcount) for a in partnership.agencies]
    codes = [c for c, _ in agencies]
    frame = generate(definition, agencies, 2000, wave=2, months=["2026-05"], seed=21)
    previous = generate(definition, agencies, 1800, wave=1, months=["2025-05"], seed=22)
    summary = collate(
        frame,
        definition,
        load_measures(definition, codes),
        dict(agencies),
        10,
        wave=2,
        previous=previous,
        codebook=load_codebook("one_change"),
        min_quote_size=20,
        demo=True,
    )
    names = {a.code: a.name for a in partnership.agencies}
    root = tmp_path_factory.mktemp("reports")
    written = write_reports(summary, definition, [AGENCY, PARTNERSHIP], root, names, "Practitioner survey")
    return {folder.name: folder / "report.html" for folder in written}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
async def page(request) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            phone = request.param == PHONE
            context = await browser.new_context(
                viewport=request.param,
                device_scale_factor=2 if phone else 1,
                is_mobile=phone,
                has_touch=phone,
            )
            yield await context.new_page()
        finally:
            await browser.close()


def _screenshots() -> Path | None:
    shots = os.environ.get("BROWSER_SCREENSHOTS")
    if not shots:
        return None
    Path(shots).mkdir(parents=True, exist_ok=True)
    return Path(shots)


async def snap(page: Page, name: str) -> None:
    folder = _screenshots()
    if folder is not None:
        width = page.viewport_size["width"] if page.viewport_size else 0
        await page.screenshot(path=str(folder / f"report-{name}-{width}.png"))


async def fits_the_width(page: Page) -> None:
    """No sideways scrolling of the page itself (wide tables scroll inside their own box)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_an_agency_report_opens_on_its_key_findings_and_contents(page: Page, reports) -> None:
    await page.goto(reports[AGENCY].as_uri())
    heading = page.locator("#key-findings")
    await heading.wait_for()
    assert await heading.is_visible()
    box = await heading.bounding_box()
    assert box is not None
    assert box["y"] < (page.viewport_size or {"height": 0})["height"]
    findings = page.locator("ul.findings").first
    assert await findings.is_visible()
    text = await findings.inner_text()
    assert "response rate" in text
    assert "Top 3 themes" in text
    assert "What suppression hid" in text
    await fits_the_width(page)
    await snap(page, "agency")

    contents = page.locator("nav.contents")
    await contents.scroll_into_view_if_needed()
    assert await contents.is_visible()
    await contents.get_by_role("link", name="Charts").click()
    assert await page.locator("#charts").is_visible()
    images = page.locator("figure img")
    assert await images.count() >= 3
    for n in range(await images.count()):
        image = images.nth(n)
        assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert len(await image.get_attribute("alt") or "") > 40  # alt text states the figures


async def test_the_partnership_report_leads_with_the_league_table_and_links_each_agency(
    page: Page, reports
) -> None:
    await page.goto(reports["partnership"].as_uri())
    await page.locator("#key-findings").wait_for()
    assert await page.locator("ul.findings").first.is_visible()
    assert "agencies met the target" in await page.locator("ul.findings").first.inner_text()
    await fits_the_width(page)
    await snap(page, "partnership")

    contents = page.locator("nav.contents")
    await contents.scroll_into_view_if_needed()
    assert await contents.is_visible()
    assert await contents.get_by_role("link").count() >= 16 + 6  # the sections and one link per agency
    await contents.get_by_role("link", name="Children's Social Care").click()
    section = page.locator("#agency-CSC")
    assert await section.is_visible()
    box = await section.bounding_box()
    assert box is not None
    assert -1 <= box["y"] < (page.viewport_size or {"height": 0})["height"]

    league = page.locator("table.league")
    await league.scroll_into_view_if_needed()
    assert await league.is_visible()
    rows = await league.locator("tbody tr").all_inner_texts()
    assert len(rows) == 16
    # colour never stands alone: each mark is also a word
    assert all(any(w in row for w in ("above", "below", "similar", "hidden", "target")) for row in rows)
