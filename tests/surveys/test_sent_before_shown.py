"""A typed message applies only to what was on screen when it was sent (``asked_at`` against ``sent_at``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from surveys.engine import advance, survey_word
from surveys.model import Definition
from surveys.turns import Progress, Said
from tests.surveys.test_engine import at, at_summary

SHOWN = datetime(2026, 5, 12, 9, 30, 0, 250000, tzinfo=UTC)
BEFORE = SHOWN - timedelta(milliseconds=40)
AFTER = SHOWN + timedelta(seconds=3)
LATER = SHOWN + timedelta(seconds=9)


def shown(progress: Progress) -> Progress:
    return replace(progress, asked_at=SHOWN)


@pytest.mark.parametrize(
    ("progress", "said"),
    [
        (at("works_with"), Said(text="1", sent_at=BEFORE)),  # "1" retyped for the item before
        (at("escalated"), Said(text="skip", sent_at=BEFORE)),  # a command acts on the item too
        (at_summary(), Said(text="yes", sent_at=BEFORE)),  # a "yes" meant for a yes/no item
        (at_summary(), Said(value={"command": "submit"}, sent_at=BEFORE)),
        (replace(at("agency"), status="restarting"), Said(text="yes", sent_at=BEFORE)),
    ],
    ids=["answer", "command", "yes at the summary", "item-less button", "restart question"],
)
def test_a_message_sent_before_the_prompt_appeared_changes_nothing(
    practitioner: Definition, progress: Progress, said: Said
) -> None:
    step = advance(practitioner, shown(progress), said, now=LATER)
    assert step.outcome == "stale"
    assert step.submission is None
    assert step.progress == shown(progress)
    assert "sent before this question appeared" in step.replies[0].text


def test_the_same_message_sent_after_the_prompt_appeared_is_the_answer(practitioner: Definition) -> None:
    step = advance(practitioner, shown(at("works_with")), Said(text="1", sent_at=AFTER), now=LATER)
    assert step.outcome == "answered"
    assert step.progress.answers["works_with"] == "Children and families"
    assert step.progress.current == "role_level"
    assert step.progress.asked_at == LATER  # the next item was shown now


def test_a_card_answer_names_its_item_so_its_time_does_not_matter(practitioner: Definition) -> None:
    said = Said(value={"item": "works_with", "answer": "Both"}, sent_at=BEFORE)
    step = advance(practitioner, shown(at("works_with")), said, now=LATER)
    assert step.outcome == "answered"


def test_a_button_of_an_earlier_items_card_is_stale_even_for_a_command(practitioner: Definition) -> None:
    """Skip pressed twice on one card: the second press must not skip the next item too."""
    progress = at("referral_feedback", escalated=None)  # escalated was just skipped
    said = Said(value={"command": "skip", "item": "escalated"}, sent_at=AFTER)
    step = advance(practitioner, shown(progress), said, now=LATER)
    assert step.outcome == "stale"
    assert step.progress == shown(progress)


def test_a_reprompt_keeps_the_time_the_item_was_shown(practitioner: Definition) -> None:
    step = advance(practitioner, shown(at("works_with")), Said(text="purple", sent_at=AFTER), now=LATER)
    assert step.outcome in ("reprompt", "no_match")
    assert step.progress.asked_at == SHOWN  # the same item is still on screen


def test_without_times_nothing_is_judged_stale(practitioner: Definition) -> None:
    step = advance(practitioner, shown(at("works_with")), Said(text="1"))
    assert step.outcome == "answered"
    assert step.progress.asked_at is None  # shown at an unknown time: nothing will be judged against it


def test_asked_at_survives_the_json_round_trip() -> None:
    progress = shown(at("works_with"))
    assert Progress.from_json(progress.to_json()) == progress
    legacy = {k: v for k, v in progress.to_json().items() if k != "asked_at"}
    assert Progress.from_json(legacy).asked_at is None  # documents saved before the field existed


@pytest.mark.parametrize("word", ["submit", "send", "yes", "ok", "back", "resume", "done"])
def test_survey_words_are_what_people_say_to_the_questionnaire(word: str) -> None:
    assert survey_word(word)


@pytest.mark.parametrize("word", ["help", "start", "what is the mash", "hello"])
def test_help_start_and_questions_are_not_survey_words(word: str) -> None:
    assert not survey_word(word)
