"""`bot tick`: survey reminders on the wave's schedule, the lease, closing on the date, reports, deadlines.

Everything runs against the real database (SQLite and PostgreSQL) and the fake
Bot Connector; the date each tick acts for is passed in (the ``--now`` of the
command), so a wave's whole calendar is walked in one test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.deadlines import lead_key
from bot.hosts import Host, create_host
from bot.reminders import STOP_ACTION, stop
from bot.survey_turns import note_quiet_day
from bot.tick import TickOutcome, run_with_lease
from common.partnership import AgencyLead, Partnership, load_partnership
from common.settings import ROOT, Secret, Settings
from storage import assessments, jobs, lease, reminders
from storage.conversations import save_reference
from storage.database import Database
from storage.submissions import has_submitted
from storage.waves import Wave, create_wave, get_wave
from tests.bot.test_invite import answer, install
from tests.conftest import TEST_SECRET
from tests.helpers.fake_connector import FakeConnector

OPENS = date(2026, 11, 23)
CLOSES = OPENS + timedelta(days=42)  # Monday 4 January 2027: rounds on 28 December and 2 January
FIRST, SECOND = CLOSES - timedelta(days=7), CLOSES - timedelta(days=2)
LEAD = AgencyLead("CSC", teams_user="lead-csc")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, secret_key=Secret(TEST_SECRET.decode()), report_dir=tmp_path / "reports")


@pytest.fixture
def partnership(settings: Settings) -> Partnership:
    loaded = load_partnership(settings.partnership_file)
    boards = tuple(
        dataclasses.replace(board, agency_leads=(LEAD,), report_recipients=()) for board in loaded.boards
    )
    return dataclasses.replace(loaded, agency_leads=(LEAD,), boards=boards)


@pytest.fixture
async def wave(db: Database, partnership: Partnership) -> Wave:
    return await create_wave(db, "practitioner", 1, OPENS, CLOSES, partnership.agencies)


@pytest.fixture
async def adapter(settings: Settings) -> AsyncIterator[Host]:
    host = create_host(settings)
    yield host
    await host.close()


async def no_wait(seconds: float) -> None:
    """Retry waits are checked in test_proactive; here they only need to happen."""


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def tick(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, day: date, **kwargs: Any
) -> TickOutcome:
    from bot.proactive import ProactiveSender

    sender = ProactiveSender(settings, adapter, db=db, sleep=no_wait, rng=random.Random(1))
    return await run_with_lease(db, settings, partnership, sender, now=at(day), **kwargs)


def reminded(fake: FakeConnector) -> Counter[str]:
    """Reminder cards sent, per conversation (the card with the "Stop reminders" button)."""
    return Counter(
        call.conversation_id
        for call in fake.calls
        if call.kind == "send" and STOP_ACTION in str(call.body.get("attachments"))
    )


async def test_reminders_go_to_who_has_not_answered_once_per_round(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    people = await install(db, fake.url, 5)
    await answer(db, settings, wave, "msteams:aad-2")

    before = await tick(db, settings, partnership, adapter, FIRST - timedelta(days=1))
    assert before.acted
    assert reminded(fake) == {}

    first = await tick(db, settings, partnership, adapter, FIRST)
    assert reminded(fake) == {c: 1 for c in people if c != people[2]}
    assert "4 sent, 0 failed, 1 already answered" in first.describe()
    again = await tick(db, settings, partnership, adapter, FIRST)  # the next tick, minutes later
    between = await tick(db, settings, partnership, adapter, FIRST + timedelta(days=2))
    assert sum(reminded(fake).values()) == 4, (again.describe(), between.describe())

    await answer(db, settings, wave, "msteams:aad-3")  # answers after the first reminder
    await tick(db, settings, partnership, adapter, SECOND)
    await tick(db, settings, partnership, adapter, SECOND)
    assert reminded(fake) == {people[0]: 2, people[1]: 2, people[3]: 1, people[4]: 2}
    card = next(c.body for c in fake.calls if c.conversation_id == people[0])["attachments"][0]["content"]
    assert "closes on Monday 4 January 2027" in card["body"][0]["text"]
    assert "anonymous" in card["body"][0]["text"]
    assert await reminders.counts(db, wave.id) == {"sent": 4}


async def test_opted_out_people_are_not_reminded_nor_anyone_on_a_day_they_paused(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    people = await install(db, fake.url, 3)
    secret = settings.secret_bytes()
    await stop(db, secret, "msteams:aad-0", wave.id, FIRST)  # the card's "Stop reminders"
    await note_quiet_day(db, secret, wave.id, "msteams:aad-1", FIRST)  # paused or resumed that day

    await tick(db, settings, partnership, adapter, FIRST)
    assert reminded(fake) == {people[2]: 1}

    await tick(db, settings, partnership, adapter, FIRST + timedelta(days=1))  # the round is still on
    assert reminded(fake) == {people[1]: 1, people[2]: 1}
    await tick(db, settings, partnership, adapter, SECOND)
    assert reminded(fake) == {people[1]: 2, people[2]: 2}


async def test_a_wave_can_have_its_own_schedule_or_none(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    people = await install(db, fake.url, 2)
    await reminders.set_days(db, wave.id, [10])
    await tick(db, settings, partnership, adapter, CLOSES - timedelta(days=11))
    assert reminded(fake) == {}
    await tick(db, settings, partnership, adapter, CLOSES - timedelta(days=10))
    assert reminded(fake) == dict.fromkeys(people, 1)
    await tick(db, settings, partnership, adapter, FIRST)  # the default's day: not this wave's
    assert reminded(fake) == dict.fromkeys(people, 1)
    await reminders.set_days(db, wave.id, [])
    await tick(db, settings, partnership, adapter, SECOND)
    assert reminded(fake) == dict.fromkeys(people, 1)


async def test_a_tick_stopped_mid_way_and_run_again_reminds_everyone_exactly_once(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    people = await install(db, fake.url, 80)
    fake.delay = 0.05  # sends take a while, so the stop lands mid-run (the sends under way finish)
    first = asyncio.create_task(tick(db, settings, partnership, adapter, FIRST))
    await fake.wait_for_calls(3)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert 0 < sum(reminded(fake).values()) < 80
    assert await lease.current(db, "tick") is None  # given back on the way out

    await tick(db, settings, partnership, adapter, FIRST)
    assert reminded(fake) == dict.fromkeys(people, 1)


async def test_a_reminder_claimed_by_a_run_that_crashed_is_not_sent_again(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    """The crash came after the claim and before the outcome was written: the card may have gone."""
    people = await install(db, fake.url, 3)
    hashed = (await reminders.hasher(db, wave.id, settings.secret_bytes()))("msteams:aad-1")
    assert await reminders.claim(db, wave.id, hashed, FIRST, FIRST)

    await tick(db, settings, partnership, adapter, FIRST)
    assert reminded(fake) == {people[0]: 1, people[2]: 1}


async def test_failed_reminders_are_retried_by_later_ticks_a_few_times(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    people = await install(db, fake.url, 2)
    fake.fail(403, times=10, conversation=people[0])
    for _ in range(5):
        await tick(db, settings, partnership, adapter, FIRST)
    assert reminded(fake) == {people[1]: 1}
    assert len(fake.refused) == reminders.MAX_ATTEMPTS  # then given up for the round


async def test_two_ticks_at_once_one_acts_and_nobody_is_reminded_twice(
    database_url: str,
    db: Database,
    settings: Settings,
    partnership: Partnership,
    fake: FakeConnector,
    wave: Wave,
) -> None:
    people = await install(db, fake.url, 10)
    fake.delay = 0.02
    other = await Database.open(database_url, secret=TEST_SECRET)
    first_adapter, second_adapter = create_host(settings), create_host(settings)
    try:
        outcomes = await asyncio.gather(
            tick(db, settings, partnership, first_adapter, FIRST),
            tick(other, settings, partnership, second_adapter, FIRST),
        )
    finally:
        await other.close()
        await first_adapter.close()
        await second_adapter.close()
    assert sorted(o.acted for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if not o.acted)
    assert "Another tick holds the lease" in loser.describe()
    assert reminded(fake) == dict.fromkeys(people, 1)


async def test_the_lease_is_taken_once_renewed_by_its_holder_and_free_when_expired_or_given_back(
    db: Database,
) -> None:
    assert await lease.acquire(db, "tick", "a", 60, now=1000.0)
    assert not await lease.acquire(db, "tick", "b", 60, now=1030.0)
    assert await lease.acquire(db, "tick", "a", 60, now=1050.0)  # renewed: now until 1110
    assert not await lease.acquire(db, "tick", "b", 60, now=1100.0)
    assert await lease.acquire(db, "tick", "b", 60, now=1110.0)  # a died: expired
    await lease.release(db, "tick", "a")  # not a's any more: changes nothing
    assert (await lease.current(db, "tick", now=1120.0)).holder == "b"  # type: ignore[union-attr]
    await lease.release(db, "tick", "b")
    assert await lease.current(db, "tick", now=1120.0) is None
    assert await lease.acquire(db, "tick", "a", 60, now=1121.0)


async def test_a_wave_past_its_close_date_is_closed_and_its_reports_sent_once(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    await install_lead(db, fake.url)
    for n in range(3):
        await answer(db, settings, wave, f"msteams:aad-{n}")

    await tick(db, settings, partnership, adapter, CLOSES)  # the last day: still open
    assert not (await get_wave(db, wave.id)).closed  # type: ignore[union-attr]
    assert await reminders.counts(db, wave.id) == {"sent": 1}  # the lead has not answered the survey
    outcome = await tick(db, settings, partnership, adapter, CLOSES + timedelta(days=1))
    assert (await get_wave(db, wave.id)).closed  # type: ignore[union-attr]
    assert f"Closed wave {wave.id}" in outcome.describe()
    assert f"Reports of wave {wave.id}: sent to 1 lead(s), 0 failed." in outcome.describe()
    with pytest.raises(Exception, match="closed"):
        await has_submitted(db, wave.id, "msteams:aad-0", settings)  # the key is gone
    summaries = [c for c in fake.sent("a:lead-csc") if "Open the full report" in str(c)]
    assert len(summaries) == 1
    assert (settings.report_dir / str(wave.id) / "CSC" / "report.html").is_file()

    await tick(db, settings, partnership, adapter, CLOSES + timedelta(days=1))
    await tick(db, settings, partnership, adapter, CLOSES + timedelta(days=2))
    assert len([c for c in fake.sent("a:lead-csc") if "Open the full report" in str(c)]) == 1
    assert await jobs.status(db, f"wave-reports/{wave.id}") == "done"
    assert await reminders.counts(db, wave.id) == {}  # the closed wave's reminder rows are purged


async def test_a_wave_closed_by_hand_gets_no_reports_from_the_tick(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    """Only waves the tick closed have their reports sent: waves closed before (or by hand) are left alone."""
    from storage.submissions import close_wave

    await install_lead(db, fake.url)
    await close_wave(db, wave.id, secret=settings.secret_bytes())
    await tick(db, settings, partnership, adapter, CLOSES + timedelta(days=1))
    assert fake.sent("a:lead-csc") == []


async def install_lead(db: Database, service_url: str) -> None:
    reference = {
        "user": {"id": "29:lead", "aadObjectId": LEAD.teams_user},
        "bot": {"id": "28:bot"},
        "conversation": {"id": "a:lead-csc", "conversationType": "personal", "tenantId": "tenant-1"},
        "channelId": "msteams",
        "serviceUrl": service_url,
    }
    await save_reference(db, "msteams:a:lead-csc", reference, "personal", f"msteams:{LEAD.teams_user}")


def lead_texts(fake: FakeConnector) -> list[str]:
    return [str(body) for body in fake.sent("a:lead-csc") if STOP_ACTION not in str(body)]


def reminders_of(fake: FakeConnector, conversation: str) -> list[int]:
    """The waves of the reminder cards ``conversation`` received, in order (their "Stop reminders")."""
    return [
        action["data"]["wave"]
        for body in fake.sent(conversation)
        for block in body["attachments"][0]["content"]["body"]
        if block["type"] == "ActionSet"
        for action in block["actions"]
        if action["data"].get("action") == STOP_ACTION
    ]


async def test_someone_due_reminders_of_two_waves_gets_one_a_day_the_sooner_closing_first(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    """Regression: an agency lead due the practitioner wave's and the impact return's reminders got
    both cards on the same day, and a second tick that day could not tell."""
    people = await install(db, fake.url, 2)
    await install_lead(db, fake.url)
    later = CLOSES + timedelta(days=3)
    impact = await create_wave(db, "impact-assessment", 1, OPENS, later, partnership.agencies)
    await reminders.set_days(db, impact.id, [10])  # its round starts on FIRST too

    await tick(db, settings, partnership, adapter, FIRST)
    await tick(db, settings, partnership, adapter, FIRST)  # minutes later, another run
    assert reminders_of(fake, "a:lead-csc") == [wave.id]  # closes sooner
    assert reminded(fake) == dict.fromkeys([*people, "a:lead-csc"], 1)
    card = fake.sent("a:lead-csc")[0]["attachments"][0]["content"]["body"][0]["text"]
    assert "Safeguarding practitioner questionnaire" in card
    assert "anonymous" in card

    await tick(db, settings, partnership, adapter, FIRST + timedelta(days=1))  # the impact round is still on
    assert reminders_of(fake, "a:lead-csc") == [wave.id, impact.id]
    assert reminded(fake) == {**dict.fromkeys(people, 1), "a:lead-csc": 2}
    card = fake.sent("a:lead-csc")[1]["attachments"][0]["content"]["body"][0]["text"]
    assert "Safeguarding impact assessment (agency return)" in card
    assert "anonymous" not in card


async def test_agency_leads_are_reminded_of_their_return_and_of_actions_falling_due_once_each(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector
) -> None:
    await install_lead(db, fake.url)
    returns_by = date(2026, 12, 3)
    round_ = await assessments.create_round(
        db,
        title="Section 11 2026",
        standards="section11-adults-2018",
        opens=date(2026, 11, 1),
        returns_by=returns_by,
    )
    await tick(db, settings, partnership, adapter, returns_by - timedelta(days=8))
    assert lead_texts(fake) == []
    await tick(db, settings, partnership, adapter, returns_by - timedelta(days=7))
    await tick(db, settings, partnership, adapter, returns_by - timedelta(days=6))
    [reminder] = lead_texts(fake)
    assert "Section 11 2026" in reminder
    assert "Thursday 3 December 2026" in reminder

    due = date(2027, 3, 31)
    entry = assessments.EntryRecord(
        "1a", "amber", "How.", "Impact.", "Train managers", "Head of service", due, "not started"
    )
    done = dataclasses.replace(entry, standard="1b", due=due, status="done")
    submitted = assessments.ReturnRecord(
        round_.id, "CSC", "submitted", "chat", returns_by, None, None, (entry, done)
    )
    await assessments.save_return(db, submitted)
    await tick(db, settings, partnership, adapter, returns_by)  # returned: no second return reminder
    await tick(db, settings, partnership, adapter, due - timedelta(days=8))
    assert len(lead_texts(fake)) == 1
    await tick(db, settings, partnership, adapter, due - timedelta(days=7))
    await tick(db, settings, partnership, adapter, due)
    assert len(lead_texts(fake)) == 2
    assert "Train managers" in lead_texts(fake)[1]
    assert "Wednesday 31 March 2027" in lead_texts(fake)[1]
    assert "1b" not in lead_texts(fake)[1]  # done: not reminded


def test_the_command_exits_0_when_another_replica_holds_the_lease(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tick.db'}"

    async def held_elsewhere() -> None:
        from storage.migrate import upgrade_async

        await upgrade_async(url)
        database = await Database.open(url)
        try:
            assert await lease.acquire(database, "tick", "replica-2:41:beef", 600)
        finally:
            await database.close()

    asyncio.run(held_elsewhere())
    import subprocess

    env = {**os.environ, "DATABASE_URL": url, "MicrosoftAppId": "", "SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "tick"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Another tick holds the lease (replica-2:41:beef" in done.stdout


def test_now_is_refused_outside_open_local_use(tmp_path: Path) -> None:
    import subprocess

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tick.db'}",
        "MicrosoftAppId": "app-id",
        "SECRET_KEY": "a-strong-secret-for-this-test-0123456789abcdef",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "tick", "--now", "2030-01-01"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--now is allowed only in open local use" in done.stderr


async def test_the_reminder_days_command_sets_a_waves_schedule_and_refuses_nonsense(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.reminder_days import main as reminder_days
    from storage.migrate import upgrade_async

    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'days.db'}"
    await upgrade_async(sqlite_url)
    database = await Database.open(sqlite_url)
    try:
        wave = await create_wave(database, "practitioner", 1, OPENS, CLOSES, [])
    finally:
        await database.close()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert await asyncio.to_thread(reminder_days, ["--wave", str(wave.id), "--days", "10, 3"]) == 0
    assert "reminders on 2026-12-25, 2027-01-01" in capsys.readouterr().out
    assert await asyncio.to_thread(reminder_days, ["--wave", str(wave.id), "--days", "a week"]) == 2
    assert "'a week' is not a whole number of days" in capsys.readouterr().err
    assert await asyncio.to_thread(reminder_days, ["--wave", "99", "--days", "7"]) == 2
    assert "there is no wave 99" in capsys.readouterr().err


async def test_a_tick_that_loses_its_lease_stops_after_recording_what_was_under_way(
    db: Database, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from storage.models import TickLeaseRow

    settings = Settings.from_env({}, secret_key=Secret(TEST_SECRET.decode()), tick_lease_seconds=3)
    people = await install(db, fake.url, 200)
    fake.delay = 0.05
    running = asyncio.create_task(tick(db, settings, partnership, adapter, FIRST))
    await fake.wait_for_calls(5)
    async with db.transaction() as session:  # another replica took over (say this one stalled too long)
        await session.execute(update(TickLeaseRow).values(holder="replica-2", expires=4e9))
    outcome = await running
    assert outcome.failed == ["lease"]
    assert "another run took the lease over" in outcome.describe()
    sent = sum(reminded(fake).values())
    assert 0 < sent < len(people)
    assert (await reminders.counts(db, wave.id)).get("sent") == sent  # every send recorded


async def test_a_lead_who_cannot_be_reached_is_tried_on_the_next_ticks_then_given_up(
    db: Database, settings: Settings, partnership: Partnership, adapter: Any, fake: FakeConnector, wave: Wave
) -> None:
    """The lead has not installed the bot: each tick tries again, three times in all, then stops."""
    outcomes = [
        await tick(db, settings, partnership, adapter, CLOSES + timedelta(days=d)) for d in (1, 1, 2, 3)
    ]
    assert "Reports of wave 1: sent to 0 lead(s), 1 failed." in outcomes[0].describe()
    assert "the lead has not installed the bot in Teams" in outcomes[0].describe()
    assert [o.failed for o in outcomes] == [[], [], [], []]  # a lead not reached is not a failed step
    assert await jobs.status(db, f"wave-reports/{wave.id}") == "done"
    assert await jobs.status(db, f"wave-report-to/{wave.id}/CSC/{lead_key(LEAD)}") == "failed"
    tried = ["Reports of wave" in o.describe() for o in outcomes]
    assert tried == [True, True, True, False]
