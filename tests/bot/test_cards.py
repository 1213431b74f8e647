"""Every card the bot can send is a valid Adaptive Card 1.5 (the version Teams renders for bots)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest

from bot import cards
from common.partnership import load_partnership
from common.settings import Settings
from guidance.knowledge import load_knowledge_base
from guidance.model import Answer
from surveys import engine
from surveys.loader import load_definitions
from surveys.turns import Prompt, Said
from tests.helpers.shared import shared_path


@cache
def _validator() -> jsonschema.Draft6Validator:
    path = shared_path("teams", "schemas", "adaptive-cards", "adaptive-card.v1.5.0.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def assert_valid(card: dict[str, Any]) -> None:
    errors = sorted(_validator().iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert card["version"] == "1.5"


def every_prompt_of_a_whole_survey() -> list[Prompt]:
    """Prompts of every kind, from the real questionnaire run through the real engine."""
    partnership = load_partnership(Settings.from_env({}).partnership_file)
    definition = load_definitions(partnership)["practitioner"]
    progress = engine.start(definition)
    prompts: list[Prompt] = []
    said = [
        "start survey",
        "3",
        "3",
        *["1"] * 15,
        "1, 2",
        "1",
        "4",
        "Better joint working",
        "skip",
        "restart",
        "no",
        "back",
        "pause",
        "resume",
    ]
    for text in said:
        step = engine.advance(definition, progress, Said(text=text))
        progress = step.progress
        prompts.extend(step.replies)
    return prompts


PROMPTS = every_prompt_of_a_whole_survey()


def test_the_survey_run_covers_every_kind_of_prompt_and_item() -> None:
    kinds = {p.kind for p in PROMPTS}
    types = {p.item_type for p in PROMPTS if p.kind == "item"}
    assert kinds == {"item", "summary", "confirm", "message"}
    assert types == {"single", "likert", "multi", "rating", "text"}


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: f"{p.kind}-{p.item_id or p.text[:20]}")
def test_every_survey_prompt_renders_as_a_valid_card(prompt: Prompt) -> None:
    activity = cards.prompt_activity(prompt)
    for attachment in activity.attachments or ():
        assert_valid(attachment.content)
    if not activity.attachments:
        assert activity.text == prompt.text


def test_an_item_card_shows_its_position_and_every_button_sends_the_item_id() -> None:
    item = next(p for p in PROMPTS if p.kind == "item" and p.item_type == "likert")
    card = cards.item_card(item)
    text = json.dumps(card, ensure_ascii=False)
    assert f"Question {item.position} · up to {item.total - item.position} more" in text
    submits = [a for a in _actions(card) if a["type"] == "Action.Submit"]
    answers = [a["data"] for a in submits if "answer" in a["data"]]
    assert [a["answer"] for a in answers] == [c.value for c in item.choices]
    assert all(a["item"] == item.item_id for a in answers)
    assert {a["data"].get("command") for a in submits} >= {"pause"}


def test_an_item_answered_after_back_is_ticked() -> None:
    item = next(p for p in PROMPTS if p.kind == "item" and p.item_type == "single" and len(p.choices) <= 6)
    chosen = item.choices[1]
    titles = [a["title"] for a in _actions(cards.item_card(_with_current(item, chosen.value)))]
    assert f"✓ {chosen.number}. {chosen.label}" in titles


def _with_current(prompt: Prompt, value: str) -> Prompt:
    from dataclasses import replace

    return replace(prompt, current=value)


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def _knowledge() -> Any:
    return load_knowledge_base(load_partnership(Settings.from_env({}).partnership_file))


def test_guidance_cards_are_valid_and_offer_feedback_and_follow_ups() -> None:
    kb = _knowledge()
    sure: Answer = kb.answer("how do I escalate a disagreement with another agency?")
    card = cards.answer_card(sure, "how do I escalate?")
    assert_valid(card)
    titles = [a["title"] for a in _actions(card)]
    assert titles[-2:] == ["Helpful", "Not helpful"]
    assert [t for _, t in sure.related] == [t for t in titles if t in dict(sure.related).values()]
    emergency = cards.answer_card(kb.answer("he has a knife and is threatening to kill her now"), "q")
    assert_valid(emergency)
    assert emergency["body"][0]["style"] == "attention"
    unsure = kb.answer("can I claim mileage?")
    assert_valid(cards.not_sure_card(unsure.nearest, "can I claim mileage?"))


def test_expert_and_offer_cards_are_valid() -> None:
    assert_valid(cards.expert_question_card(7, "Is [name] allowed to...?", [("neglect", "Neglect")]))
    assert_valid(cards.expert_answer_card("Is it allowed?", "Yes."))
    assert_valid(cards.offer_card("Hello", [("Start the survey", {"action": "start"})]))
    assert_valid(cards.answered_card("Who do you mainly work with?", "Both"))


def test_the_help_and_support_cards_are_valid_and_support_is_urgent() -> None:
    from bot import support
    from bot.help import load_help

    assert_valid(cards.help_card(load_help(), "ESP"))
    partnership = load_partnership(Settings.from_env({}).partnership_file)
    activity = support.support("domestic-abuse", partnership.contacts)
    assert activity.importance == "high"
    content = activity.attachments[0].content
    assert_valid(content)
    assert content["body"][0]["style"] == "attention"
