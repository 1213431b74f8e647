"""The local chat page in a real browser: a practitioner on a phone completes the survey by clicking.

Debian's chromium (``make browser`` installs it) driven by Playwright, against
the real app on a real port and a real SQLite file; the stored response is then
read from the database. Skipped, with the reason, where chromium is absent.
Set BROWSER_SCREENSHOTS=<dir> to keep screenshots of the phone-sized page.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Locator, Page, async_playwright

from bot.app import create_app
from common.settings import Settings
from storage.database import Database
from storage.responses import read_responses

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}  # a typical phone, CSS pixels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (`make browser` installs it)"
    ),
]

@pytest.fixture
async def base_url(settings: Settings) -> AsyncIterator[str]:
    """The real app on a real port, as `python -m bot` serves it."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def page(base_url: str) -> AsyncIterator[Page]:
    """A phone-sized page of Debian's chromium on the chat page (never Playwright's own browsers)."""
    async with async_playwright() as playwright:
        chromium = playwright.chromium
        browser = await chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
            context = await browser.new_context(**phone)
            page = await context.new_page()
            await page.goto(base_url)
            yield page
        finally:
            await browser.close()


def shown_as(label: str) -> re.Pattern[str]:
    """A button or option as shown: the label itself, or numbered ("4. Disagree")."""
    return re.compile(rf"^(\d+\. )?{re.escape(label)}$")


class Person:
    """Someone using the page: presses buttons on the latest card and waits for the bot's answer."""

    def __init__(self, page: Page, screenshots: Path | None) -> None:
        self.page = page
        self.screenshots = screenshots
        self.shots = 0

    def card(self) -> Locator:
        return self.page.locator(".msg.bot.card").last

    async def settled(self, before: int) -> None:
        """Wait until a new reply is shown and the page is ready for the next message."""
        await self.page.wait_for_function(
            """(before) => document.querySelectorAll('.msg.bot:not(.typing)').length > before
                && !document.querySelector('.typing') && !document.getElementById('send').disabled""",
            arg=before,
        )

    async def replies(self) -> int:
        return await self.page.locator(".msg.bot:not(.typing)").count()

    async def press(self, title: str) -> None:
        """Press the button with this title, or with this choice label and its number ("4. Disagree")."""
        before = await self.replies()
        await self.card().get_by_role("button", name=shown_as(title)).click()
        await self.settled(before)

    async def choose(self, label: str) -> None:
        select = self.card().locator("select")
        options = await select.locator("option").all_inner_texts()
        await select.select_option(label=next(o for o in options if shown_as(label).match(o)))
        await self.press("Next")

    async def tick(self, *labels: str) -> None:
        for label in labels:
            await self.card().get_by_label(shown_as(label)).check()
        await self.press("Next")

    async def write(self, text: str) -> None:
        await self.card().locator("textarea").fill(text)
        await self.press("Send answer")

    async def type(self, text: str) -> None:
        before = await self.replies()
        await self.page.locator("#say").fill(text)
        await self.page.locator("#send").click()
        await self.settled(before)

    async def text(self) -> str:
        return await self.page.locator("#log").inner_text()

    async def snap(self, name: str) -> None:
        if self.screenshots is not None:
            self.shots += 1
            await self.page.screenshot(path=str(self.screenshots / f"{self.shots:02d}-{name}.png"))


async def test_a_practitioner_completes_the_survey_by_clicking_on_a_phone(
    page: Page, database: Database
) -> None:
    shots = os.environ.get("BROWSER_SCREENSHOTS")
    person = Person(page, Path(shots) if shots else None)
    if person.screenshots is not None:
        person.screenshots.mkdir(parents=True, exist_ok=True)
    await person.settled(0)  # the greeting, sent when the page opens
    await person.snap("greeting")

    await person.press("Start the survey")
    assert "Question 1 ·" in await person.text()
    await person.snap("first-question")
    await person.choose("Thames Valley Police")
    await person.press("Adults with care and support needs")
    await person.press("Frontline practitioner")
    await person.press("Never")  # so "have you used your training" is not asked
    await person.press("Agree")
    await person.press("Agree")
    await person.press("Disagree")  # thresholds for adults
    await person.press("No")  # no concern raised: the two follow-ups are not asked
    await person.press("Neither agree nor disagree")
    await person.press("Not needed")
    await person.press("Yes")
    await person.press("Strongly agree")
    await person.press("Agree")
    await person.snap("multi-select")
    await person.tick("Self-neglect Tool", "Mental Capacity Assessment")
    await person.press("Agree")
    await person.press("4")
    await person.snap("free-text")
    await person.write("More joint training, please; call me on 07700 900123")
    await person.press("Skip")
    await person.snap("summary")
    assert "Here are your answers" in await person.text()
    await person.press("Submit my answers")
    await person.snap("done")
    assert "submitted anonymously" in await person.text()

    [response] = await read_responses(database)
    assert response.agency == "TVP"
    assert response.answers["works_with"] == "Adults with care and support needs"
    assert response.answers["tools_used"] == ("Self-neglect Tool", "Mental Capacity Assessment")
    assert response.answers["joint_working"] == 4
    assert "07700" not in response.answers["one_change"]
    assert "anything_else" not in response.answers


async def test_the_page_fits_a_phone_without_sideways_scrolling(page: Page) -> None:
    person = Person(page, None)
    await person.settled(0)
    await person.press("Start the survey")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    send = await page.locator("#send").bounding_box()
    assert send is not None
    assert send["x"] + send["width"] <= PHONE["width"]
    assert send["y"] + send["height"] <= PHONE["height"]


async def test_after_an_emergency_mid_survey_the_999_card_is_what_a_phone_shows(page: Page) -> None:
    shots = os.environ.get("BROWSER_SCREENSHOTS")
    person = Person(page, Path(shots) if shots else None)
    if person.screenshots is not None:
        person.screenshots.mkdir(parents=True, exist_ok=True)
    await person.settled(0)
    await person.press("Start the survey")
    await person.choose("Thames Valley Police")
    await person.press("Adults with care and support needs")
    await person.type("a man just told me his partner will kill him tonight, he's outside with a knife")
    await person.snap("emergency-mid-survey")
    danger = page.locator(".msg.bot", has_text="999").last
    box = await danger.bounding_box()
    log = await page.locator("#log").bounding_box()
    assert box is not None
    assert log is not None
    # The danger card's top is on screen, inside the conversation, not scrolled off above it...
    assert log["y"] - 1 <= box["y"] < log["y"] + log["height"]
    # ...and the questionnaire, asked again below it, is still there to scroll down to.
    assert "Which best describes your role?" in await person.text()


async def test_help_on_a_phone_shows_what_the_bot_does_with_examples(page: Page) -> None:
    shots = os.environ.get("BROWSER_SCREENSHOTS")
    person = Person(page, Path(shots) if shots else None)
    if person.screenshots is not None:
        person.screenshots.mkdir(parents=True, exist_ok=True)
    await person.settled(0)
    await person.type("help")
    await person.snap("help")
    assert "what is the MASH?" in await person.text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
