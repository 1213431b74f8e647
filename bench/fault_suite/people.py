"""Simulated practitioners: a random answer plan drawn from the survey definition, and what it must store.

Each plan answers every item the definition shows for its earlier answers
(``surveys.engine.visible_items``), typed as a person would (the choice's
number or its label, several numbers for a list, a whole number for a rating)
or pressed as a card button, and carries a marker in its first free-text
answer so the stored (anonymous) response can be found again. ``expected`` is
what ``storage.responses.read_responses`` must give back for it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from common.partnership import load_partnership
from common.settings import Settings
from surveys.engine import visible_items
from surveys.loader import load_definitions
from surveys.model import Definition, Item
from surveys.turns import AnswerValue

MARKER_ITEM = "one_change"
_SUGGESTIONS = (
    "more time for reflective supervision",
    "shorter referral forms and quicker feedback",
    "joint training with the other agencies",
    "one number to ring for advice",
)
_LETTERS = "bcdfghjkmnpqrstvwxz"


@cache
def practitioner_definition(partnership_file: str) -> Definition:
    """The questionnaire the bot runs by default, loaded exactly as the bot loads it."""
    partnership = load_partnership(Settings.from_env({"PARTNERSHIP_FILE": partnership_file}).partnership_file)
    return load_definitions(partnership)[partnership.default_questionnaire]


def marker(n: int) -> str:
    """A lower-case word unique to plan ``n``, that redaction leaves alone (no digits, no capitals)."""
    word = ""
    n += len(_LETTERS) ** 3  # at least four letters
    while n:
        n, digit = divmod(n, len(_LETTERS))
        word = _LETTERS[digit] + word
    return "ref" + word


@dataclass(frozen=True)
class Turn:
    """One answer: ``text`` to type, or ``value`` to submit as a card button press."""

    item: str
    text: str | None = None
    value: Mapping[str, Any] | None = None


@dataclass
class Plan:
    """One respondent's answers, how each is given, and the stored answers they must produce."""

    marker: str
    turns: dict[str, Turn]
    expected: dict[str, AnswerValue]
    notes: list[str] = field(default_factory=list)


def _choice_turn(item: Item, rng: random.Random, clicks: float) -> tuple[Turn, AnswerValue]:
    if item.type == "multi":
        exclusive = [c for c in item.choices if c.exclusive]
        plain = [n for n, c in enumerate(item.choices, 1) if not c.exclusive]
        if exclusive and rng.random() < 0.2:
            number = item.choices.index(exclusive[0]) + 1
            return Turn(item.id, text=str(number)), (exclusive[0].value,)
        picked = sorted(rng.sample(plain, rng.randint(1, min(3, len(plain)))))
        value = tuple(item.choices[n - 1].value for n in picked)
        return Turn(item.id, text=", ".join(map(str, picked))), value
    number = rng.randint(1, len(item.choices))
    choice = item.choices[number - 1]
    if rng.random() < clicks:
        return Turn(item.id, value={"item": item.id, "answer": choice.value}), choice.value
    return Turn(item.id, text=str(number) if rng.random() < 0.5 else choice.label), choice.value


def plan(definition: Definition, n: int, rng: random.Random, *, clicks: float = 0.3) -> Plan:
    """A random respondent for ``definition``; ``clicks`` is the share of single choices given by button."""
    answers: dict[str, AnswerValue] = {}
    turns: dict[str, Turn] = {}
    tag = marker(n)
    while True:
        pending = [item for item in visible_items(definition, answers) if item.id not in turns]
        if not pending:
            break
        item = pending[0]
        if item.type == "rating":
            assert item.scale is not None
            number = rng.randint(item.scale.minimum, item.scale.maximum)
            turns[item.id] = Turn(item.id, text=str(number))
            answers[item.id] = number
        elif item.type == "text":
            if item.id == MARKER_ITEM:
                text = f"{rng.choice(_SUGGESTIONS)} {tag}"
            elif rng.random() < 0.5:
                turns[item.id] = Turn(item.id, text="skip")
                answers[item.id] = None
                continue
            else:
                text = rng.choice(_SUGGESTIONS)
            turns[item.id] = Turn(item.id, text=text)
            answers[item.id] = text
        else:
            turns[item.id], answers[item.id] = _choice_turn(item, rng, clicks)
    expected = {item: value for item, value in answers.items() if value is not None}
    return Plan(tag, turns, expected)


_MARKER = re.compile(rf"\bref[{_LETTERS}]{{4,}}\b")


def marker_of(answers: Mapping[str, Any]) -> str | None:
    """The plan marker in a stored response's answers, whichever item it ended up in."""
    for value in answers.values():
        found = _MARKER.search(value) if isinstance(value, str) else None
        if found:
            return found.group()
    return None
