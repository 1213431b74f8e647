"""The self-assessment's chat step, pure: what each press does to progress and what is shown next."""

from __future__ import annotations

from datetime import date

import pytest

from assessments.chat import (
    PAUSED,
    REVIEWING,
    SUBMITTED,
    PausedView,
    Progress,
    ReviewView,
    StandardView,
    Step,
    SubmittedView,
    advance,
    start,
)
from assessments.model import Entry, Rating, StandardSet
from tests.assessments.conftest import FULL_3A, IMPACT, MET, NOT_MET

TODAY = date(2026, 11, 20)


def press(
    standards: StandardSet, progress: Progress, op: str, standard: str | None = None, **said: str
) -> Step:
    value = {"action": "assessment", "op": op, **said}
    if standard is not None:
        value["standard"] = standard
    return advance(standards, progress, value, MET, TODAY)


def test_start_shows_the_first_standard_and_resume_shows_where_the_lead_was(standards: StandardSet) -> None:
    step = start(standards, Progress(1, "CSC"), MET)
    assert isinstance(step.view, StandardView)
    assert (step.view.standard.id, step.view.number, step.view.total) == ("1a", 1, 10)
    paused = Progress(1, "CSC", index=6, status=PAUSED)
    assert start(standards, paused, MET).view.standard.id == "3a"  # type: ignore[union-attr]


def test_rating_saves_the_inputs_screened_and_moves_on(standards: StandardSet) -> None:
    step = press(
        standards,
        Progress(1, "CSC", index=6),
        "rate",
        "3a",
        rating="green",
        how_met=FULL_3A + " Ask Jane Smith on 07700 900123.",
        impact=IMPACT,
        actions="",
        lead="",
        due="",
    )
    saved = step.progress.entries["3a"]
    assert saved.rating is Rating.GREEN
    assert saved.how_met.endswith("Ask [name] on [phone].")
    assert step.view.standard.id == "3b"  # type: ignore[union-attr]
    assert step.view.note == ""  # type: ignore[union-attr]


def test_a_downgrade_is_explained_on_the_next_card(standards: StandardSet) -> None:
    step = advance(
        standards,
        Progress(1, "CSC", index=6),
        {"op": "rate", "standard": "3a", "rating": "blue", "how_met": FULL_3A, "impact": IMPACT},
        NOT_MET,
        TODAY,
    )
    assert step.view.note.startswith(
        "3a will stand as Green, not Blue: Blue needs questionnaire evidence: 20"
    )  # type: ignore[union-attr]


def test_amber_without_an_action_stays_on_the_standard_with_the_reason(standards: StandardSet) -> None:
    step = press(standards, Progress(1, "CSC", index=6), "rate", "3a", rating="amber", actions="Train")
    assert step.view.standard.id == "3a"  # type: ignore[union-attr]
    assert step.view.note.endswith("add a lead and a timescale")  # type: ignore[union-attr]
    assert step.progress.entries["3a"].actions == "Train"  # what was typed is kept


def test_a_date_that_cannot_be_read_is_a_re_prompt(standards: StandardSet) -> None:
    step = press(
        standards, Progress(1, "CSC", index=6), "rate", "3a", rating="red", actions="x", lead="y", due="soon"
    )
    assert step.view.standard.id == "3a"  # type: ignore[union-attr]
    assert "“soon” is not a date" in step.view.note  # type: ignore[union-attr]


def test_a_repeated_press_saves_the_same_standard_again_not_the_next(standards: StandardSet) -> None:
    said = {"how_met": FULL_3A, "impact": IMPACT}
    once = press(standards, Progress(1, "CSC", index=6), "rate", "3a", rating="green", **said)
    twice = press(standards, once.progress, "rate", "3a", rating="green", **said)
    assert twice.progress.entries == once.progress.entries
    assert twice.progress.index == once.progress.index == 7


def test_back_pause_and_goto(standards: StandardSet) -> None:
    back = press(standards, Progress(1, "CSC", index=3), "back", "2a", how_met="draft")
    assert (back.progress.index, back.progress.entries["2a"].how_met) == (2, "draft")
    paused = press(standards, back.progress, "pause", "1c", impact="half")
    assert isinstance(paused.view, PausedView)
    assert (paused.progress.status, paused.progress.entries["1c"].impact) == (PAUSED, "half")
    moved = press(standards, paused.progress, "goto", target="4a", alternative="Trust survey")
    assert moved.view.standard.id == "4a"  # type: ignore[union-attr]
    assert moved.progress.alternative == "Trust survey"  # typed on the review card before "Change"


def test_the_last_rating_leads_to_the_review_and_submit_refuses_what_is_missing(
    standards: StandardSet,
) -> None:
    step = press(
        standards,
        Progress(1, "CSC", index=9),
        "rate",
        "5a",
        rating="green",
        how_met="Questionnaire findings summarised.",
        impact="Improved outcomes.",
    )
    assert isinstance(step.view, ReviewView)
    assert step.progress.status == REVIEWING
    assert [r.standard for r in step.view.refused] == [s.id for s in standards][
        :-1
    ]  # shown before submitting
    refused = press(standards, step.progress, "submit", alternative="")
    assert isinstance(refused.view, ReviewView)
    assert refused.submitted is None
    assert [r.standard for r in refused.view.refused] == [s.id for s in standards][
        :-1
    ]  # nothing rated but 5a


def test_a_complete_return_is_submitted_with_the_alternative(standards: StandardSet) -> None:
    entries = {
        s.id: Entry(s.id, Rating.GREEN, f"We have {s.checklist[0].cues[0].rstrip('*')}.", IMPACT)
        for s in standards
    }
    step = press(
        standards, Progress(1, "CSC", status=REVIEWING, entries=entries), "submit", alternative="Own survey"
    )
    assert isinstance(step.view, SubmittedView)
    assert step.progress.status == SUBMITTED
    assert step.submitted is not None
    assert (step.submitted.source, step.submitted.submitted_on) == ("chat", TODAY)
    assert step.submitted.alternative is not None
    assert step.submitted.alternative.description == "Own survey"


@pytest.mark.parametrize(
    "progress",
    [
        Progress(1, "CSC"),
        Progress(
            3,
            "TVP",
            4,
            PAUSED,
            {"2b": Entry("2b", Rating.AMBER, "a", "b", "c", "d", date(2027, 1, 2), "done")},
            "x",
        ),
    ],
)
def test_progress_round_trips_through_json(progress: Progress) -> None:
    assert Progress.from_json(progress.to_json()) == progress
