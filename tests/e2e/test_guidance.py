"""Guidance over HTTP: answers with follow-ups, honest "not sure", the experts, and emergencies first."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import SERVICES, create_app
from bot.guidance_turns import answer_expert_question
from bot.workers import LARGE_TEXT
from common.settings import ROOT, Settings
from storage import experts, guidance_log
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.responses import read_responses
from tests.e2e.conftest import AiohttpClient
from tests.helpers.chat import CHANNEL_SUBMIT, Chat, cards_of, teams_activity, text_of, texts, titles
from tests.helpers.fake_connector import FakeConnector, pointed_at

EXPERT_CHANNEL = "19:d441d38c655c47a085215b2726e76927@thread.tacv2"  # the channel of Teams payloads 15 and 19
TEAM_ADDED = "19_team_conversationUpdate_botAdded_2025.json"
_ACTIVITY_NUMBERS = itertools.count(1)


async def test_a_question_gets_a_short_answer_with_follow_up_topics_and_feedback_buttons(chat: Chat) -> None:
    replies = await chat.say("how do I escalate if I disagree with social care's decision?")
    assert len(replies) == 1
    answer = text_of(replies[0])
    assert "Disagreeing with another agency" in answer
    assert "escalation" in answer.lower()
    offered = titles(replies)
    assert {"Helpful", "Not helpful"} <= set(offered)
    related = [t for t in offered if t not in {"Helpful", "Not helpful"}]
    assert related, "no follow-up topics offered"
    follow_up = await chat.press(related[0])
    assert related[0] in texts(follow_up)  # the topic's own answer, with its own title
    assert "Helpful" in titles(follow_up)


async def test_an_acronym_is_answered_on_its_own(chat: Chat) -> None:
    replies = await chat.say("what's a LADO?")
    assert "Local Authority Designated Officer" in texts(replies)


async def test_helpful_and_unhelpful_are_recorded_without_identity(
    chat: Chat, database: Database, sqlite_url: str
) -> None:
    await chat.say("who do I call out of hours? my number is 07700 900123")
    await chat.press("Not helpful")
    offer = chat.log[-1]
    assert "Ask the safeguarding team" in titles([offer])
    await chat.say("what is the MASH")
    thanks = await chat.press("Helpful")
    assert "Thank you" in texts(thanks)

    gaps = await guidance_log.top_gaps(database)
    # A question with anything personal in it keeps its topic and helpfulness, never its words.
    assert [(g.unhelpful, g.question) for g in gaps] == [(1, None)]
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")

    def guidance_rows() -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT * FROM guidance_log").fetchall()

    rows = await asyncio.to_thread(guidance_rows)
    assert len(rows) == 4  # two questions, two pieces of feedback
    assert not any(chat.user in str(cell) for row in rows for cell in row)


def rows_of(sqlite_url: str, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///")) as connection:
        return connection.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - our table names


def holding(sqlite_url: str, needle: str) -> set[str]:
    """Every table with a value that contains ``needle``."""
    with sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///")) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {table for table in tables for row in rows_of(sqlite_url, table) if needle in str(row)}


async def test_a_disclosure_asked_as_a_question_keeps_only_its_topic_in_the_log(
    chat: Chat, sqlite_url: str
) -> None:
    """Issue 10: this was kept in guidance_log (redacted, but the situation identifiable)."""
    await chat.say("my client Jane Smith 07700 900123 told me her stepdad hits her, what do I do?")
    await chat.say("how do I escalate a disagreement with another agency?")
    kept = await asyncio.to_thread(rows_of, sqlite_url, "guidance_log")
    words = [str(row) for row in kept]
    assert not any(w in row for row in words for w in ("stepdad", "hits", "Jane", "07700", "client"))
    assert any("how do I escalate a disagreement with another agency?" in row for row in words)


async def test_not_sure_offers_the_nearest_topics_and_the_safeguarding_team(
    chat: Chat, database: Database, sqlite_url: str
) -> None:
    # A vague question in the field gets suggestions; an off-topic one ("claim mileage") gets none.
    replies = await chat.say("not sure what to do about Mrs Jones, a family I work with")
    shown = texts(replies)
    assert "I'm not sure" in shown
    offered = titles(replies)
    assert offered[-1] == "Ask the safeguarding team"
    assert 2 <= len(offered) - 1 <= 3  # two or three nearest topics
    passed_on = await chat.press("Ask the safeguarding team")
    assert "passed your question" in texts(passed_on)
    [question] = await experts.pending(database)
    assert "Jones" not in question.question
    assert "[name]" in question.question
    # The way back is kept apart from the question, sealed: nothing readable names the asker.
    assert await asyncio.to_thread(holding, sqlite_url, chat.user) == set()
    assert len(await asyncio.to_thread(rows_of, sqlite_url, "expert_routes")) == 1


async def test_an_off_topic_question_gets_no_noise_suggestions(chat: Chat) -> None:
    replies = await chat.say("how do I book annual leave")
    assert titles(replies) == ["Ask the safeguarding team"]


async def test_escalating_about_a_gp_is_answered_as_another_agency(chat: Chat) -> None:
    replies = await chat.say("how do I escalate a concern about a GP?")
    assert "professional disagreements" in texts(replies).lower()


async def test_an_experts_answer_reaches_the_person_who_asked(
    aiohttp_client: AiohttpClient, settings: Settings, database: Database, sqlite_url: str
) -> None:
    async with FakeConnector() as teams:
        client = await aiohttp_client(create_app(settings))
        asker = Chat(client, connector=teams.url)
        await asker.say("can I claim mileage for home visits?")
        await asker.press("Ask the safeguarding team")
        [question] = await experts.pending(database)
        outcome = await answer_expert_question(
            database,
            client.app[SERVICES].sender,
            question.id,
            "Yes, through your own agency.",
            datetime.now(UTC).date(),
            settings.secret_bytes(),
        )
        assert "sent" in outcome
        [delivered] = teams.sent(f"a:{asker.user}")
        assert "Yes, through your own agency." in json.dumps(delivered)
        assert await experts.pending(database) == []
        # Delivered: the way back is gone, and no row joins the question to a name or an id.
        assert await asyncio.to_thread(rows_of, sqlite_url, "expert_routes") == []
        assert await asyncio.to_thread(holding, sqlite_url, asker.user) <= {"conversation_references"}


async def test_the_experts_channel_gets_the_question_and_answers_it_there(
    aiohttp_client: AiohttpClient, settings: Settings, database: Database, tmp_path: Path, sqlite_url: str
) -> None:
    partnership = yaml.safe_load(
        await asyncio.to_thread((ROOT / "config" / "partnership.example.yaml").read_text, encoding="utf-8")
    )
    partnership["experts"]["teams_channel"] = EXPERT_CHANNEL
    partnership_file = tmp_path / "partnership.yaml"
    await asyncio.to_thread(partnership_file.write_text, yaml.safe_dump(partnership), encoding="utf-8")
    async with FakeConnector() as teams:
        changed = settings.model_copy(update=dict(partnership_file=partnership_file))
        client = await aiohttp_client(create_app(changed))
        team = Chat(client, connector=teams.url)
        added = await team.post(_in_channel(TEAM_ADDED, teams.url))
        assert "Mention me with a question" in texts(added)

        asker = Chat(client, connector=teams.url)
        await asker.say("is there a form for claiming mileage?")
        told = await asker.press("Ask the safeguarding team")
        assert "without your name" in texts(told)
        [posted] = teams.sent(EXPERT_CHANNEL)
        question_card = posted["attachments"][0]["content"]
        assert "mileage" in json.dumps(question_card)

        [question] = await experts.pending(database)
        submit = _in_channel(
            CHANNEL_SUBMIT,
            teams.url,
            {"action": "expert_answer", "id": question.id, "answer": "Yes: use your agency's expenses form."},
        )
        confirmation = await team.post(submit)
        assert "sent to the person who asked" in texts(confirmation)
        assert "expenses form" in json.dumps(team.updates[-1])  # the question card now shows the answer
        answer = teams.sent(f"a:{asker.user}")
        assert "expenses form" in json.dumps(answer)
        assert await asyncio.to_thread(rows_of, sqlite_url, "expert_routes") == []
        assert await asyncio.to_thread(holding, sqlite_url, asker.user) <= {"conversation_references"}

        suggest = _in_channel(
            CHANNEL_SUBMIT,
            teams.url,
            {
                "action": "expert_suggest",
                "id": question.id,
                "q": question.question,
                "topic": "support-for-staff",
            },
        )
        saved = await team.post(suggest)
        assert "suggested sample question" in texts(saved)
        suggestions = settings.content_suggestions_file
        lines = (await asyncio.to_thread(suggestions.read_text, encoding="utf-8")).splitlines()
        assert json.loads(lines[0])["topic"] == "support-for-staff"

        # Nobody outside the experts' channel can answer a question.
        refused = await asker.click({"action": "expert_answer", "id": question.id, "answer": "spoof"})
        assert "Only the safeguarding team" in texts(refused)


def _in_channel(name: str, url: str, value: dict[str, Any] | None = None) -> dict[str, Any]:
    """A shared Teams channel payload moved onto the fake connector, with an id of its own (a payload
    used twice is two activities, not one delivered again); ``value`` set if given."""
    activity = pointed_at(teams_activity(name), url)
    activity["id"] = f"{activity.get('id')}-{next(_ACTIVITY_NUMBERS)}"
    if value is not None:
        activity["value"] = value
    activity["deliveryMode"] = "expectReplies"
    return activity


async def test_emergency_in_the_middle_of_the_survey_comes_first_then_the_survey_resumes(
    chat: Chat, database: Database
) -> None:
    await chat.say("start survey")
    await chat.say("Oxford Health NHS FT")
    replies = await chat.say("a child on my caseload just told me her stepdad is going to kill her tonight")
    first = text_of(replies[0])
    assert "999" in first
    assert "Who do you mainly work with?" in texts(replies[1:])
    assert "Who do you mainly work with?" not in first
    carry_on = await chat.say("Children and families")
    assert "Which best describes your role?" in texts(carry_on)


# Typed answers that reach `one_change`, the first free-text item (works_with = Both).
TO_FIRST_FREE_TEXT = [
    "start survey", "3", "2", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1",
    "Self-neglect Tool", "1", "3",
]


async def answer_up_to_the_first_free_text_item(chat: Chat) -> None:
    for turn in TO_FIRST_FREE_TEXT:
        await chat.say(turn)


async def test_emergency_at_a_free_text_question_is_not_kept(chat: Chat, database: Database) -> None:
    await answer_up_to_the_first_free_text_item(chat)
    assert "If you could change one thing" in text_of(chat.current_card())
    danger = await chat.say("my client said her partner is outside with a knife right now")
    assert "999" in text_of(danger[0])
    assert "If you could change one thing" in texts(danger[1:])
    for turn in ["More time for supervision", "skip", "submit"]:
        await chat.say(turn)
    [response] = await read_responses(database)
    assert response.answers["one_change"] == "More time for supervision"
    assert "knife" not in json.dumps(response.answers)


async def test_a_disclosure_at_the_end_of_a_long_free_text_answer_is_screened_and_not_kept(
    chat: Chat, database: Database
) -> None:
    """A long answer is screened off the event loop (bot.workers), by the same rules as a short one."""
    await answer_up_to_the_first_free_text_item(chat)
    long = "More time for supervision would help the whole team. " * 22
    assert len(long) >= LARGE_TEXT
    screened = await chat.say(long + "A child in my class told me her stepdad touches her.")
    assert "concern about a particular person" in texts(screened)
    for turn in [long, "skip", "submit"]:
        await chat.say(turn)
    [response] = await read_responses(database)
    assert response.answers["one_change"] == long.strip()


async def test_a_question_typed_mid_survey_is_answered_then_the_item_is_asked_again(chat: Chat) -> None:
    await chat.say("start survey")
    await chat.say("Public Health")
    replies = await chat.say("what does LADO stand for?")
    assert "Local Authority Designated Officer" in text_of(replies[0])
    assert "Who do you mainly work with?" in texts(replies[1:])
    assert "didn't recognise" not in texts(replies)
    gibberish = await chat.say("blue")
    assert "didn't recognise" in texts(gibberish)  # not a question either: a plain re-prompt


async def test_emergency_outside_the_survey_comes_first(chat: Chat) -> None:
    replies = await chat.say("there's a man collapsed in reception after being beaten up, what do I do")
    assert "999" in text_of(replies[0])
    assert all(cards_of(r) or r.get("text") for r in replies)


async def test_emergency_written_in_a_cards_text_box_comes_first_and_is_not_kept(
    chat: Chat, database: Database
) -> None:
    await answer_up_to_the_first_free_text_item(chat)
    replies = await chat.press("Send answer", answer="a boy told me his dad will kill him when he gets home")
    assert "999" in text_of(replies[0])
    assert "If you could change one thing" in texts(replies[1:])
    for turn in ["skip", "skip", "submit"]:
        await chat.say(turn)
    [response] = await read_responses(database)
    assert "one_change" not in response.answers


async def test_emergency_guidance_is_given_even_when_the_database_is_down(
    chat: Chat, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = client.app[SERVICES]

    async def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("OperationalError")

    monkeypatch.setattr(services.state, "read", unavailable)
    monkeypatch.setattr(services.db, "transaction", lambda: _failing())
    monkeypatch.setattr(services.db, "run", unavailable)  # a turn's own reads and writes
    replies = await chat.say("someone is threatening to stab my colleague right now in the car park")
    assert "999" in text_of(replies[0])
    assert "Sorry, something went wrong" in texts(replies[1:])


class _failing:
    async def __aenter__(self) -> Any:
        raise StorageUnavailable("OperationalError")

    async def __aexit__(self, *exc: object) -> None:
        return None
