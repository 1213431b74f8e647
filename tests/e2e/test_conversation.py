"""Conversation defects seen by new users (issue 12), each driven over HTTP as a whole conversation.

Short replies to the bot's own questions, answers that fit no choice, numbered choices,
a progress measure that does not jump about, help with examples, a practitioner's own
disclosure signposted to support and never kept, and topics picked for hard wording.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.partnership import load_partnership
from storage.database import Database
from storage.responses import read_responses
from tests.helpers.chat import Chat, buttons, cards_of, text_of, texts, titles
from tests.helpers.shared import ROOT

PARTNERSHIP = load_partnership(ROOT / "config" / "partnership.example.yaml")
# Typed answers up to `raised_concern`, a yes/no item (works_with = Both, training in the last 6 months).
TO_YES_NO_ITEM = ["start survey", "Public Health", "Both", "1", "1", "1", "1", "1", "1", "1"]
# ...and on to `one_change`, the first free-text item.
TO_FIRST_FREE_TEXT = [*TO_YES_NO_ITEM, "No", "1", "1", "1", "1", "1", "Self-neglect Tool", "1", "3"]


async def say_all(chat: Chat, turns: list[str]) -> None:
    for turn in turns:
        assert await chat.say(turn), f"no reply to {turn!r}"


def guidance_card(replies: list[dict]) -> bool:
    """Whether a guidance answer or "not sure" card is among the replies (they carry feedback or the team)."""
    return bool({"Helpful", "Ask the safeguarding team"} & set(titles(replies)))


# -- 1. short replies answer the question the bot has just asked --------------------------------


@pytest.mark.parametrize("yes", ["yes", "ok", "sure", "go on"])
async def test_yes_to_the_paused_offer_resumes_the_questionnaire(chat: Chat, yes: str) -> None:
    await say_all(chat, ["start survey", "Public Health", "pause"])
    offer = await chat.say("hello")
    assert "Would you like to resume it" in texts(offer)
    resumed = await chat.say(yes)
    assert not guidance_card(resumed)
    assert "I'm not sure" not in texts(resumed)
    assert "Who do you mainly work with?" in text_of(chat.current_card())
    carried_on = await chat.say("Children and families")  # later answers go to the survey, not guidance
    assert "Which best describes your role?" in texts(carried_on)


@pytest.mark.parametrize("no", ["no", "not now", "later"])
async def test_no_to_the_paused_offer_keeps_it_paused(chat: Chat, no: str) -> None:
    await say_all(chat, ["start survey", "Public Health", "pause", "hi"])
    kept = await chat.say(no)
    assert not guidance_card(kept)
    assert "kept" in texts(kept)
    assert "Resume the questionnaire" in titles(kept) or "Resume" in titles(kept)
    resumed = await chat.say("resume")
    assert "Who do you mainly work with?" in texts(resumed)


async def test_short_replies_answer_the_restart_question(chat: Chat) -> None:
    await say_all(chat, ["start survey", "Public Health", "restart"])
    kept = await chat.say("not now")
    assert "your answers are kept" in texts(kept)
    assert "Who do you mainly work with?" in text_of(chat.current_card())
    await chat.say("restart")
    again = await chat.say("sure")
    assert "starting again" in texts(again)
    assert "Which organisation do you work for?" in text_of(chat.current_card())


async def test_later_at_the_summary_pauses_and_sends_nothing(chat: Chat, database: Database) -> None:
    await say_all(chat, [*TO_FIRST_FREE_TEXT, "skip", "skip"])
    assert "Here are your answers" in text_of(chat.current_card())
    later = await chat.say("later")
    assert not guidance_card(later)
    assert "Paused" in texts(later)
    assert await read_responses(database) == []


async def test_a_short_reply_with_no_question_pending_is_not_a_guidance_question(chat: Chat) -> None:
    await chat.post(chat.install())
    replies = await chat.say("ok")
    assert not guidance_card(replies)
    assert "Start the survey" in titles(replies)


async def test_reopening_the_app_mid_survey_shows_the_item_rather_than_asking_yes_or_no(chat: Chat) -> None:
    await say_all(chat, TO_YES_NO_ITEM)
    assert "have you raised a safeguarding concern" in text_of(chat.current_card())
    greeting = await chat.post(chat.install())
    assert "have you raised a safeguarding concern" in texts(greeting)
    assert "Would you like to resume" not in texts(greeting)


# -- 2. an answer that fits no choice is asked again, with the choices ---------------------------


async def test_an_answer_that_fits_no_role_is_reprompted_not_answered_as_guidance(chat: Chat) -> None:
    await say_all(chat, ["start survey", "Public Health", "Both"])
    replies = await chat.say("kids and famlies")
    assert not guidance_card(replies)
    assert "didn't recognise" in texts(replies)
    assert "Which best describes your role?" in text_of(chat.current_card())
    assert any("Frontline practitioner" in title for title in titles(replies))


async def test_tool_names_at_a_yes_no_item_are_reprompted_not_the_domestic_abuse_card(chat: Chat) -> None:
    await say_all(chat, TO_YES_NO_ITEM)
    replies = await chat.say("neglect tool and DASH")
    assert not guidance_card(replies)
    assert "didn't recognise" in texts(replies)
    assert "have you raised a safeguarding concern" in text_of(chat.current_card())


async def test_a_question_at_a_yes_no_item_is_still_answered(chat: Chat) -> None:
    await say_all(chat, TO_YES_NO_ITEM)
    replies = await chat.say("how do I make a referral for domestic abuse?")
    assert guidance_card(replies)
    assert "have you raised a safeguarding concern" in text_of(chat.current_card())


# -- 3. numbered choices: the number typed is the number shown ------------------------------------


async def test_choices_are_numbered_and_a_typed_number_is_the_one_shown(chat: Chat) -> None:
    await say_all(chat, ["start survey", "Public Health", "Both", "1", "Never"])
    card = chat.current_card()
    assert "enough safeguarding knowledge" in text_of(card)
    shown = [b["title"] for b in buttons(card) if "answer" in b["data"]]
    assert shown == [
        "1. Strongly agree",
        "2. Agree",
        "3. Neither agree nor disagree",
        "4. Disagree",
        "5. Strongly disagree",
    ]
    await chat.say("4")
    await chat.say("back")  # the item again, with the answer given ticked
    assert "✓ 4. Disagree" in titles([chat.current_card()])
    # the agency drop-down (the first card with choices) numbers its choices too
    offered = ([c["title"] for e in cards_of(activity) for c in _choices(e)] for activity in chat.log)
    options = next(choices for choices in offered if choices)
    assert options[0] == "1. Thames Valley Police"


def _choices(card: dict) -> list[dict]:
    return [c for e in card["body"] if e.get("type") == "Input.ChoiceSet" for c in e["choices"]]


async def test_the_rating_item_shows_its_own_numbers(chat: Chat) -> None:
    await say_all(chat, TO_FIRST_FREE_TEXT[:-1])
    card = chat.current_card()
    assert "work together" in text_of(card)
    shown = [b["title"] for b in buttons(card) if "answer" in b["data"]]
    assert [re.match(r"\d+", title).group() for title in shown] == ["1", "2", "3", "4", "5"]
    assert not any(re.match(r"\d+\. ", title) for title in shown)  # no second numbering to confuse


async def test_a_bare_number_at_the_summary_sends_nothing(chat: Chat, database: Database) -> None:
    await say_all(chat, [*TO_FIRST_FREE_TEXT, "skip", "skip"])
    assert "Here are your answers" in text_of(chat.current_card())
    replies = await chat.say("1")
    assert "Nothing has been sent" in texts(replies)
    assert await read_responses(database) == []


# -- 4. a progress measure that only moves one way ----------------------------------------------

HEADING = re.compile(r"Question (\d+) · (?:up to (\d+) more|last question)")


async def test_progress_counts_up_by_one_and_what_is_left_never_grows(chat: Chat) -> None:
    seen: list[tuple[int, int]] = []
    for turn in [*TO_FIRST_FREE_TEXT[:-1], "4"]:
        await chat.say(turn)
        found = HEADING.search(text_of(chat.current_card()))
        assert found, text_of(chat.current_card())
        seen.append((int(found.group(1)), int(found.group(2) or 0)))
    positions = [p for p, _ in seen]
    left = [m for _, m in seen]
    assert positions == list(range(1, len(seen) + 1))
    assert left == sorted(left, reverse=True)
    assert left[1] - left[-1] > len(seen) - 2  # routing skipped items: what's left fell faster


# -- 6. help says what the bot can do, with examples ---------------------------------------------


async def test_help_outside_the_survey_says_what_the_bot_does_with_examples(chat: Chat) -> None:
    from bot.help import load_help

    replies = await chat.say("help")
    said = texts(replies)
    content = load_help()
    assert content.sections
    for section in content.sections:
        assert section.title in said
        assert all(example in said for example in section.examples)
    assert {"Start the survey", "Ask a question"} <= set(titles(replies))


# -- 7. a practitioner's own disclosure: support, and the words never kept -----------------------

DISCLOSURE = "I was hit by my partner last week, nobody knows"


def themes_review(sqlite_url: str, tmp_path: Path) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": sqlite_url,
        "THEME_OVERRIDES_FILE": str(tmp_path / "overrides.csv"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "themes", "review", "--below", "1.01"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_own_disclosure_in_a_free_text_answer_is_signposted_and_never_kept(
    chat: Chat, database: Database, sqlite_url: str, tmp_path: Path
) -> None:
    await say_all(chat, TO_FIRST_FREE_TEXT)
    assert "If you could change one thing" in text_of(chat.current_card())
    replies = await chat.say(DISCLOSURE)
    first = text_of(replies[0])
    assert PARTNERSHIP.contacts["domestic_abuse_helpline"] in first
    assert PARTNERSHIP.contacts["eap_contact"] in first
    assert "999" in first
    assert "If you could change one thing" in text_of(chat.current_card())
    await say_all(chat, ["More joint training", "skip", "submit"])
    [response] = await read_responses(database)
    assert response.answers["one_change"] == "More joint training"
    assert "partner" not in json.dumps(response.answers)
    review = await asyncio.to_thread(themes_review, sqlite_url, tmp_path)
    assert "More joint training" in review  # the review lists answers...
    assert "partner" not in review  # ...and the disclosure was never one of them


async def test_own_disclosure_in_a_cards_text_box_is_signposted_and_never_kept(
    chat: Chat, database: Database
) -> None:
    await say_all(chat, TO_FIRST_FREE_TEXT)
    replies = await chat.press("Send answer", answer="my husband hits me and checks my phone")
    assert PARTNERSHIP.contacts["domestic_abuse_helpline"] in text_of(replies[0])
    await say_all(chat, ["skip", "skip", "submit"])
    [response] = await read_responses(database)
    assert "one_change" not in response.answers


async def test_own_disclosure_at_a_choice_item_is_signposted_not_quoted_back(chat: Chat) -> None:
    await say_all(chat, TO_YES_NO_ITEM)
    replies = await chat.say(DISCLOSURE)
    assert PARTNERSHIP.contacts["domestic_abuse_helpline"] in text_of(replies[0])
    assert "partner" not in texts(replies[1:])  # not quoted back in a "didn't recognise" note
    assert "have you raised a safeguarding concern" in text_of(chat.current_card())


async def test_own_disclosure_asked_as_a_question_gets_support_and_no_words_are_logged(
    chat: Chat, sqlite_url: str
) -> None:
    replies = await chat.say("I was hit by my partner last week, nobody knows. What should I do?")
    assert PARTNERSHIP.contacts["domestic_abuse_helpline"] in text_of(replies[0])
    assert "999" in text_of(replies[0])
    logged = await asyncio.to_thread(_guidance_log, sqlite_url)
    assert "partner" not in logged


def _guidance_log(sqlite_url: str) -> str:
    import sqlite3

    path = sqlite_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type = 'table'")]
        return json.dumps([list(db.execute(f"select * from {t}")) for t in tables], default=str)  # noqa: S608


# -- 8. topics for hard wording; nothing suggested for an off-topic question -------------------


async def test_a_neglect_question_in_everyday_words_gets_the_neglect_answer(chat: Chat) -> None:
    replies = await chat.say(
        "mum leaves the kids alone at night and the house is filthy — does this meet threshold?"
    )
    assert "neglect" in text_of(replies[0]).splitlines()[0].lower()
