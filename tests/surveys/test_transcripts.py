"""Whole questionnaires from plain lists of what people type, checked against what is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from surveys.model import Definition
from tests.helpers.shared import SHARED, shared_path
from tests.surveys.chat import Chat

TRANSCRIPTS = sorted((SHARED / "samples" / "transcripts").glob("*.json"))


def _expected(expect: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in expect.items()}


def test_the_public_transcripts_are_there() -> None:
    assert list(shared_path("samples", "transcripts").glob("*.json")), "no transcripts to run"


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_public_transcript_stores_exactly_the_expected_response(path: Path, practitioner: Definition) -> None:
    transcript = json.loads(path.read_text(encoding="utf-8"))
    chat = Chat(practitioner)
    trace = transcript.get("trace") or [""] * len(transcript["turns"])
    for turn, note in zip(transcript["turns"], trace, strict=True):
        before = chat.answers
        step = chat.say(turn)
        if "nothing stored" in note or "refused" in note:
            assert step.outcome in {"reprompt", "no_match"}, f"{turn!r}: {step.outcome}"
            assert chat.answers == before, f"{turn!r} stored something"
            assert chat.asked.kind == "item"
            assert chat.asked.choices, "a re-prompt shows the valid choices"
    submission = chat.last.submission if chat.last else None
    assert submission is not None, "the last turn should confirm the summary"
    expect = _expected(transcript["expect"])
    assert dict(submission.answers) == expect
    assert submission.agency == expect["agency"]
    assert chat.progress.status == "submitting"


@pytest.mark.parametrize(
    ("name", "shown"),
    [("01_buttons_children_raised_yes", 21), ("02_typed_numbers_both", 22),
     ("05_adults_no_concern_skip_free_text", 19)],
)
def test_the_summary_lists_every_item_that_was_shown(name: str, shown: int, practitioner: Definition) -> None:
    path = shared_path("samples", "transcripts", f"{name}.json")
    turns = json.loads(path.read_text(encoding="utf-8"))["turns"]
    chat = Chat(practitioner)
    chat.says(turns[:-1])
    assert chat.asked.kind == "summary"
    assert len(chat.asked.lines) == shown


# Our own scripts: what people really type on a phone.
FORGIVING = [
    "start survey",
    "cherwel",                       # a typo of part of one label
    "kids and families",             # a synonym
    "frontline",
    "12 months",                     # an unambiguous part of one label
    "I strongly agree",
    "agree!",
    "neutral",
    "STRONGLY DISAGREE",
    "yes I have",
    "sometimes",
    "stongly agree",                 # a small typo
    "n/a",
    "yep",
    "partly",
    "agre",
    "disagree strongly",
    "dash; mca and self neglect",
    "Strongly Agree",
    "four",
    "Please ring me on 07700 900318, or email jo@example.org",
    "Nothing else, thanks",
    "submit",
]


def test_forgiving_typed_answers_from_start_to_finish(practitioner: Definition) -> None:
    step = Chat(practitioner).says(FORGIVING)
    assert step.submission is not None
    assert dict(step.submission.answers) == {
        "agency": "CDC",
        "works_with": "Children and families",
        "role_level": "Frontline practitioner",
        "training_recency": "6 to 12 months ago",
        "training_applied": "Strongly agree",
        "knowledge_sufficient": "Agree",
        "know_where_info": "Neither agree nor disagree",
        "thresholds_children": "Strongly disagree",
        "thresholds_adults": None,
        "raised_concern": "Yes",
        "referral_feedback": "Sometimes",
        "know_how_escalate": "Strongly agree",
        "escalated": "Not needed",
        "discuss_safeguarding": "Yes",
        "supported_concern": "Somewhat",
        "reflective_supervision": "Agree",
        "able_raise_concerns": "Strongly disagree",
        "tools_used": (
            "Self-neglect Tool",
            "Domestic abuse risk checklist (DASH)",
            "Mental Capacity Assessment",
        ),
        "info_sharing_confident": "Strongly agree",
        "joint_working": 4,
        "one_change": "Please ring me on [phone], or email [email]",
        "anything_else": "Nothing else, thanks",
    }


def test_changing_an_earlier_answer_with_back_reshapes_the_questionnaire(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "TVP", "children", "3", "never", "agree", "agree", "agree", "no"])
    assert chat.progress.current == "know_how_escalate"
    # Back over seven items to works_with, and change it to Both.
    chat.says(["back"] * 7)
    assert chat.progress.current == "works_with"
    assert chat.asked.current == "Children and families"
    step = chat.say("both")
    # Newly shown thresholds_adults is asked at once; then straight back to where we were.
    assert step.replies[-1].item_id == "thresholds_adults"
    chat.say("disagree")
    assert chat.progress.current == "know_how_escalate"
    step = chat.says(["agree", "no", "yes", "agree", "agree", "none", "agree", "5", "skip", "skip", "yes"])
    assert step.submission is not None
    answers = step.submission.answers
    assert answers["works_with"] == "Both"
    assert answers["thresholds_children"] == "Agree"
    assert answers["thresholds_adults"] == "Disagree"
    assert answers["training_applied"] is None  # training_recency = Never
    assert answers["referral_feedback"] is None
    assert answers["supported_concern"] is None
    assert answers["tools_used"] == ("None of these",)


def test_a_paused_survey_resumes_at_the_same_item_from_stored_json(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "3", "2"])
    chat.say("pause")
    stored = json.dumps(chat.progress.to_json())  # days later, another replica
    later = Chat(practitioner)
    later.progress = type(chat.progress).from_json(json.loads(stored))
    step = later.say("hi")
    assert step.outcome == "ignored"
    assert step.replies[-1].actions == ("resume", "ask")
    step = later.say("resume")
    assert step.outcome == "resumed"
    assert later.asked.item_id == "training_recency"
    assert later.asked.position == 4
