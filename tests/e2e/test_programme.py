"""Two years of the survey programme over HTTP with a fake clock and the fake Bot Connector.

The partnership has two boards (tests.helpers.partnership.TWO_BOARDS). Year 1:
the practitioner wave opens when the bot starts (for everyone), the business
manager opens the impact-assessment return for the adults' board (only its
agency leads are offered it), everyone installed is invited, people answer,
pause and opt out over /api/messages, ``bot tick`` runs on the reminder days
and after the close date, and each board's leads and report recipients get
the reports of that board's waves. Year 2: next year's practitioner wave, for
the children's board, is answered and closed, and its reports compare it with
year 1's. :class:`Programme` holds the calendar and the steps.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from analysis.reports import report_dir
from analysis.summaries import PARTNERSHIP
from bot.app import create_app
from bot.hosts import create_host
from bot.invite import invite_wave
from bot.proactive import ProactiveSender
from bot.reminders import STOP_ACTION, STOPPED
from bot.tick import TickOutcome, run_with_lease
from common.partnership import Partnership, load_partnership
from common.settings import Settings
from programme.__main__ import main as programme_main
from storage.database import Database
from storage.responses import read_responses
from storage.waves import Wave, current_wave, get_wave
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import Chat, texts
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.partnership import (
    ADULTS_CHAIR,
    ASC_LEAD,
    CHILDREN_CHAIR,
    CSC_LEAD,
    POLICE_LEAD,
    TWO_BOARDS,
    write_partnership,
)
from tests.helpers.shared import SHARED

TRANSCRIPTS = {path.name[:2]: path for path in (SHARED / "samples" / "transcripts").glob("*.json")}
START = date(2026, 11, 23)  # the first wave opens; the partnership's waves run 42 days
NEXT_YEAR = START + timedelta(days=364)
SECRET = "e2e-test-secret"  # tests.e2e.conftest.e2e_settings's, for the commands
MIN_GROUP = 3  # MIN_GROUP_SIZE here: three answers from an agency show its figures (and their change)
IMPACT = "Safeguarding impact assessment (agency return)"
LEADS = (CSC_LEAD, ASC_LEAD, POLICE_LEAD)
CHAIRS = (CHILDREN_CHAIR, ADULTS_CHAIR)
REPORT_LINK = re.compile(r"/reports/(\d+)/([A-Za-z0-9_-]+)/\d+/")
needs_transcripts = pytest.mark.skipif(
    not TRANSCRIPTS, reason="../shared/samples/transcripts is not present beside the project"
)


async def waves(*args: str) -> None:
    """The business manager's wave command, ``python -m programme waves ARGS`` (its main, in a thread:
    it runs its own event loop), on the test's database and partnership file (the environment)."""
    assert await asyncio.to_thread(programme_main, ["waves", *args]) == 0


async def no_wait(seconds: float) -> None:
    """Retry waits happen instantly (the pacing itself is real)."""


@dataclass
class Programme:
    """The bot, its database, the fake connector and the clock everyone (bot, commands, tick) reads."""

    client: TestClient
    db: Database
    settings: Settings
    partnership: Partnership
    fake: FakeConnector
    today: list[date]
    people: dict[str, Chat] = field(default_factory=dict)

    def on(self, day: date) -> None:
        """Move the clock (the bot's, the commands' and the next tick's) to ``day``."""
        self.today[0] = day

    async def install(self, *names: str) -> None:
        for name in names:
            chat = Chat(self.client, user=name, connector=self.fake.url)
            await chat.post(chat.install())
            self.people[name] = chat

    def sender(self, adapter: Any) -> ProactiveSender:
        return ProactiveSender(self.settings, adapter, db=self.db, sleep=no_wait, rng=random.Random(1))

    async def wave(self, questionnaire: str = "practitioner") -> Wave:
        found = await current_wave(self.db, questionnaire, self.today[0])
        assert found is not None
        return found

    async def open_wave(self, questionnaire: str, days: int, *boards: str) -> Wave:
        """Opened today as the business manager does: ``waves open`` (for ``boards``; default all)."""
        today, closes = self.today[0].isoformat(), (self.today[0] + timedelta(days=days)).isoformat()
        chosen = [arg for board in boards for arg in ("--board", board)]
        await waves(
            "--today",
            today,
            "open",
            "--questionnaire",
            questionnaire,
            "--opens",
            today,
            "--closes",
            closes,
            *chosen,
        )
        return await self.wave(questionnaire)

    async def invite(self, wave: Wave) -> None:
        """``python -m bot invite --wave ID``."""
        adapter = create_host(self.settings)
        try:
            summary = await invite_wave(
                self.db,
                self.settings,
                self.sender(adapter),
                wave.id,
                today=self.today[0],
                partnership=self.partnership,
                show_progress=False,
            )
        finally:
            await adapter.close()
        assert summary.failed == 0, summary.describe()

    async def tick(self) -> TickOutcome:
        """``python -m bot tick``, acting for 07:00 today."""
        adapter = create_host(self.settings)
        try:
            now = datetime.combine(self.today[0], time(7), tzinfo=UTC)
            sender = self.sender(adapter)
            outcome = await run_with_lease(self.db, self.settings, self.partnership, sender, now=now)
        finally:
            await adapter.close()
        assert not outcome.failed, outcome.describe()
        return outcome

    async def answer(self, name: str, transcript: str, agency: str = "Children's Social Care") -> None:
        """``name`` completes the practitioner questionnaire, typing a public transcript's answers
        (the agency answer replaced by ``agency``)."""
        text = await asyncio.to_thread(TRANSCRIPTS[transcript].read_text, encoding="utf-8")
        first, _, *rest = json.loads(text)["turns"]
        for turn in (first, agency, *rest):
            replies = await self.people[name].say(turn)
        assert "Thank you" in texts(replies)

    async def impact_return(self, name: str, agency: str) -> None:
        """An agency lead chooses the impact-assessment return and submits it."""
        chat = self.people[name]
        await chat.say("start survey")  # two open waves for a lead: it asks which
        await chat.press(f"Start: {IMPACT}")
        await chat.say(agency)
        for issue in ("Budget cuts to early help", "Backlog at the front door", "Audit of strategy meetings"):
            await chat.say(issue)
            await chat.say("done")
        for issue in ("Partners hold more risk", "Joint commissioning", "More people come into care"):
            await chat.say(issue)
            await chat.say("done")
        done = await chat.say("submit")
        assert "return has been submitted" in texts(done)

    def reminded(self, wave: Wave) -> Counter[str]:
        """Reminder cards of ``wave`` sent so far, per person."""
        return Counter(
            call.conversation_id.removeprefix("a:")
            for call in self.fake.of_kind("send")
            if _reminds_of(call.body, wave)
        )

    def button_on_reminder(self, name: str, wave: Wave, title: str) -> dict[str, Any]:
        """The data of a button on the reminder card of ``wave`` ``name`` received (as Teams submits it)."""
        for body in self.fake.sent(f"a:{name}"):
            if _reminds_of(body, wave):
                return next(dict(action["data"]) for action in _actions(body) if action["title"] == title)
        raise AssertionError(f"{name} has no reminder of wave {wave.id}")

    async def reminder_day(self, day: date, *of: Wave) -> list[Counter[str]]:
        """Tick on ``day``, and again minutes later; each wave's reminders sent that day (and nobody
        two reminders that day, of one wave or of several)."""
        self.on(day)
        before = [self.reminded(wave) for wave in of]
        await self.tick()
        await self.tick()
        sent = [self.reminded(wave) - earlier for wave, earlier in zip(of, before, strict=True)]
        everyone = sum(sent, Counter[str]())
        assert max(everyone.values(), default=0) <= 1, f"{day}: someone reminded twice: {sent}"
        return sent

    def reports(self) -> Counter[tuple[str, int, str]]:
        """Report cards sent so far: (person, wave, the report's agency, or PARTNERSHIP for a board's)."""
        return Counter(
            (call.conversation_id.removeprefix("a:"), int(link[0]), link[1])
            for call in self.fake.of_kind("send")
            for link in REPORT_LINK.findall(json.dumps(call.body))
        )

    def report_page(self, wave: Wave, group: str) -> str:
        """The report the tick wrote for ``group`` (an agency, or PARTNERSHIP for the boards')."""
        page = report_dir(self.settings.report_dir, wave.id, group) / "report.html"
        return page.read_text(encoding="utf-8")


def _actions(element: Any) -> list[dict[str, Any]]:
    """Every Action.Submit in a sent activity."""
    if isinstance(element, dict):
        found = [element] if element.get("type") == "Action.Submit" else []
        return found + [a for value in element.values() for a in _actions(value)]
    if isinstance(element, list):
        return [a for value in element for a in _actions(value)]
    return []


def _reminds_of(activity: dict[str, Any], wave: Wave) -> bool:
    """Whether a sent activity is a reminder of ``wave`` (its "Stop reminders" button names the wave)."""
    return any(action["data"] == {"action": STOP_ACTION, "wave": wave.id} for action in _actions(activity))


@pytest.fixture
async def programme(
    aiohttp_client: AiohttpClient, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Programme]:
    partnership_file = write_partnership(tmp_path, **TWO_BOARDS)
    settings = e2e_settings(sqlite_url, tmp_path, partnership_file=partnership_file, min_group_size=MIN_GROUP)
    for name, value in {
        "DATABASE_URL": sqlite_url,
        "PARTNERSHIP_FILE": str(partnership_file),
        "SECRET_KEY": SECRET,
        "REPORT_DIR": str(settings.report_dir),
        "MIN_GROUP_SIZE": str(MIN_GROUP),
    }.items():
        monkeypatch.setenv(name, value)  # for the commands
    today = [START]
    async with FakeConnector() as fake:
        app = create_app(settings, clock=lambda: datetime.combine(today[0], time(12), tzinfo=UTC))
        client = await aiohttp_client(app)
        db = await Database.open(sqlite_url, secret=settings.secret_bytes())
        try:
            yield Programme(client, db, settings, load_partnership(settings.partnership_file), fake, today)
        finally:
            await db.close()


@needs_transcripts
async def test_two_years_two_waves_for_two_audiences_reminders_closing_and_reports_per_board(
    programme: Programme,
) -> None:
    p = programme
    # --- year 1: the practitioner wave for everyone, the impact return for the adults' board's leads
    practitioner = await p.wave()  # opened when the bot started on an empty database, for every board
    assert (practitioner.opens, practitioner.closes, practitioner.boards) == (
        START,
        START + timedelta(days=42),
        (),
    )
    impact = await p.open_wave("impact-assessment", 42, "adults")
    first, second = practitioner.closes - timedelta(days=7), practitioner.closes - timedelta(days=2)

    practitioners = ("ann", "bob", "cat", "dan", "eve", "fay")
    await p.install(*practitioners, *LEADS, *CHAIRS)
    await p.invite(practitioner)
    await p.invite(impact)
    invited = Counter(call.conversation_id.removeprefix("a:") for call in p.fake.of_kind("send"))
    # the adults' board's leads: its own (ASC) and the police's (named for every board); not CSC's
    assert invited == {**dict.fromkeys((*practitioners, CSC_LEAD, *CHAIRS), 1), ASC_LEAD: 2, POLICE_LEAD: 2}

    await p.answer("ann", "01")  # answers straight away
    await p.impact_return(ASC_LEAD, "Adult Social Care")
    assert STOPPED in texts(await p.people["bob"].say("stop reminders"))  # typed: every open wave

    p.on(first)
    await p.people["cat"].say("start survey")
    await p.people["cat"].say("pause")  # paused today: no reminder today
    readers = {*LEADS, *CHAIRS}  # the leads and chairs have the bot too, and do not answer
    assert await p.reminder_day(first, practitioner, impact) == [
        Counter({"dan", "eve", "fay", *readers}),
        Counter(),  # the police lead is due both: one reminder a day, the other wave's tomorrow
    ]
    stop = p.button_on_reminder("eve", practitioner, "Stop reminders")
    assert STOPPED in texts(await p.people["eve"].click(stop))

    assert await p.reminder_day(first + timedelta(days=1), practitioner, impact) == [
        Counter({"cat"}),
        Counter({POLICE_LEAD}),  # ASC's lead has sent the return
    ]
    await p.answer("dan", "05")  # answers after the first reminder

    assert await p.reminder_day(second, practitioner, impact) == [
        Counter({"cat", "fay", *readers}),  # not ann or dan (answered), bob or eve (opted out)
        Counter(),
    ]
    await p.answer("fay", "01")  # answers after the second
    assert await p.reminder_day(second + timedelta(days=1), practitioner, impact) == [
        Counter(),
        Counter({POLICE_LEAD}),
    ]
    assert p.reminded(practitioner) == {"cat": 2, "dan": 1, "eve": 1, "fay": 2, **dict.fromkeys(readers, 2)}
    assert p.reminded(impact) == {POLICE_LEAD: 2}

    # closing on the date: not on the last day, the day after
    p.on(practitioner.closes)
    outcome = await p.tick()
    assert not (await get_wave(p.db, practitioner.id)).closed, outcome.describe()  # type: ignore[union-attr]
    p.on(practitioner.closes + timedelta(days=1))
    outcome = await p.tick()
    for wave in (practitioner, impact):
        assert f"Closed wave {wave.id}" in outcome.describe()
        assert (await get_wave(p.db, wave.id)).closed  # type: ignore[union-attr]
    assert len(await read_responses(p.db, practitioner.id)) == 3
    assert len(await read_responses(p.db, impact.id)) == 1
    # each board's leads and report recipients get the reports of its waves: this one is every board's
    year_one = {
        (CSC_LEAD, practitioner.id, "CSC"): 1,
        (ASC_LEAD, practitioner.id, "ASC"): 1,
        (POLICE_LEAD, practitioner.id, "TVP"): 1,
        (CHILDREN_CHAIR, practitioner.id, PARTNERSHIP): 1,
        (ADULTS_CHAIR, practitioner.id, PARTNERSHIP): 1,
    }
    assert p.reports() == year_one, outcome.describe()
    # the impact returns are not collated into reports (their annex is built on request)
    assert f"Reports of wave {impact.id}: none" in outcome.describe()
    assert "compared with wave" not in p.report_page(practitioner, "CSC")  # nothing before it
    await p.tick()
    assert p.reports() == year_one

    # --- year 2: next year's practitioner wave, for the children's board
    p.on(NEXT_YEAR)
    again = await p.open_wave("practitioner", 42, "children")
    assert (again.opens, again.closes, again.boards) == (
        NEXT_YEAR,
        NEXT_YEAR + timedelta(days=42),
        ("children",),
    )
    await p.invite(again)
    for name, transcript in (("ann", "05"), ("dan", "05"), ("fay", "01")):
        await p.answer(name, transcript)
    p.on(again.closes + timedelta(days=1))
    outcome = await p.tick()
    assert f"Closed wave {again.id}" in outcome.describe()
    assert len(await read_responses(p.db, again.id)) == 3
    # the children's board's readers only: not ASC's lead or the adults' board's chair
    assert p.reports() - Counter(year_one) == {
        (CSC_LEAD, again.id, "CSC"): 1,
        (POLICE_LEAD, again.id, "TVP"): 1,
        (CHILDREN_CHAIR, again.id, PARTNERSHIP): 1,
    }
    # the new reports compare with last year's wave: CSC's figures, and the partnership's
    csc = p.report_page(again, "CSC")
    assert f"compared with wave {practitioner.id}" in csc
    assert f"Change since wave {practitioner.id}" in csc
    assert "(was " in csc  # a change shown: CSC had enough answers both years
    board = p.report_page(again, PARTNERSHIP)
    assert f"compared with wave {practitioner.id}" in board
    assert f'<th scope="col">Wave {practitioner.id}</th>' in board


async def test_the_impact_return_invites_and_reminds_only_its_boards_agency_leads(
    programme: Programme,
) -> None:
    """Two waves open at once for different audiences: the practitioner questionnaire for everyone,
    the impact-assessment return of the children's board for that board's agency leads only
    (regression: its invitations and reminders went to everyone who had the bot installed)."""
    p = programme
    await p.install("ann", "bob", CSC_LEAD, ASC_LEAD)
    impact = await p.open_wave("impact-assessment", 21, "children")
    await p.invite(impact)
    invited = Counter(call.conversation_id.removeprefix("a:") for call in p.fake.of_kind("send"))
    assert invited == {CSC_LEAD: 1}
    await p.invite(await p.wave())  # the practitioner wave: everyone
    invited = Counter(call.conversation_id.removeprefix("a:") for call in p.fake.of_kind("send"))
    assert invited == {"ann": 1, "bob": 1, CSC_LEAD: 2, ASC_LEAD: 1}

    p.on(impact.closes - timedelta(days=7))  # the impact return's first reminder round
    await p.tick()
    assert p.reminded(impact) == {CSC_LEAD: 1}
