"""Every BRAG rule, with the reason the agency and the board are shown."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assessments.evidence import QuestionnaireEvidence
from assessments.model import Alternative, Entry, Rating, StandardSet
from assessments.rules import judge, refusals
from tests.assessments.conftest import ACTION, IMPACT, MET, NOT_MET, SOME_3A, entry, evidence


def test_blue_with_every_element_and_questionnaire_evidence_stands(standards: StandardSet) -> None:
    judged = judge(standards, entry(Rating.BLUE), MET)
    assert (judged.self_rating, judged.standing, judged.downgrades) == (Rating.BLUE, Rating.BLUE, ())


def test_blue_without_questionnaire_evidence_becomes_green_with_the_counts_as_reason(
    standards: StandardSet,
) -> None:
    judged = judge(standards, entry(Rating.BLUE), NOT_MET)
    assert judged.self_rating is Rating.BLUE
    assert judged.standing is Rating.GREEN
    (down,) = judged.downgrades
    assert down.rule == "blue"
    assert down.reason == (
        "Blue needs questionnaire evidence: 20 responses from a frontline headcount of 450 "
        "(4.4%; the target is 10%, 45 responses)"
    )


def test_the_target_is_reached_exactly_at_the_share(standards: StandardSet) -> None:
    assert judge(standards, entry(Rating.BLUE), evidence(45, 450)).standing is Rating.BLUE
    assert judge(standards, entry(Rating.BLUE), evidence(44, 450)).standing is Rating.GREEN
    assert judge(standards, entry(Rating.BLUE), evidence(9, 45, target=0.2)).standing is Rating.BLUE


def test_blue_without_a_headcount_cannot_be_evidenced_by_responses(standards: StandardSet) -> None:
    judged = judge(standards, entry(Rating.BLUE), evidence(300, None))
    assert judged.standing is Rating.GREEN
    assert "no frontline headcount is recorded" in judged.downgrades[0].reason


def test_an_accepted_alternative_questionnaire_evidences_blue_and_a_pending_one_does_not(
    standards: StandardSet,
) -> None:
    accepted = evidence(0, 450, alternative=Alternative("Trust staff survey 2026", "accepted"))
    assert judge(standards, entry(Rating.BLUE), accepted).standing is Rating.BLUE
    pending = evidence(0, 450, alternative=Alternative("Trust staff survey 2026"))
    judged = judge(standards, entry(Rating.BLUE), pending)
    assert judged.standing is Rating.GREEN
    assert "not yet accepted by the board" in judged.downgrades[0].reason
    rejected = evidence(0, 450, alternative=Alternative("Trust staff survey 2026", "rejected"))
    assert "is rejected" in judge(standards, entry(Rating.BLUE), rejected).downgrades[0].reason


def test_blue_without_every_element_evidenced_becomes_green_naming_the_missing_points(
    standards: StandardSet,
) -> None:
    judged = judge(standards, entry(Rating.BLUE, how_met=SOME_3A), MET)
    assert judged.standing is Rating.GREEN
    (down,) = judged.downgrades
    assert down.rule == "blue"
    assert down.reason == 'Blue needs every element evidenced; "how met" does not address 3a.2, 3a.3'


@pytest.mark.parametrize("rating", [Rating.BLUE, Rating.GREEN])
@pytest.mark.parametrize(
    ("section", "text", "why"),
    [
        ("how_met", "", '"how met" is empty'),
        ("how_met", "   ", '"how met" is empty'),
        ("impact", "", '"impact" is empty'),
        ("how_met", "We take this very seriously.", '"how met" does not address any point of the checklist'),
        ("impact", "We take this very seriously.", '"impact" does not address any point of the checklist'),
    ],
)
def test_blue_or_green_with_an_empty_or_off_checklist_section_becomes_amber(
    standards: StandardSet, rating: Rating, section: str, text: str, why: str
) -> None:
    judged = judge(standards, replace(entry(rating), **{section: text}), MET)
    assert judged.self_rating is rating
    assert judged.standing is Rating.AMBER
    assert why in judged.downgrades[-1].reason
    assert (judged.downgrades[-1].rule, judged.downgrades[-1].after) == ("sections", Rating.AMBER)
    assert " needs both sections: " in judged.downgrades[-1].reason


def test_blue_missing_both_elements_and_evidence_gives_both_reasons_in_one_step(
    standards: StandardSet,
) -> None:
    (down,) = judge(standards, entry(Rating.BLUE, how_met=SOME_3A + " " + IMPACT), NOT_MET).downgrades
    assert down.reason == (
        'Blue needs every element evidenced; "how met" does not address 3a.2, 3a.3; and Blue needs '
        "questionnaire evidence: 20 responses from a frontline headcount of 450 (4.4%; the target is 10%, "
        "45 responses)"
    )


def test_blue_can_fall_twice_and_keeps_both_reasons(standards: StandardSet) -> None:
    judged = judge(standards, entry(Rating.BLUE, impact=""), NOT_MET)
    assert [d.rule for d in judged.downgrades] == ["blue", "sections"]
    assert [(d.before, d.after) for d in judged.downgrades] == [
        (Rating.BLUE, Rating.GREEN),
        (Rating.GREEN, Rating.AMBER),
    ]


def test_green_with_both_sections_on_the_checklist_stands(standards: StandardSet) -> None:
    judged = judge(standards, entry(Rating.GREEN, how_met=SOME_3A), NOT_MET)
    assert (judged.standing, judged.downgrades) == (Rating.GREEN, ())


def test_cues_match_whole_words_and_stems_not_fragments(standards: StandardSet) -> None:
    point = standards.standard("1c").checklist[1]  # cues include "sar" and "learning"
    assert point.addressed_by("Learning from the SAR was shared")
    assert not point.addressed_by("Our Caesarean pathway")  # "sar" inside a word is not the cue
    assert standards.standard("3a").checklist[0].addressed_by("Staff are TRAINED at induction")


@pytest.mark.parametrize("rating", [Rating.AMBER, Rating.RED])
def test_amber_and_red_are_left_as_they_are(standards: StandardSet, rating: Rating) -> None:
    judged = judge(standards, entry(rating, how_met="", impact="", **ACTION), MET)
    assert (judged.standing, judged.downgrades) == (rating, ())


@pytest.mark.parametrize("rating", [Rating.AMBER, Rating.RED])
@pytest.mark.parametrize("missing", ["actions", "lead", "due"])
def test_amber_or_red_without_actions_lead_and_timescale_is_refused_with_a_clear_message(
    standards: StandardSet, rating: Rating, missing: str
) -> None:
    given = {**ACTION, missing: "" if missing != "due" else None}
    entries = _all_green_except(standards, entry(rating, **given))
    (refused,) = refusals(standards, entries, MET)
    assert refused.standard == "3a"
    assert refused.field == missing
    wanted = {"actions": "the actions", "lead": "a lead", "due": "a timescale"}[missing]
    assert refused.message == (
        f"3a: {rating.label} needs actions to raise it to Green or Blue, "
        f"with a lead and a timescale; add {wanted}"
    )


def test_a_green_that_would_stand_as_amber_needs_actions_too_and_says_why(standards: StandardSet) -> None:
    entries = _all_green_except(standards, entry(Rating.GREEN, impact=""))
    (refused,) = refusals(standards, entries, MET)
    assert refused.message.startswith('3a: Amber (rated Green; Green needs both sections: "impact" is empty)')
    assert (
        refusals(standards, _all_green_except(standards, entry(Rating.GREEN, impact="", **ACTION)), MET) == []
    )


def test_a_standard_without_a_rating_is_refused(standards: StandardSet) -> None:
    entries = [e for e in _all_green_except(standards, entry(Rating.GREEN)) if e.standard != "5a"]
    (refused,) = refusals(standards, entries, MET)
    assert (refused.standard, refused.field) == ("5a", "rating")
    assert refused.message == "5a: choose a rating (Blue, Green, Amber or Red)"


def test_a_complete_return_has_no_refusals(standards: StandardSet) -> None:
    assert refusals(standards, _all_green_except(standards, entry(Rating.AMBER, **ACTION)), NOT_MET) == []


def _all_green_except(standards: StandardSet, special: Entry) -> list[Entry]:
    """A Green for every standard whose sections name its first checklist cue, and ``special``."""
    entries = []
    for standard in standards:
        if standard.id == special.standard:
            entries.append(special)
            continue
        cue = standard.checklist[0].cues[0].rstrip("*")
        entries.append(Entry(standard.id, Rating.GREEN, f"We have {cue} in place.", IMPACT))
    return entries


def test_a_round_without_a_practitioner_wave_says_so(standards: StandardSet) -> None:
    judged = judge(standards, entry(Rating.BLUE), QuestionnaireEvidence("X", 0, None, wave=False))
    assert judged.downgrades[0].reason == (
        "Blue needs questionnaire evidence: no practitioner wave is linked to this round"
    )


def test_evidence_explanation_reads_as_a_sentence() -> None:
    assert QuestionnaireEvidence("X", 12, 100).explanation == (
        "12 responses from a frontline headcount of 100 (12.0%; the target is 10%, 10 responses)"
    )
    assert QuestionnaireEvidence("X", 12, 100).met
