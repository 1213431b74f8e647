"""Every turn is idempotent over HTTP: the same activity delivered twice changes nothing.

Bot Framework and Teams deliver an activity again (same ``id``) when a reply
is slow or lost, sometimes while the first delivery is still running, and a
person whose reply was lost types the same thing again (a new ``id``). Each
test plays a whole typed questionnaire that way, on SQLite and PostgreSQL,
and then reads the response table: exactly one response, every answer
against its own item.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from common.settings import Settings
from storage import experts, guidance_log, processed
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import read_responses
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import Chat, buttons, expected_answers, texts
from tests.helpers.shared import shared_path

TRANSCRIPT = "01_buttons_children_raised_yes.json"
SUBMITTED = "Your answers are in"


def transcript() -> dict[str, Any]:
    return json.loads(shared_path("samples", "transcripts", TRANSCRIPT).read_text(encoding="utf-8"))


@pytest.fixture
async def app_settings(database_url: str, tmp_path: Path, bot_host: str) -> Settings:
    """Settings of an app on the parametrised database (SQLite, and PostgreSQL when configured) and host."""
    await upgrade_async(database_url)
    return e2e_settings(database_url, tmp_path, bot_host=bot_host)


@pytest.fixture
async def stored(database_url: str) -> AsyncIterator[Database]:
    """The database the apps use, to read what was stored."""
    db = await Database.open(database_url)
    try:
        yield db
    finally:
        await db.close()


async def assert_stored_exactly(db: Database, expect: dict[str, Any]) -> None:
    responses = await read_responses(db)
    assert len(responses) == 1, f"expected exactly one response, found {len(responses)}"
    assert dict(responses[0].answers) == expected_answers(expect)
    assert responses[0].agency == expect["agency"]


def assert_shows_where_we_are(replies: list[dict[str, Any]], turn: str) -> None:
    """A repeated delivery is answered with where the person is, never a re-prompt or a guess."""
    said = texts(replies)
    assert "didn't recognise" not in said, (turn, said)
    assert "I'm not sure" not in said, (turn, said)
    assert "Question" in said or "Here are your answers" in said or SUBMITTED in said, (turn, said)


async def test_each_typed_answer_delivered_twice_in_turn_is_stored_once(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    script = transcript()
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    for turn in script["turns"]:
        activity = chat.message(turn)
        assert await chat.post(activity), f"no reply to {turn!r}"
        assert_shows_where_we_are(await chat.post(activity), turn)
    assert SUBMITTED in texts(chat.log[-1:])
    await assert_stored_exactly(stored, script["expect"])


async def test_each_typed_answer_delivered_twice_at_once_is_stored_once(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    script = transcript()
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    for turn in script["turns"]:
        activity = chat.message(turn)
        first, second = await asyncio.gather(chat.post(activity), chat.post(copy.deepcopy(activity)))
        assert first or second, f"no reply to {turn!r}"
    await assert_stored_exactly(stored, script["expect"])


async def test_two_replicas_given_the_same_activity_store_it_once(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    """Two app instances on one database (replicas behind a load balancer, no stickiness)."""
    script = transcript()
    replicas = [await aiohttp_client(create_app(app_settings)) for _ in range(2)]
    chat = Chat(replicas[0])
    for number, turn in enumerate(script["turns"]):
        activity = chat.message(turn)
        here, there = replicas[number % 2], replicas[(number + 1) % 2]
        if number % 3 == 2:  # now and then both replicas get it at the same moment
            await asyncio.gather(_post_to(chat, here, activity), _post_to(chat, there, activity))
        else:
            assert await _post_to(chat, here, activity), f"no reply to {turn!r}"
            assert_shows_where_we_are(await _post_to(chat, there, activity), turn)
    await assert_stored_exactly(stored, script["expect"])


async def _post_to(chat: Chat, client: TestClient, activity: dict[str, Any]) -> list[dict[str, Any]]:
    chat.client = client
    return await chat.post(copy.deepcopy(activity))


async def test_an_activity_delivered_again_after_a_restart_changes_nothing(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    script = transcript()
    turns = script["turns"]
    before = await aiohttp_client(create_app(app_settings))
    chat = Chat(before)
    for turn in turns[:10]:
        last = chat.message(turn)
        assert await chat.post(last)
    await before.close()  # the process stops; nothing of the turn is kept in memory
    chat.client = await aiohttp_client(create_app(app_settings))
    assert_shows_where_we_are(await chat.post(last), turns[9])
    for turn in turns[10:]:
        activity = chat.message(turn)
        assert await chat.post(activity)
    assert_shows_where_we_are(await chat.post(activity), turns[-1])
    await assert_stored_exactly(stored, script["expect"])


async def test_an_answer_typed_again_before_the_next_question_showed_is_not_applied_to_it(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    """The person's own retry (a new activity id), sent before the reply to the first arrived.

    Both carry the same moment: stamped one after the other, a busy test machine could pause
    between them for longer than the bot took to answer the first, and the retry then really was
    sent after the next question showed."""
    script = transcript()
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    await chat.say(script["turns"][0])
    for turn in script["turns"][1:]:
        first, retry = chat.message(turn), chat.message(turn)  # both sent before any reply came
        retry["timestamp"] = first["timestamp"]
        assert await chat.post(first)
        again = await chat.post(retry)
        assert_shows_where_we_are(again, turn)
    await assert_stored_exactly(stored, script["expect"])


async def test_submit_said_again_after_submitting_says_the_answers_are_in(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    """The reply to "submit" was lost: the person says it again, or anything like it, or presses Submit."""
    script = transcript()
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    for turn in script["turns"]:
        await chat.say(turn)
    for again in ("submit", "Submit!", "yes", "send", "ok"):
        replies = await chat.say(again)
        assert SUBMITTED in texts(replies), (again, texts(replies))
        assert "I'm not sure" not in texts(replies)
    replies = await chat.click({"command": "submit"}, on=None)
    assert SUBMITTED in texts(replies)
    await assert_stored_exactly(stored, script["expect"])
    question = await chat.say("what is the MASH?")  # a real question still gets guidance
    assert SUBMITTED not in texts(question)


async def test_a_repeated_question_feedback_or_request_for_the_experts_is_counted_once(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    asked = chat.message("can I claim mileage for home visits to see Mrs Jones?")
    first = await chat.post(asked)
    again = await chat.post(asked)
    assert "I'm not sure" in texts(first)
    assert texts(again) == texts(first)  # a question is simply answered again
    await chat.say("what is the MASH?")
    unhelpful = _pressing(chat, "Not helpful")
    thanks = await asyncio.gather(chat.post(unhelpful), chat.post(copy.deepcopy(unhelpful)))
    assert all("Thank you" in texts(replies) for replies in thanks)
    ask = _pressing(chat, "Ask the safeguarding team")
    assert "passed your question" in texts(await chat.post(ask))
    assert "already passed that question" in texts(await chat.post(ask))

    gaps = await guidance_log.top_gaps(stored)
    assert sum(gap.unanswered for gap in gaps) == 1
    assert sum(gap.unhelpful for gap in gaps) == 1
    assert sum(gap.count for gap in gaps) == 2  # one unanswered question, one "not helpful"
    assert len(await experts.pending(stored)) == 1


def _pressing(chat: Chat, title: str) -> dict[str, Any]:
    """The activity of pressing the latest button with this title, built once (to be delivered twice)."""
    for activity in reversed(chat.log):
        for button in buttons(activity):
            if button["title"] == title:
                return chat.submission(dict(button["data"]), activity["id"])
    raise AssertionError(f"no button {title!r}")


async def test_the_bot_forgets_expired_records_itself(
    aiohttp_client: AiohttpClient, app_settings: Settings, stored: Database
) -> None:
    old = processed.activity_key(app_settings.secret_bytes(), "msteams:a:someone", "1:long-ago")
    assert await processed.claim(stored, old, today=date(2026, 1, 5))
    chat = Chat(await aiohttp_client(create_app(app_settings)))
    assert await chat.say("hello")
    assert not await processed.seen(stored, old)
