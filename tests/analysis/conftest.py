"""A small hand-built questionnaire and measures file, so figures can be checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.measures import Measure, load_measures
from surveys.model import Choice, Condition, Definition, Item, Scale

AGENCIES = ("AAA", "BBB", "CCC")
AGREE = ("Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree")


def _choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(label, label) for label in labels)


SMALL = Definition(
    id="small",
    version=1,
    title="Small questionnaire",
    anonymous=True,
    intro="",
    free_text_reminder="",
    done_message="",
    items=(
        Item("agency", "About you", "single", "Which organisation?"),
        Item("recency", "Training", "single", "When trained?", choices=_choices("Recent", "Old", "Never")),
        Item(
            "applied",
            "Training",
            "likert",
            "I used it.",
            choices=_choices(*AGREE),
            when=Condition("recency", ("Never",), negate=True),
        ),
        Item("raised", "Thresholds", "single", "Raised a concern?", choices=_choices("Yes", "No")),
        Item(
            "feedback",
            "Thresholds",
            "single",
            "Told the outcome?",
            choices=_choices("Always", "Sometimes", "Never"),
            when=Condition("raised", ("Yes",)),
        ),
        Item(
            "tools",
            "Tools",
            "multi",
            "Tools used?",
            choices=(
                Choice("Neglect Tool", "Neglect Tool"),
                Choice("DASH", "DASH"),
                Choice("None of these", "None of these", exclusive=True),
            ),
        ),
        Item("joint", "Tools", "rating", "How well?", scale=Scale(1, 5)),
        Item("change", "Views", "text", "One change?", required=False),
    ),
)

MEASURES_YAML = """\
questionnaire: small
agree: [Strongly agree, Agree]
measures:
  - {id: trained, item: recency, counts: [Recent, Old], label: Trained, of: of respondents}
  - {id: told, item: feedback, counts: [Always], label: Always told, of: of those who made a referral}
denominators:
  applied: of those who have had training
"""


@pytest.fixture
def small_measures(tmp_path: Path) -> tuple[Measure, ...]:
    path = tmp_path / "measures.yaml"
    path.write_text(MEASURES_YAML, encoding="utf-8")
    return load_measures(SMALL, AGENCIES, path)


def _row(
    rid: str,
    agency: str,
    recency: str,
    applied: str | None,
    raised: str,
    feedback: str | None,
    tools: tuple[str, ...],
    joint: int,
    change: str | None,
) -> dict:
    return {
        "response_id": rid,
        "wave": 2,
        "agency": agency,
        "submitted_month": "2026-05",
        "recency": recency,
        "applied": applied,
        "raised": raised,
        "feedback": feedback,
        "tools": tools,
        "joint": joint,
        "change": change,
    }


#: Eight responses small enough to work every figure out by hand (see test_summaries).
HAND_ROWS = (
    _row("r1", "AAA", "Recent", "Agree", "Yes", "Always", ("Neglect Tool", "DASH"), 4, "more training"),
    _row("r2", "AAA", "Old", "Disagree", "Yes", "Sometimes", ("DASH",), 2, None),
    _row("r3", "AAA", "Never", None, "No", None, ("None of these",), 3, "more staff"),
    _row("r4", "AAA", "Recent", "Strongly agree", "No", None, ("Neglect Tool",), 5, None),
    _row("r5", "BBB", "Recent", "Agree", "Yes", "Always", ("DASH",), 5, None),
    _row("r6", "BBB", "Recent", "Agree", "Yes", "Never", ("None of these",), 4, None),
    _row("r7", "BBB", "Old", "Neither agree nor disagree", "No", None, ("DASH",), 3, None),
    _row("r8", "CCC", "Never", None, "Yes", "Always", ("Neglect Tool",), 1, None),
)
HEADCOUNTS = {"AAA": 40, "BBB": 20, "CCC": None}


@pytest.fixture
def hand_frame():
    from analysis.frame import frame_from_answers

    return frame_from_answers(HAND_ROWS, SMALL, AGENCIES)
