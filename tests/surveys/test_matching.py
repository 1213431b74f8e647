"""Typed answers matched in the spec's order: exact, number or synonym; then a part; then a typo."""

from __future__ import annotations

import pytest

from surveys.matching import Match, match_answer, match_choice, match_rating, match_several
from surveys.model import Choice, Definition, Scale

AGREE = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"]
DASH = "Domestic abuse risk checklist (DASH)"


@pytest.mark.parametrize(
    ("item", "said", "value"),
    [
        # exact label, any case and spacing, end punctuation ignored
        ("training_applied", "Agree", "Agree"),
        ("training_applied", "  AGREE! ", "Agree"),
        ("training_applied", "disagree", "Disagree"),
        ("supported_concern", "yes, adequately", "Yes, adequately"),
        # a number is the position as shown
        ("training_applied", "1", "Strongly agree"),
        ("training_applied", "5.", "Strongly disagree"),
        ("role_level", "three", "Senior manager"),
        ("agency", "16", "OTHER"),
        # listed synonyms, and the agency code
        ("training_applied", "agree strongly", "Strongly agree"),
        ("training_applied", "neutral", "Neither agree nor disagree"),
        ("raised_concern", "yeah", "Yes"),
        ("raised_concern", "nope", "No"),
        ("escalated", "n/a", "Not needed"),
        ("supported_concern", "yes", "Yes, adequately"),
        ("agency", "tvp", "TVP"),
        ("referral_feedback", "not always", "Sometimes"),
        # an exact label wins over being part of another ("no" is not "Not needed")
        ("escalated", "no", "No"),
        ("training_applied", "agree", "Agree"),
        # then an unambiguous part of one label
        ("agency", "cherwell", "CDC"),
        ("agency", "police", "TVP"),
        ("agency", "schools", "EDU"),
        ("agency", "adult social care", "ASC"),
        ("agency", "I work for the police", "TVP"),
        ("training_recency", "12 months", "6 to 12 months ago"),
        ("works_with", "I work with adults", "Adults with care and support needs"),
        # a whole label inside a longer answer, with only harmless words around it
        ("raised_concern", "yes I have", "Yes"),
        ("training_applied", "I strongly agree", "Strongly agree"),
        ("works_with", "kids and families", "Children and families"),
        # then a small typo
        ("training_applied", "stongly agree", "Strongly agree"),
        ("training_applied", "disagre", "Disagree"),
        ("raised_concern", "yse", "Yes"),
        ("agency", "cherwel", "CDC"),
        ("agency", "oxford uni hospitals", "OUH"),
        ("agency", "Oxford Univeristy Hospitals NHS FT", "OUH"),
    ],
)
def test_a_typed_choice_is_recognised(practitioner: Definition, item: str, said: str, value: str) -> None:
    assert match_answer(practitioner.item(item), said) == Match(value=value)


@pytest.mark.parametrize(
    ("item", "said", "problem", "candidates"),
    [
        ("agency", "the council", "ambiguous",
         ("Oxford City Council", "Cherwell District Council", "South and Vale District Councils",
          "West Oxfordshire District Council")),
        ("agency", "NHS", "ambiguous", ("Oxford University Hospitals NHS FT", "Oxford Health NHS FT")),
        ("agency", "social care", "ambiguous", ("Children's Social Care", "Adult Social Care")),
        ("training_applied", "strongly", "ambiguous", ("Strongly agree", "Strongly disagree")),
        ("training_recency", "3 years", "ambiguous", ("1 to 3 years ago", "More than 3 years ago")),
        ("training_applied", "stronly", "ambiguous", ("Strongly agree", "Strongly disagree")),
        ("training_applied", "7", "out_of_range", ()),
        ("training_applied", "0", "out_of_range", ()),
        ("training_applied", "I don't agree", "no_match", ()),
        ("training_applied", "yes and no", "no_match", ()),
        ("raised_concern", "maybe", "no_match", ()),
        ("raised_concern", "yes and no", "ambiguous", ("Yes", "No")),
        ("role_level", "idk", "no_match", ()),
        ("agency", "a charity", "no_match", ()),
        ("agency", "", "no_match", ()),
    ],
)  # fmt: skip
def test_an_ambiguous_or_unknown_choice_is_never_guessed(
    practitioner: Definition, item: str, said: str, problem: str, candidates: tuple[str, ...]
) -> None:
    match = match_answer(practitioner.item(item), said)
    assert match.value is None
    assert match.problem == problem
    assert match.candidates == candidates


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("1, 4", ("Neglect Tool", DASH)),
        ("1,4", ("Neglect Tool", DASH)),
        ("1 3", ("Neglect Tool", "Self-neglect Tool")),
        ("neglect tool and DASH", ("Neglect Tool", DASH)),
        ("Neglect Tool, Domestic abuse risk checklist (DASH)", ("Neglect Tool", DASH)),
        ("mca; dash", (DASH, "Mental Capacity Assessment")),  # stored in the order listed
        ("Mental Capacity Assessment, Self-neglect", ("Self-neglect Tool", "Mental Capacity Assessment")),
        ("dash, dash", (DASH,)),
        ("neglect", ("Neglect Tool",)),  # a listed synonym, not "part of two labels"
        ("self neglect", ("Self-neglect Tool",)),
        ("none", ("None of these",)),
        ("all of them", ("Neglect Tool", "Child Exploitation Screening Tool", "Self-neglect Tool", DASH,
                         "Mental Capacity Assessment")),
        ("6", ("None of these",)),
    ],
)
def test_several_choices(practitioner: Definition, said: str, value: tuple[str, ...]) -> None:
    assert match_answer(practitioner.item("tools_used"), said) == Match(value=value)


def test_a_multi_answer_is_split_only_when_the_whole_is_not_one_choice() -> None:
    choices = tuple(Choice(label, label) for label in ("Children and families", "Children", "Families"))
    assert match_several(choices, "children and families") == Match(value=("Children and families",))
    assert match_several(choices, "children, families") == Match(value=("Children", "Families"))
    assert match_several(choices, "2 and 3") == Match(value=("Children", "Families"))


def test_an_exclusive_choice_stands_alone(practitioner: Definition) -> None:
    match = match_answer(practitioner.item("tools_used"), "none of these, dash")
    assert match.problem == "exclusive"
    assert match.candidates == ("None of these",)


def test_a_multi_answer_with_an_unknown_part_names_the_part(practitioner: Definition) -> None:
    match = match_answer(practitioner.item("tools_used"), "dash and a toolkit")
    assert match.problem == "partial"
    assert match.unmatched == ("a toolkit",)
    assert match_answer(practitioner.item("tools_used"), "a, b").problem == "no_match"


SCALE = Scale(1, 5, "very poorly", "very well")


@pytest.mark.parametrize(
    ("said", "value"),
    [("4", 4), ("4/5", 4), ("4 / 5", 4), ("4 out of 5", 4), ("four", 4), ("four out of five", 4),
     ("1", 1), ("5 stars", 5), ("very well", 5), ("Very poorly", 1)],
)  # fmt: skip
def test_a_rating(said: str, value: int) -> None:
    assert match_rating(SCALE, said) == Match(value=value)


@pytest.mark.parametrize(
    ("said", "problem"),
    [("10/10", "out_of_range"), ("7", "out_of_range"), ("0", "out_of_range"), ("4/10", "out_of_range"),
     ("3.5", "out_of_range"), ("good", "no_match"), ("", "no_match")],
)  # fmt: skip
def test_a_rating_off_the_scale_is_refused(said: str, problem: str) -> None:
    assert match_rating(SCALE, said).problem == problem


def test_matching_works_on_any_choices_not_just_the_questionnaires() -> None:
    choices = (Choice("Always", "Always"), Choice("Sometimes", "Sometimes"), Choice("Never", "Never"))
    assert match_choice(choices, "sometimse") == Match(value="Sometimes")
    assert match_choice(choices, "2") == Match(value="Sometimes")
    assert match_choice(choices, "4").problem == "out_of_range"
