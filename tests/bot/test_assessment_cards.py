"""Every self-assessment card is a valid Adaptive Card 1.5 (the schema Teams renders)."""

from __future__ import annotations

from datetime import date

from assessments.chat import PausedView, Progress, advance, review_view, standard_view
from assessments.evidence import QuestionnaireEvidence
from assessments.loader import load_standard_sets
from assessments.model import Entry, Rating
from bot import assessment_cards
from tests.bot.test_cards import assert_valid

STANDARDS = load_standard_sets()["section11-adults-2018"]
EVIDENCE = QuestionnaireEvidence("CSC", 20, 450)
ENTRY = Entry("2c", Rating.AMBER, "x", "y", "Contracts", "Head of Commissioning", date(2027, 3, 31))


def test_every_assessment_card_is_valid_adaptive_card_json() -> None:
    progress = Progress(1, "CSC", index=5, entries={"2c": ENTRY})
    standard = standard_view(STANDARDS, progress, EVIDENCE, note="2c: a note")
    review = review_view(STANDARDS, progress, EVIDENCE)
    assert review.refused  # the review with its to-do list
    for content in (
        assessment_cards.standard_card(standard),
        assessment_cards.review_card(review),
        assessment_cards.paused_card(PausedView(1, 10)),
        assessment_cards.action_card(ENTRY, Rating.AMBER),
        assessment_cards.status_card("2c", "done"),
    ):
        assert_valid(content)
    step = advance(
        STANDARDS, progress, {"op": "rate", "standard": "2c", "rating": "amber"}, EVIDENCE, date.today()
    )
    pressed = assessment_cards.pressed_card(STANDARDS, {"op": "rate", "standard": "2c"}, step)
    assert pressed is not None
    assert_valid(pressed)


def test_the_standard_card_has_a_button_per_rating_and_the_five_inputs() -> None:
    content = assessment_cards.standard_card(standard_view(STANDARDS, Progress(1, "CSC"), EVIDENCE))
    body = content["body"]
    inputs = [element["id"] for element in body if element.get("type", "").startswith("Input.")]
    assert inputs == ["how_met", "impact", "actions", "lead", "due"]
    ratings = [
        action["data"]["rating"]
        for element in body
        if element.get("type") == "ActionSet"
        for action in element["actions"]
        if action["data"].get("op") == "rate"
    ]
    assert ratings == ["blue", "green", "amber", "red"]
