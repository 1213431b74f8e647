"""`bot invite`: everyone installed is invited once, throttling is waited out, and a stopped run resumes."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.hosts import Host, create_host
from bot.invite import InviteRefused, InviteSummary, invitation, invite_wave, main
from bot.proactive import ProactiveSender, SendPolicy
from common.partnership import Partnership, load_partnership
from common.settings import BOT_HOSTS, ROOT, Secret, Settings
from storage import invitations
from storage.conversations import save_reference
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.migrate import upgrade_async
from storage.submissions import submit
from storage.waves import Wave, create_wave
from surveys.loader import load_definitions
from tests.bot.test_cards import assert_valid
from tests.conftest import TEST_SECRET
from tests.helpers.fake_connector import FakeConnector
from tests.storage.survey_docs import keep, survey_document

TODAY = date(2026, 11, 23)


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({}, secret_key=Secret(TEST_SECRET.decode()))


@pytest.fixture
def partnership(settings: Settings) -> Partnership:
    return load_partnership(settings.partnership_file)


@pytest.fixture
async def wave(db: Database, partnership: Partnership) -> Wave:
    return await create_wave(db, "practitioner", 1, TODAY, TODAY + timedelta(days=42), partnership.agencies)


@pytest.fixture(params=BOT_HOSTS)
async def host(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Host]:
    """Invitations go out through each host (BOT_HOST): the Bot Framework SDK and the Agents SDK."""
    host = create_host(settings.model_copy(update=dict(bot_host=request.param)))
    yield host
    await host.close()


async def no_wait(seconds: float) -> None:
    """Throttling waits are checked in test_proactive; here they only need to happen."""


def sender(settings: Settings, host: Host, **policy: Any) -> ProactiveSender:
    policy_ = SendPolicy(**policy)
    return ProactiveSender(settings, host, policy=policy_, sleep=no_wait, rng=random.Random(1))


async def install(db: Database, service_url: str, people: int) -> list[str]:
    """Store personal conversation references as the bot does on install; returns the conversation ids."""
    conversations = []
    for n in range(people):
        conversation = f"a:personal-{n}"
        reference = {
            "user": {"id": f"29:user-{n}", "aadObjectId": f"aad-{n}"},
            "bot": {"id": "28:bot", "name": "Safeguarding"},
            "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "tenant-1"},
            "channelId": "msteams",
            "serviceUrl": service_url,
        }
        await save_reference(db, f"msteams:{conversation}", reference, "personal", f"msteams:aad-{n}")
        conversations.append(conversation)
    return conversations


async def answer(db: Database, settings: Settings, wave: Wave, person: str) -> None:
    """The person confirms their answers and the submission is stored, as after pressing Submit."""
    key = await keep(db, settings, survey_document(person, wave.id))
    outcome = await submit(db, key, settings, today=TODAY)
    assert outcome.kind == "stored"


async def run(
    db: Database,
    settings: Settings,
    send: ProactiveSender,
    wave: Wave,
    partnership: Partnership,
    **kwargs: Any,
) -> InviteSummary:
    return await invite_wave(
        db, settings, send, wave.id, today=TODAY, partnership=partnership, show_progress=False, **kwargs
    )


def invitations_per_conversation(fake: FakeConnector) -> Counter[str]:
    return Counter(call.conversation_id for call in fake.calls if call.kind == "send")


async def test_everyone_installed_is_invited_except_who_already_answered(
    db: Database, settings: Settings, host: Any, fake: FakeConnector, wave: Wave, partnership: Partnership
) -> None:
    conversations = await install(db, fake.url + "/amer/", 5)
    await answer(db, settings, wave, "msteams:aad-2")

    summary = await run(db, settings, sender(settings, host), wave, partnership)

    assert (summary.sent, summary.failed, summary.already_answered, summary.already_invited) == (4, 0, 1, 0)
    expected = {c: 1 for c in conversations if c != "a:personal-2"}
    assert invitations_per_conversation(fake) == expected
    card = fake.calls[0].body["attachments"][0]["content"]
    buttons = [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
    start = {"title": "Start the survey", "data": {"action": "start", "wave": wave.id}}
    assert start.items() <= buttons[0].items()
    assert "Safeguarding practitioner questionnaire" in card["body"][0]["text"]
    assert "anonymous" in card["body"][0]["text"]
    assert "open until Monday 4 January 2027" in card["body"][0]["text"]
    assert await invitations.counts(db, wave.id) == {"sent": 4}
    assert "4 sent, 0 failed, 1 skipped" in summary.describe()


async def test_throttling_is_waited_out_and_everyone_still_gets_one_invitation(
    db: Database, settings: Settings, host: Any, fake: FakeConnector, wave: Wave, partnership: Partnership
) -> None:
    conversations = await install(db, fake.url, 6)
    fake.fail(429, times=4, retry_after=2)
    fake.fail(503, times=2)

    # 7 attempts: even one person meeting all 6 faults still gets through
    summary = await run(db, settings, sender(settings, host, attempts=7), wave, partnership)

    assert (summary.sent, summary.failed) == (6, 0)
    assert len(fake.refused) == 6
    assert invitations_per_conversation(fake) == dict.fromkeys(conversations, 1)


async def test_a_failure_is_recorded_and_retried_by_the_next_run(
    db: Database, settings: Settings, host: Any, fake: FakeConnector, wave: Wave, partnership: Partnership
) -> None:
    conversations = await install(db, fake.url, 4)
    fake.fail(403, conversation="a:personal-1")

    first = await run(db, settings, sender(settings, host), wave, partnership)
    assert (first.sent, first.failed) == (3, 1)
    assert first.failures == Counter({"HTTP 403: not retried": 1})
    assert "Run the same command again" in first.describe()
    assert await invitations.counts(db, wave.id) == {"sent": 3, "failed": 1}

    second = await run(db, settings, sender(settings, host), wave, partnership)
    assert (second.sent, second.failed, second.already_invited) == (1, 0, 3)
    assert invitations_per_conversation(fake) == dict.fromkeys(conversations, 1)


async def test_a_service_that_is_not_a_connector_fails_that_person_and_the_run_goes_on(
    db: Database, settings: Settings, host: Any, fake: FakeConnector, wave: Wave, partnership: Partnership
) -> None:
    """Regression: a reference left by the local chat page points at the bot itself, which answers
    text/plain; the run crashed with DeserializationError and nobody after it was invited."""

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", plain)
    async with TestServer(app) as not_a_connector:
        await install(db, str(not_a_connector.make_url("/")), 1)
        await save_reference(
            db,
            "msteams:a:after",
            {
                "user": {"id": "29:after", "aadObjectId": "aad-after"},
                "bot": {"id": "28:bot"},
                "conversation": {"id": "a:after", "conversationType": "personal", "tenantId": "tenant-1"},
                "channelId": "msteams",
                "serviceUrl": fake.url,
            },
            "personal",
            "msteams:aad-after",
        )
        summary = await run(db, settings, sender(settings, host), wave, partnership)

    assert (summary.sent, summary.failed) == (1, 1)
    assert summary.failures == Counter(
        {"the service answered with something other than a Bot Connector reply": 1}
    )
    assert invitations_per_conversation(fake) == {"a:after": 1}


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, "OK", "text/plain"),
        (200, "", "text/plain"),
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        (403, "", "application/json"),
    ],
    ids=["200-text-plain", "200-empty", "502-html-page", "403-empty"],
)
async def test_an_answer_the_connector_would_never_give_fails_that_person_and_the_run_goes_on(
    db: Database,
    settings: Settings,
    host: Host,
    fake: FakeConnector,
    wave: Wave,
    partnership: Partnership,
    status: int,
    body: str,
    content_type: str,
) -> None:
    """Regression: an empty body (200 or an error status) made the client library raise ValueError
    ("Body is not available"), which crashed the whole run with a traceback."""
    conversations = await install(db, fake.url, 3)
    fake.fail(status, body=body, content_type=content_type, conversation=conversations[1], times=10)

    summary = await run(db, settings, sender(settings, host), wave, partnership, workers=1)

    assert (summary.sent, summary.failed) == (2, 1)
    [reason] = summary.failures
    assert reason.startswith(("the service", "HTTP"))
    assert invitations_per_conversation(fake) == {conversations[0]: 1, conversations[2]: 1}
    assert await invitations.statuses(db, wave.id) == {
        "msteams:a:personal-0": "sent",
        "msteams:a:personal-1": "failed",
        "msteams:a:personal-2": "sent",
    }


async def test_an_interrupted_run_resumes_without_inviting_anyone_twice(
    db: Database, settings: Settings, host: Any, wave: Wave, partnership: Partnership
) -> None:
    async with FakeConnector(delay=0.1) as slow:
        conversations = await install(db, slow.url, 12)
        send = sender(settings, host)
        first = asyncio.create_task(run(db, settings, send, wave, partnership, batch=2, workers=2))
        await slow.wait_for_calls(3)
        first.cancel()  # what Ctrl-C does to `python -m bot invite`
        with pytest.raises(asyncio.CancelledError):
            await first
        reached = len(slow.calls)
        assert 3 <= reached < 12
        # every send that reached Teams was recorded, so the next run will not repeat it
        assert await invitations.counts(db, wave.id) == {"sent": reached}

        second = await run(db, settings, sender(settings, host), wave, partnership, batch=2, workers=2)

    assert (second.already_invited, second.sent, second.failed) == (reached, 12 - reached, 0)
    assert invitations_per_conversation(slow) == dict.fromkeys(conversations, 1)


async def test_a_database_failure_stops_the_run_without_sending_more(
    db: Database,
    settings: Settings,
    host: Any,
    fake: FakeConnector,
    wave: Wave,
    partnership: Partnership,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await install(db, fake.url, 6)
    real_mark = invitations.mark_many
    marks = 0

    async def mark_many(*args: Any) -> None:
        nonlocal marks
        marks += 1
        if marks == 2:
            raise StorageUnavailable("connection lost")
        await real_mark(*args)

    monkeypatch.setattr(invitations, "mark_many", mark_many)
    with pytest.raises(StorageUnavailable):
        await run(db, settings, sender(settings, host), wave, partnership, batch=2, workers=1)
    assert len(fake.calls) == 4  # the second batch was sent but could not be recorded; no third was sent
    assert await invitations.counts(db, wave.id) == {"sent": 2}


async def test_the_progress_bar_counts_people(
    db: Database,
    settings: Settings,
    host: Any,
    fake: FakeConnector,
    wave: Wave,
    partnership: Partnership,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await install(db, fake.url, 3)
    send = sender(settings, host)
    await invite_wave(db, settings, send, wave.id, today=TODAY, partnership=partnership, show_progress=True)
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("opens", "closes", "closed", "reason"),
    [
        (TODAY - timedelta(days=50), TODAY - timedelta(days=8), False, "closed on Sunday 15 November 2026"),
        (TODAY - timedelta(days=5), TODAY + timedelta(days=5), True, "closed on"),
        (TODAY + timedelta(days=7), TODAY + timedelta(days=40), False, "opens on Monday 30 November 2026"),
    ],
)
async def test_a_wave_that_is_not_open_is_refused(
    db: Database,
    settings: Settings,
    host: Any,
    fake: FakeConnector,
    partnership: Partnership,
    opens: date,
    closes: date,
    closed: bool,
    reason: str,
) -> None:
    from storage.waves import mark_closed

    await install(db, fake.url, 1)
    wave = await create_wave(db, "practitioner", 1, opens, closes, partnership.agencies)
    if closed:
        await mark_closed(db, wave.id)
    with pytest.raises(InviteRefused, match=reason):
        await run(db, settings, sender(settings, host), wave, partnership)
    assert fake.calls == []


async def test_an_unknown_wave_is_refused(
    db: Database, settings: Settings, host: Any, partnership: Partnership
) -> None:
    with pytest.raises(InviteRefused, match="no wave 999"):
        await invite_wave(db, settings, sender(settings, host), 999, today=TODAY, partnership=partnership)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'invite.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    return url


def test_the_command_refuses_an_unknown_wave(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--wave", "41"]) == 2
    assert "Cannot send invitations: there is no wave 41" in capsys.readouterr().err


def test_the_command_reports_what_it_did(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def open_wave() -> int:
        db = await Database.open(sqlite_url)
        try:
            partnership = load_partnership(Settings.from_env({}).partnership_file)
            today = date.today()
            closes = today + timedelta(days=7)
            wave = await create_wave(db, "practitioner", 1, today, closes, partnership.agencies)
            return wave.id
        finally:
            await db.close()

    wave_id = asyncio.run(open_wave())
    assert main(["--wave", str(wave_id)]) == 0
    assert f"Wave {wave_id}: 0 sent, 0 failed, 0 skipped" in capsys.readouterr().out


@pytest.mark.slow
async def test_ctrl_c_stops_the_command_and_running_it_again_finishes_the_job(tmp_path: Path) -> None:
    """The real command in its own process, interrupted with SIGINT while sends are under way."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'interrupt.db'}"
    await upgrade_async(url)
    db = await Database.open(url)
    today = date.today()
    try:
        partnership = load_partnership(Settings.from_env({}).partnership_file)
        closes = today + timedelta(days=30)
        wave = await create_wave(db, "practitioner", 1, today, closes, partnership.agencies)
        async with FakeConnector(delay=0.3) as slow:
            conversations = await install(db, slow.url, 16)
            env = {**os.environ, "DATABASE_URL": url, "MicrosoftAppId": "", "SECRET_KEY": "interrupt-test"}
            command = [
                sys.executable,
                "-m",
                "bot",
                "invite",
                "--wave",
                str(wave.id),
                "--batch",
                "2",
                "--workers",
                "2",
            ]

            async def run_command(interrupt_after: int | None) -> tuple[int, str]:
                pipe = asyncio.subprocess.PIPE
                process = await asyncio.create_subprocess_exec(
                    *command, cwd=ROOT, env=env, stdout=pipe, stderr=pipe
                )
                if interrupt_after is not None:
                    await slow.wait_for_calls(interrupt_after)
                    process.send_signal(signal.SIGINT)
                out, err = await process.communicate()
                return process.returncode or 0, out.decode() + err.decode()

            status, output = await run_command(interrupt_after=3)
            assert status == 130, output
            assert "Run the same command again" in output
            reached = len(slow.calls)
            assert reached < 16
            assert await invitations.counts(db, wave.id) == {"sent": reached}

            status, output = await run_command(interrupt_after=None)
            assert status == 0, output
            assert f"{16 - reached} sent, 0 failed, {reached} skipped ({reached} already invited" in output
            assert invitations_per_conversation(slow) == dict.fromkeys(conversations, 1)
    finally:
        await db.close()


@pytest.mark.parametrize("questionnaire", ["practitioner", "impact-assessment"])
def test_the_invitation_is_a_valid_adaptive_card_in_its_questionnaires_terms(
    partnership: Partnership, questionnaire: str
) -> None:
    """Regression: every wave was invited to "the practitioner survey", whose answers "are anonymous",
    including the impact assessment, an agency's return kept with the agency's name."""
    definition = load_definitions(partnership)[questionnaire]
    wave = Wave(7, questionnaire, 1, TODAY, TODAY + timedelta(days=42), False)
    [attachment] = invitation(partnership, definition, wave).attachments
    assert_valid(attachment.content)
    text = attachment.content["body"][0]["text"]
    assert definition.title in text
    assert ("anonymous" in text) is definition.anonymous
    assert "practitioner survey" not in text
