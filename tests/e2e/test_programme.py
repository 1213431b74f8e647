"""A year of the survey programme over HTTP with a fake clock and the fake Bot Connector.

The wave opens when the bot starts, everyone installed is invited, people
answer, opt out and pause over /api/messages, ``bot tick`` runs on the
reminder days and after the close date, and the agency lead gets the report.
:class:`Programme` holds the calendar and the helpers, so more years (and more
waves) are more calls of the same steps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.hosts import create_host
from bot.invite import invite_wave
from bot.proactive import ProactiveSender
from bot.reminders import STOP_ACTION, STOPPED
from bot.tick import TickOutcome, run_with_lease
from common.partnership import Partnership, load_partnership
from common.settings import ROOT, Settings
from programme.waves import open_command
from storage.database import Database
from storage.responses import read_responses
from storage.waves import Wave, current_wave, get_wave
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import Chat, texts
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.shared import SHARED

TRANSCRIPTS = sorted((SHARED / "samples" / "transcripts").glob("*.json"))
LEAD = "lead-of-csc"
START = date(2026, 11, 23)  # the first wave opens; the partnership's waves run 42 days


async def no_wait(seconds: float) -> None:
    """Retry waits happen instantly (the pacing itself is real)."""


@dataclass
class Programme:
    """The bot, its database, the fake connector and the clock everyone (bot and tick) reads."""

    client: TestClient
    db: Database
    settings: Settings
    partnership: Partnership
    fake: FakeConnector
    today: list[date]
    people: dict[str, Chat] = field(default_factory=dict)

    def on(self, day: date) -> None:
        """Move the clock (the bot's and the next tick's) to ``day``."""
        self.today[0] = day

    async def install(self, *names: str) -> None:
        for name in names:
            chat = Chat(self.client, user=name, connector=self.fake.url)
            await chat.post(chat.install())
            self.people[name] = chat

    def sender(self, adapter: Any) -> ProactiveSender:
        return ProactiveSender(self.settings, adapter, db=self.db, sleep=no_wait, rng=random.Random(1))

    async def wave(self, questionnaire: str | None = None) -> Wave:
        wanted = questionnaire or self.partnership.default_questionnaire
        found = await current_wave(self.db, wanted, self.today[0])
        assert found is not None
        return found

    async def open_wave(self, questionnaire: str, days: int) -> Wave:
        """Opened today as the business manager does: ``python -m programme waves open``."""
        args = argparse.Namespace(
            questionnaire=questionnaire,
            opens=self.today[0],
            closes=self.today[0] + timedelta(days=days),
            agencies=None,
            board=None,
        )
        await open_command(self.settings, self.partnership, args, self.today[0])
        return await self.wave(questionnaire)

    async def invite(self, wave: Wave | None = None) -> None:
        adapter = create_host(self.settings)
        try:
            summary = await invite_wave(
                self.db,
                self.settings,
                self.sender(adapter),
                (wave or await self.wave()).id,
                today=self.today[0],
                partnership=self.partnership,
                show_progress=False,
            )
        finally:
            await adapter.close()
        assert summary.failed == 0, summary.describe()

    async def tick(self) -> TickOutcome:
        adapter = create_host(self.settings)
        try:
            now = datetime.combine(self.today[0], time(7), tzinfo=UTC)
            sender = self.sender(adapter)
            return await run_with_lease(self.db, self.settings, self.partnership, sender, now=now)
        finally:
            await adapter.close()

    async def answer(self, name: str, transcript: Path) -> None:
        """``name`` completes the whole questionnaire, typing a public transcript's answers."""
        turns = json.loads(await asyncio.to_thread(transcript.read_text, encoding="utf-8"))["turns"]
        for turn in turns:
            replies = await self.people[name].say(turn)
        assert "Thank you" in texts(replies)

    def reminded(self) -> Counter[str]:
        """Reminder cards sent so far, per person."""
        return Counter(
            call.conversation_id.removeprefix("a:")
            for call in self.fake.calls
            if call.kind == "send" and STOP_ACTION in str(call.body.get("attachments"))
        )

    def button_on_reminder(self, name: str, title: str) -> dict[str, Any]:
        """The data of a button on the reminder card ``name`` received (as Teams would submit it)."""
        for body in self.fake.sent(f"a:{name}"):
            for action in _actions(body):
                if action.get("title") == title and STOP_ACTION in str(body):
                    return dict(action["data"])
        raise AssertionError(f"{name} has no reminder with a {title!r} button")

    def reports_to_lead(self) -> int:
        return sum("Open the full report" in str(body) for body in self.fake.sent(f"a:{LEAD}"))


def _actions(element: Any) -> list[dict[str, Any]]:
    if isinstance(element, dict):
        found = [element] if element.get("type") == "Action.Submit" else []
        return found + [a for value in element.values() for a in _actions(value)]
    if isinstance(element, list):
        return [a for value in element for a in _actions(value)]
    return []


def partnership_file(tmp_path: Path) -> Path:
    """The example partnership, with the lead of Children's Social Care reachable in Teams."""
    data = yaml.safe_load((ROOT / "config" / "partnership.example.yaml").read_text(encoding="utf-8"))
    data["agency_leads"] = [{"agency": "CSC", "teams_user": LEAD}]
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
async def programme(
    aiohttp_client: AiohttpClient, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[Programme]:
    settings = e2e_settings(sqlite_url, tmp_path, partnership_file=partnership_file(tmp_path))
    today = [START]
    async with FakeConnector() as fake:
        app = create_app(settings, clock=lambda: datetime.combine(today[0], time(12), tzinfo=UTC))
        client = await aiohttp_client(app)
        db = await Database.open(sqlite_url, secret=settings.secret_bytes())
        try:
            yield Programme(client, db, settings, load_partnership(settings.partnership_file), fake, today)
        finally:
            await db.close()


@pytest.mark.skipif(not TRANSCRIPTS, reason="../shared/samples/transcripts is not present beside the project")
async def test_a_year_open_invite_remind_twice_close_on_the_date_and_report(programme: Programme) -> None:
    p = programme
    wave = await p.wave()  # opened when the bot started on an empty database
    assert (wave.opens, wave.closes) == (START, START + timedelta(days=42))
    first, second = wave.closes - timedelta(days=7), wave.closes - timedelta(days=2)

    await p.install("ann", "bob", "cat", "dan", "eve", LEAD)
    await p.invite()
    assert len(p.fake.of_kind("send")) == 6

    await p.answer("ann", TRANSCRIPTS[0])  # answers straight away
    stopped = await p.people["bob"].say("stop reminders")
    assert STOPPED in texts(stopped)

    p.on(first)
    await p.people["cat"].say("start survey")
    await p.people["cat"].say("pause")  # paused today: no reminder today
    await p.tick()
    assert p.reminded() == {"dan": 1, "eve": 1, LEAD: 1}
    stopped = await p.people["eve"].click(p.button_on_reminder("eve", "Stop reminders"))
    assert STOPPED in texts(stopped)

    p.on(first + timedelta(days=1))
    await p.tick()
    assert p.reminded() == {"cat": 1, "dan": 1, "eve": 1, LEAD: 1}
    await p.answer("dan", TRANSCRIPTS[1])  # answers after the first reminder

    p.on(second)
    await p.tick()
    await p.tick()  # the next tick, minutes later, sends nothing more
    # ann and dan answered; bob (typed) and eve (the card's button) opted out
    assert p.reminded() == {"cat": 2, "dan": 1, "eve": 1, LEAD: 2}

    p.on(wave.closes)
    outcome = await p.tick()
    assert not (await get_wave(p.db, wave.id)).closed, outcome.describe()  # type: ignore[union-attr]
    p.on(wave.closes + timedelta(days=1))
    outcome = await p.tick()
    assert f"Closed wave {wave.id}" in outcome.describe()
    assert (await get_wave(p.db, wave.id)).closed  # type: ignore[union-attr]
    assert p.reports_to_lead() == 1
    assert len(await read_responses(p.db, wave.id)) == 2
    await p.tick()
    assert p.reports_to_lead() == 1
    assert sum(p.reminded().values()) == 6  # and no reminder ever went to ann


async def test_the_impact_return_invites_and_reminds_only_agency_leads(programme: Programme) -> None:
    """Two waves open at once for different audiences: the practitioner questionnaire for everyone,
    the impact-assessment return for agency leads only (regression: its invitations and
    reminders went to everyone who had the bot installed)."""
    p = programme
    await p.install("ann", "bob", LEAD)
    impact = await p.open_wave("impact-assessment", days=21)
    await p.invite(impact)
    invited = Counter(call.conversation_id.removeprefix("a:") for call in p.fake.of_kind("send"))
    assert invited == {LEAD: 1}
    await p.invite()  # the practitioner wave: everyone
    invited = Counter(call.conversation_id.removeprefix("a:") for call in p.fake.of_kind("send"))
    assert invited == {"ann": 1, "bob": 1, LEAD: 2}

    p.on(impact.closes - timedelta(days=7))  # the impact return's first reminder round
    await p.tick()
    assert p.reminded() == {LEAD: 1}
