"""Whole questionnaires over HTTP, typed and clicked, then the stored response read from the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from common.settings import Settings
from storage.database import Database
from storage.responses import read_responses
from tests.e2e.conftest import AiohttpClient
from tests.helpers.chat import Chat, buttons, expected_answers, text_of, texts, titles
from tests.helpers.shared import SHARED

TRANSCRIPTS = sorted((SHARED / "samples" / "transcripts").glob("*.json"))


async def only_response(database: Database) -> Any:
    stored = await read_responses(database)
    assert len(stored) == 1, f"expected one stored response, found {len(stored)}"
    return stored[0]


@pytest.mark.skipif(not TRANSCRIPTS, reason="../shared/samples/transcripts is not present beside the project")
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_public_transcript_typed_over_http_stores_the_expected_response(
    chat: Chat, database: Database, path: Path
) -> None:
    transcript = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    for turn in transcript["turns"]:
        replies = await chat.say(turn)
        assert replies, f"no reply to {turn!r}"
    assert "Thank you" in texts(replies)
    response = await only_response(database)
    expect = expected_answers(transcript["expect"])
    assert dict(response.answers) == expect
    assert response.agency == transcript["expect"]["agency"]


async def test_survey_completed_by_clicking_as_teams_sends_card_submissions(
    chat: Chat, database: Database
) -> None:
    greeting = await chat.post(chat.install())
    assert {"Start the survey", "Ask a question"} <= set(titles(greeting))

    first = await chat.press("Start the survey")
    assert "Question 1 · up to 21 more" in texts(first)
    await chat.choose("Thames Valley Police")  # 16 agencies: a drop-down and a Next button
    agency_card = chat.log[-2]  # the card that was answered...
    assert "Question 1 ·" not in text_of(agency_card)
    assert "Thames Valley Police" in text_of(agency_card)
    assert buttons(agency_card) == []  # ...now shows the answer and nothing to press again

    await chat.press("Adults with care and support needs")
    await chat.press("Frontline practitioner")
    await chat.press("Never")  # training_applied is not shown after "Never"
    assert "Question 5 ·" in texts(chat.log[-1:])
    for _ in range(2):
        await chat.press("Agree")  # knowledge_sufficient, know_where_info
    await chat.press("Disagree")  # thresholds_adults
    await chat.press("No")  # raised_concern: referral_feedback and supported_concern skipped
    await chat.press("Neither agree nor disagree")
    await chat.press("Not needed")
    await chat.press("Yes")
    await chat.press("Strongly agree")
    await chat.press("Agree")
    await chat.choose("Self-neglect Tool", "Mental Capacity Assessment")  # multi-select sends "a,b"
    await chat.press("Agree")
    await chat.press("4")  # joint_working rating buttons
    reminder_and_item = chat.log[-2:]
    assert "don't name anyone" in texts(reminder_and_item)
    await chat.press("Send answer", answer="Call me on 07700 900123 about training for Mr Smith's team")
    skipped = chat.current_card()
    await chat.press("Skip")
    assert buttons(chat.by_id[skipped["id"]]) == []  # a skipped card keeps no buttons either
    assert "Skipped" in text_of(chat.by_id[skipped["id"]])
    summary = chat.current_card()
    assert "Here are your answers" in text_of(summary)
    done = await chat.press("Submit my answers")
    assert "submitted anonymously" in texts(done)
    assert buttons(chat.by_id[summary["id"]]) == []  # no Submit left to press a second time
    assert "Submitted" in text_of(chat.by_id[summary["id"]])

    response = await only_response(database)
    assert response.agency == "TVP"
    assert response.answers["tools_used"] == ("Self-neglect Tool", "Mental Capacity Assessment")
    assert response.answers["joint_working"] == 4
    assert "07700" not in response.answers["one_change"]
    assert "[phone]" in response.answers["one_change"]
    assert "anything_else" not in response.answers
    assert "training_applied" not in response.answers


async def test_back_then_a_button_from_the_old_card_is_handled_safely(chat: Chat, database: Database) -> None:
    await chat.say("start survey")
    await chat.say("thames valley police")  # a typed answer: the agency card keeps its drop-down
    works_with = chat.current_card()
    await chat.press("Children and families")
    await chat.say("back")
    assert "Who do you mainly work with?" in text_of(chat.current_card())
    await chat.press("Both")
    role = chat.current_card()
    assert "Which best describes your role?" in text_of(role)
    # The works_with card answered before "back" was replaced; the first agency card was not
    # (it was answered by typing), so its button still exists and still arrives:
    stale = await chat.click({"item": "agency", "answer": "CSC"}, on=works_with["id"])
    assert "different question" in texts(stale)
    assert "Which best describes your role?" in texts(stale)
    assert buttons(chat.by_id[works_with["id"]]) == []  # the out-of-date card is retired
    await chat.say("1")
    await chat.say("pause")
    await chat.say("resume")
    assert "When did you last attend safeguarding training?" in text_of(chat.current_card())
    assert await read_responses(database) == []  # nothing stored before confirmation


async def test_pause_and_resume_across_a_restart_of_the_server(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    first = await aiohttp_client(create_app(settings))
    person = Chat(first)
    await person.say("start survey")
    await person.say("Children's Social Care")
    await person.say("Both")
    paused = await person.say("pause")
    assert "Paused" in texts(paused)
    await first.close()

    second = await aiohttp_client(create_app(settings))  # a new process on the same database
    same_person = Chat(second, user=person.user)
    reinstalled = await same_person.post(same_person.install())
    assert "Resume the questionnaire" in titles(reinstalled)
    hello = await same_person.say("hi")
    assert "Resume" in titles(hello)
    resumed = await same_person.press("Resume")
    assert "Which best describes your role?" in texts(resumed)
    assert "Question 3 ·" in texts(resumed)


async def test_a_second_submission_in_the_same_wave_is_refused_politely(
    chat: Chat, client: TestClient, database: Database
) -> None:
    path = sorted((SHARED / "samples" / "transcripts").glob("02_*.json"))
    if not path:
        pytest.skip("../shared/samples/transcripts is not present beside the project")
    turns = json.loads(await asyncio.to_thread(path[0].read_text, encoding="utf-8"))["turns"]
    for turn in turns:
        await chat.say(turn)
    again = await chat.say("start survey")
    assert "already completed" in texts(again)
    assert len(await read_responses(database)) == 1


async def test_survey_window_says_when_it_opens_and_when_it_closed(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    today = datetime.now(UTC)
    await (await aiohttp_client(create_app(settings))).close()  # the default wave opens today
    before = await aiohttp_client(create_app(settings, clock=lambda: today - timedelta(days=10)))
    early = await Chat(before).say("start survey")
    assert "isn't open yet" in texts(early)
    assert f"{today.day} {today:%B %Y}" in texts(early)
    after = await aiohttp_client(create_app(settings, clock=lambda: today + timedelta(days=100)))
    late = await Chat(after).say("start survey")
    assert "closed on" in texts(late)


async def test_the_same_answer_sent_twice_at_once_moves_on_once(chat: Chat, database: Database) -> None:
    await chat.say("start survey")
    await chat.say("Public Health")
    card = chat.current_card()
    press = {"item": "works_with", "answer": "Both"}
    first, second = await asyncio.gather(chat.click(press, on=card["id"]), chat.click(press, on=card["id"]))
    together = texts(first + second)
    assert "Which best describes your role?" in together
    assert "Question 3 · up to 19 more" in together  # nobody skipped a question
    nxt = await chat.say("Volunteer")
    assert "When did you last attend safeguarding training?" in texts(nxt)
