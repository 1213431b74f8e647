"""Proactive sends reach the (fake) Bot Connector, back off as Teams asks, and give up honestly."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.hosts import Host, create_host
from bot.pacing import MARGIN, Pacer, retry_after_seconds
from bot.proactive import ProactiveSender, SendPolicy, summary_card
from common.partnership import AgencyLead
from common.settings import BOT_HOSTS, Settings
from storage.conversations import save_reference
from storage.database import Database
from tests.bot.test_cards import assert_valid
from tests.helpers.fake_connector import FakeConnector


def reference(service_url: str, conversation: str = "a:personal-1", user: str = "29:user-1") -> dict:
    """A conversation reference as TurnContext.get_conversation_reference(...).serialize() gives it."""
    return {
        "activityId": "1",
        "user": {"id": user, "name": "A Practitioner", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
        "bot": {"id": "28:bot", "name": "Safeguarding Bot"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "tenant-1"},
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": service_url,
    }


class FakeTime:
    """A clock that only moves when the sender sleeps, so waits are checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(params=BOT_HOSTS)
async def host(request: pytest.FixtureRequest) -> AsyncIterator[Host]:
    """Every send here goes through each host (BOT_HOST): the Bot Framework SDK and the Agents SDK."""
    host = create_host(Settings.from_env({"BOT_HOST": request.param}))
    yield host
    await host.close()


def sender(host: Host, time: FakeTime | None = None, **policy: Any) -> ProactiveSender:
    extra: dict[str, Any] = {"rng": random.Random(4)}
    if time is not None:
        extra.update(sleep=time.sleep, clock=time.clock)
    return ProactiveSender(Settings.from_env({}), host, policy=SendPolicy(**policy), **extra)


async def test_text_goes_to_the_referenced_conversation_as_the_bot(host: Any, fake: FakeConnector) -> None:
    result = await sender(host).send(reference(fake.url + "/amer/"), "Hello from the partnership")
    assert result.ok
    assert result.attempts == 1
    [call] = fake.calls
    assert (call.kind, call.prefix, call.conversation_id) == ("send", "/amer", "a:personal-1")
    assert call.body["text"] == "Hello from the partnership"
    assert call.body["from"]["id"] == "28:bot"
    assert call.body["recipient"]["id"] == "29:user-1"
    assert (result.activity_id or "").startswith("fake-")


async def test_a_card_is_sent_as_an_adaptive_card_attachment(host: Any, fake: FakeConnector) -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hi"}]}
    result = await sender(host).send_card(reference(fake.url), card, "An invitation")
    assert result.ok
    [body] = fake.sent()
    assert body["summary"] == "An invitation"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"] == card


async def test_429_waits_as_long_as_retry_after_says_plus_jitter(host: Any, fake: FakeConnector) -> None:
    fake.fail(429, times=2, retry_after=3)
    time = FakeTime()
    result = await sender(host, time, jitter=0.2).send(reference(fake.url), "hi")
    assert result.ok
    assert result.attempts == 3
    assert len(fake.refused) == 2
    assert len(fake.calls) == 1
    assert len(time.sleeps) == 2
    assert all(3.0 <= s <= 3.6 for s in time.sleeps)
    assert time.sleeps[0] != time.sleeps[1]  # jittered


async def test_429_asking_for_longer_than_the_cap_gives_up_at_once(host: Any, fake: FakeConnector) -> None:
    fake.fail(429, retry_after=600)
    time = FakeTime()
    result = await sender(host, time, max_delay=60).send(reference(fake.url), "hi")
    assert not result.ok
    assert (result.status, result.attempts) == (429, 1)
    assert "600" in (result.error or "")
    assert time.sleeps == []


async def test_429_without_retry_after_backs_off_exponentially(host: Any, fake: FakeConnector) -> None:
    fake.fail(429, times=3)
    time = FakeTime()
    result = await sender(host, time, base_delay=1.0, jitter=0.0).send(reference(fake.url), "hi")
    assert result.ok
    assert time.sleeps == [1.0, 2.0, 4.0]


async def test_a_few_5xx_are_retried_and_nothing_is_retried_behind_our_back(
    host: Any, fake: FakeConnector
) -> None:
    fake.fail(503, times=2)
    fake.fail(500, times=1)
    time = FakeTime()
    result = await sender(host, time, jitter=0.0).send(reference(fake.url), "hi")
    assert result.ok
    assert result.attempts == 4
    assert fake.counts["send"] == 4  # neither SDK nor its HTTP client added retries of its own
    assert time.sleeps == [1.0, 2.0, 4.0]


async def test_persistent_5xx_gives_up_with_the_status(host: Any, fake: FakeConnector) -> None:
    fake.fail(502, times=100)
    result = await sender(host, FakeTime(), attempts=3).send(reference(fake.url), "hi")
    assert not result.ok
    assert (result.status, result.attempts) == (502, 3)
    assert fake.counts["send"] == 3


async def test_a_refusal_is_not_retried(host: Any, fake: FakeConnector) -> None:
    fake.fail(403, times=5)  # e.g. the user blocked or uninstalled the bot
    time = FakeTime()
    result = await sender(host, time).send(reference(fake.url), "hi")
    assert not result.ok
    assert (result.status, result.attempts) == (403, 1)
    assert time.sleeps == []


async def test_an_unreachable_service_gives_up_after_the_attempts(host: Any) -> None:
    async with FakeConnector() as gone:
        url = gone.url
    result = await sender(host, FakeTime(), attempts=2).send(reference(url), "hi")
    assert not result.ok
    assert result.status is None
    assert result.attempts == 2
    assert "connection failed" in (result.error or "")


async def test_an_incomplete_reference_is_a_failed_delivery_not_a_crash(host: Any) -> None:
    broken = {k: v for k, v in reference("http://127.0.0.1:9/").items() if k != "serviceUrl"}
    result = await sender(host).send(broken, "hi")
    assert not result.ok
    assert "incomplete" in (result.error or "")


async def test_concurrency_is_bounded(host: Any) -> None:
    async with FakeConnector(delay=0.05) as slow:
        send = sender(host, concurrency=3)
        results = await asyncio.gather(
            *(send.send(reference(slow.url, conversation=f"a:c{i}"), "hi") for i in range(12))
        )
        assert all(r.ok for r in results)
        assert len(slow.calls) == 12
        assert slow.max_in_flight == 3


async def test_one_429_holds_back_every_sender(host: Any, fake: FakeConnector) -> None:
    fake.fail(429, retry_after=1, conversation="a:first")
    holding = asyncio.Event()

    async def sleep(seconds: float) -> None:
        holding.set()
        await asyncio.sleep(seconds)

    policy = SendPolicy(concurrency=4, jitter=0.0)
    send = ProactiveSender(Settings.from_env({}), host, policy=policy, sleep=sleep)
    first = asyncio.create_task(send.send(reference(fake.url, conversation="a:first"), "hi"))
    await holding.wait()
    throttled_at = fake.refused[0].at
    later = (send.send(reference(fake.url, conversation=f"a:o{i}"), "hi") for i in range(3))
    others = await asyncio.gather(*later)
    assert (await first).ok
    assert all(r.ok for r in others)
    assert len(fake.calls) == 4
    assert all(call.at - throttled_at >= 0.95 for call in fake.calls)


async def test_a_429_holds_back_the_senders_already_waiting_for_their_slots(fake: FakeConnector) -> None:
    """Paced senders queue for slots up to a second ahead; when the one in front is throttled they
    give their slots up and wait out its Retry-After too, instead of meeting the full window again."""
    fake.fail(429, retry_after=1, conversation="a:first")
    settings = Settings.from_env({"TEAMS_SENDS_PER_SECOND": "2"})  # slots about half a second apart
    default = create_host(settings)
    try:
        send = ProactiveSender(settings, default, policy=SendPolicy(concurrency=8, jitter=0.0))
        queued = [reference(fake.url, conversation="a:first")]
        queued += [reference(fake.url, conversation=f"a:q{i}") for i in range(3)]
        results = await asyncio.gather(*(send.send(ref, "hi") for ref in queued))
    finally:
        await default.close()
    assert all(r.ok for r in results)
    throttled_at = fake.refused[0].at
    assert len(fake.calls) == 4
    assert all(call.at - throttled_at >= 0.95 for call in fake.calls)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Mon, 23 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 23 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


# --- agency leads' summaries (analysis.delivery.TeamsSender) -----------------------------------

SUMMARY = {
    "partnership": "Example Safeguarding Partnership",
    "agency": "CSC",
    "agency_name": "Children's Social Care",
    "wave": 3,
    "previous_wave": 2,
    "min_group_size": 10,
    "responses": 42,
    "headcount": 450,
    "response_rate": 9.3,
    "target_met": False,
    "suppressed": False,
    "figures": [
        {
            "measure": "trained_recently",
            "label": "Safeguarding training in the last year",
            "of": "respondents",
            "unit": "%",
            "value": 81.0,
            "count": 34,
            "base": 42,
            "suppressed": False,
            "partnership": 77.0,
            "change": None,
            "change_beyond_chance": None,
        }
    ],
    "top_themes": ["Joint training"],
}
LINK = "https://bot.example.org/reports/3/CSC/2026-12-07/abc/report.html"


async def test_a_lead_gets_their_summary_card_with_the_report_link(
    host: Any, fake: FakeConnector, db: Database
) -> None:
    await save_reference(db, "msteams:a:lead", reference(fake.url, "a:lead"), "personal", "msteams:aad-lead")
    send = ProactiveSender(Settings.from_env({}), host, db=db)
    result = await send.send_summary(AgencyLead("CSC", teams_user="aad-lead"), SUMMARY, LINK)
    assert result.ok
    [call] = fake.calls
    assert call.conversation_id == "a:lead"
    content = call.body["attachments"][0]["content"]
    texts = [block["text"] for block in content["body"]]
    assert "Children's Social Care" in texts[0]
    assert any("81%" in text and "partnership 77%" in text for text in texts)
    assert content["actions"] == [{"type": "Action.OpenUrl", "title": "Open the full report", "url": LINK}]


async def test_a_lead_who_has_not_installed_the_bot_is_a_failed_delivery(
    host: Any, fake: FakeConnector, db: Database
) -> None:
    other = reference(fake.url, "a:other")
    await save_reference(db, "msteams:a:other", other, "personal", "msteams:aad-other")
    send = ProactiveSender(Settings.from_env({}), host, db=db)
    result = await send.send_summary(AgencyLead("CSC", teams_user="aad-lead"), SUMMARY, LINK)
    assert not result.ok
    assert "not installed" in (result.error or "")
    no_user = await send.send_summary(AgencyLead("CSC", email="lead@example.org"), SUMMARY, LINK)
    assert not no_user.ok
    assert fake.calls == []


def test_the_summary_card_is_a_valid_adaptive_card() -> None:
    assert_valid(summary_card(SUMMARY, LINK))
    suppressed = {**SUMMARY, "suppressed": True, "figures": [{**SUMMARY["figures"][0], "value": None}]}
    content = summary_card(suppressed, LINK)
    assert_valid(content)
    assert "suppressed" in json.dumps(content)


def test_a_leads_card_asks_for_the_agencys_summary_and_a_boards_card_does_not() -> None:
    asking = summary_card({**SUMMARY, "wave": 3, "ask_summary": True}, LINK)
    assert_valid(asking)
    (field,) = [block for block in asking["body"] if block["type"] == "Input.Text"]
    (submit,) = [action for action in asking["actions"] if action["type"] == "Action.Submit"]
    assert submit["data"] == {"action": "agency_summary", "wave": 3, "agency": "CSC"}
    assert field["id"] == "agency_summary"
    assert field["isMultiline"]
    board = summary_card({**SUMMARY, "ask_summary": False}, LINK)
    assert [action["type"] for action in board["actions"]] == ["Action.OpenUrl"]


async def test_sends_to_one_tenant_are_paced_on_the_senders_clock(fake: FakeConnector) -> None:
    """Every send waits for its own slot, 1/(rate x 0.96) s after the one before, per tenant.

    Run on a clock that moves only when the sender sleeps: what is checked is the schedule the
    sender keeps, not how fast this machine happens to be.
    """
    time = FakeTime()
    start = time.now
    settings = Settings.from_env({"TEAMS_SENDS_PER_SECOND": "20"})
    default = create_host(settings)
    try:
        send = ProactiveSender(
            settings, default, policy=SendPolicy(concurrency=16), sleep=time.sleep, clock=time.clock
        )
        one_tenant = [send.send(reference(fake.url, conversation=f"a:p{i}"), "hi") for i in range(30)]
        elsewhere = reference(fake.url, conversation="a:q")
        elsewhere["conversation"]["tenantId"] = "tenant-2"
        other = [send.send(elsewhere, "hi")]
        results = await asyncio.gather(*one_tenant, *other)
    finally:
        await default.close()
    assert all(r.ok for r in results)
    assert len(fake.calls) == 31
    interval = 1 / (20 * MARGIN)
    # 29 sends waited for their slots; the first, and the other tenant's, left at once
    assert time.now - start == pytest.approx(29 * interval)
    assert len(time.sleeps) == 29


async def test_a_late_sender_does_not_let_the_next_ones_burst() -> None:
    """Slots follow the schedule, not the moment a sender woke: lateness never adds up to a burst."""
    time = FakeTime()
    pacer = Pacer(20, clock=time.clock, sleep=time.sleep)
    departures = []
    for late in [0.0, 0.03, 0.0, 0.2, 0.0, 0.0, 0.01, 0.0, 0.5, 0.0] * 3:
        await pacer.wait("tenant")
        departures.append(time.now)
        time.now += late  # the sender woke late, or the send itself took this long
    window = 20  # any 21 consecutive sends span at least 20 intervals
    spans = [b - a for a, b in zip(departures, departures[window:], strict=False)]
    assert min(spans) >= window / (20 * MARGIN) - 1e-9


async def test_pacing_off_meets_the_connectors_limit_and_recovers(host: Any) -> None:
    """The fake's limit is real: unpaced, the burst is throttled, and 429 handling still delivers all."""
    settings = Settings.from_env({"TEAMS_SENDS_PER_SECOND": "0"})
    async with FakeConnector(per_second=20) as strict:
        send = ProactiveSender(settings, host, policy=SendPolicy(concurrency=16, jitter=0.0))
        results = await asyncio.gather(
            *(send.send(reference(strict.url, conversation=f"a:r{i}"), "hi") for i in range(30))
        )
    assert all(r.ok for r in results)
    assert strict.counts.get("throttled", 0) > 0
    assert len({call.conversation_id for call in strict.calls}) == 30
