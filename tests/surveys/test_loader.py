"""Definitions load from YAML, match the spec, and broken ones fail naming file, line and problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.errors import ContentError
from common.partnership import Partnership
from surveys.loader import load_definition, load_definitions, parse_definition
from surveys.model import Condition, Definition
from tests.helpers.shared import shared_path

# -- the shipped definitions --------------------------------------------------------


def test_both_shipped_definitions_load(definitions: dict[str, Definition]) -> None:
    assert set(definitions) == {"practitioner", "impact-assessment"}


def test_agencies_come_from_the_partnership_file(practitioner: Definition, partnership: Partnership) -> None:
    choices = practitioner.item("agency").choices
    assert [(c.value, c.label) for c in choices] == [(a.code, a.name) for a in partnership.agencies]
    assert choices[13].label == "Education (schools and colleges)"  # transcripts type "14"


def _spec_rows() -> list[list[str]]:
    text = shared_path("specs", "practitioner-questionnaire.md").read_text(encoding="utf-8")
    table = text.split("## Items", 1)[1].split("\n\n", 2)[1]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]
    return [row for row in rows[2:] if len(row) == 7]


def _spec_condition(text: str) -> Condition | None:
    if text == "always":
        return None
    found = re.match(r"(\w+) (!=|=|in) \(?(.+?)\)?$", text)
    assert found, text
    item, operator, values = found.groups()
    return Condition(item, tuple(v.strip() for v in values.split(",")), negate=operator == "!=")


def test_the_practitioner_definition_is_the_spec(practitioner: Definition) -> None:
    agree5 = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"]
    rows = _spec_rows()
    assert [row[0] for row in rows] == [item.id for item in practitioner.items]
    for item_id, section, kind, _text, choices, shown, required in rows:
        item = practitioner.item(item_id)
        assert item.section == section
        assert item.type == {"free text": "text", "rating 1–5": "rating"}.get(kind, kind)
        assert item.required == required.startswith("yes")
        assert item.when == _spec_condition(shown)
        labels = [c.label for c in item.choices]
        if choices == "agree5":
            assert labels == agree5
        elif choices == "yesno":
            assert labels == ["Yes", "No"]
        elif "/" in choices:
            assert labels == [c.strip() for c in choices.split("/")]
    assert practitioner.item("tools_used").choices[-1].exclusive
    scale = practitioner.item("joint_working").scale
    assert scale is not None
    assert (scale.minimum, scale.maximum) == (1, 5)


def test_the_impact_assessment_has_six_questions_of_up_to_three_issues(impact: Definition) -> None:
    questions = [item for item in impact.items if item.id != "agency"]
    assert [q.id for q in questions] == [f"impact_q{n}" for n in range(1, 7)]
    assert all(q.type == "text" and q.max_answers == 3 and q.codebook == q.id for q in questions)
    assert not impact.anonymous


# -- broken definitions ---------------------------------------------------------------

BASE = """\
id: mini
version: 1
title: Mini questionnaire
intro: Hello.
free_text_reminder: Please don't name anyone.
done_message: Thank you.
choice_sets:
  yesno: ["Yes", "No"]
items:
  - id: agency
    type: single
    text: Which organisation do you work for?
    choices: agencies
  - id: asked
    type: single
    text: Have you been asked before?
    choices: yesno
"""


def _broken(extra: str) -> str:
    return BASE + extra


@pytest.mark.parametrize(
    ("yaml_text", "marker", "problem"),
    [
        (_broken("  - id: feel\n    type: likert\n    text: I feel fine.\n    choices: agree6\n"),
         "id: feel", "item 'feel': unknown choice set 'agree6'"),
        (_broken("  - id: more\n    type: single\n    text: More?\n    choices: yesno\n"
                 "    when: {item: nowhere, equals: \"Yes\"}\n"),
         "when:", "item 'more': condition on item 'nowhere', which is not an earlier item"),
        (BASE.replace("choices: yesno\n", "choices: yesno\n    when: {item: later, equals: \"Yes\"}\n")
         + "  - id: later\n    type: single\n    text: Later?\n    choices: yesno\n",
         "when:", "item 'asked': condition on item 'later', which is not an earlier item"),
        (_broken("  - id: more\n    type: single\n    text: More?\n    choices: yesno\n"
                 "    when: {item: asked, equals: Maybe}\n"),
         "when:", "condition value 'Maybe' is not a choice of 'asked'"),
        (_broken("  - id: more\n    type: single\n    text: More?\n    choices: yesno\n"
                 "    when: {item: asked, equals: Yes}\n"),
         "when:", "quote the condition value"),
        (_broken("  - id: asked\n    type: single\n    text: Again?\n    choices: yesno\n"),
         "id: asked", "duplicate item id 'asked'"),
        (_broken("  - id: slide\n    type: slider\n    text: Slide it.\n"),
         "id: slide", "item 'slide': unknown type 'slider'"),
        (_broken("  - id: quiet\n    type: text\n"), "id: quiet", "item 'quiet': missing 'text'"),
        (_broken("  - id: score\n    type: rating\n    text: Score?\n    scale: {min: 5, max: 1}\n"),
         "scale:", "item 'score': bad scale 5..1"),
        (_broken("  - id: score\n    type: rating\n    text: Score?\n"),
         "id: score", "item 'score': a rating item needs a scale"),
        (_broken("  - id: feel\n    type: likert\n    text: I feel fine.\n"),
         "id: feel", "item 'feel': a likert item needs 'choices'"),
        (_broken("  - id: words\n    type: text\n    text: Say more.\n    choices: yesno\n"),
         "id: words", "item 'words': a text item has no choices"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices:\n"
                 "      - {label: None, exclusive: true}\n      - Some\n"),
         "id: one", "only a multi item can have an exclusive choice"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices:\n"
                 "      - {label: Always, synonyms: [often]}\n      - {label: Often}\n"),
         "id: one", "'Often' would mean both 'Always' and 'Often'"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices: [Yes, No]\n"),
         "id: one", "a choice label should be quoted text, got True"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices: yesno\n    requried: false\n"),
         "id: one", "item 'one': unknown key 'requried'"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices: yesno\n    max_answers: 3\n"),
         "id: one", "only a text item can take several answers"),
        (_broken("  - id: Bad-Id\n    type: text\n    text: Hm?\n"),
         "id: Bad-Id", "item id 'Bad-Id' should be lower_case_with_underscores"),
        (BASE.replace("choices: agencies", "choices: [Police, Health]"),
         "id: mini", "needs a required item 'agency' with 'choices: agencies'"),
        (BASE.replace("version: 1", "version: one"), "id: mini", "'version' should be a whole number"),
        (BASE.replace("id: mini", "id: Mini Survey"), "id: Mini Survey", "should be lower-case-with-hyphens"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices: yesno\n    codebook: q1\n"),
         "id: one", "only for a text item"),
        (BASE + "  - id: x\n    type: [text\n", None, "not valid YAML"),
        (BASE.replace("id: mini", "id: mini\noffered_to: leads"), "id: mini",
         "'offered_to' should be one of"),
    ],
)  # fmt: skip
def test_a_broken_definition_fails_naming_file_line_and_problem(
    partnership: Partnership, yaml_text: str, marker: str | None, problem: str
) -> None:
    with pytest.raises(ContentError) as caught:
        parse_definition(yaml_text, "broken.yaml", partnership)
    error = caught.value
    assert error.path == "broken.yaml"
    assert problem in error.problem
    if marker is not None:
        lines = yaml_text.splitlines()
        expected = max(n for n, line in enumerate(lines, 1) if marker in line)
        assert error.line == expected, f"{error} (expected line {expected})"
    assert str(error).startswith("broken.yaml:")


def test_the_base_of_the_broken_cases_is_itself_valid(partnership: Partnership) -> None:
    definition = parse_definition(BASE, "mini.yaml", partnership)
    assert [item.id for item in definition.items] == ["agency", "asked"]


def test_a_missing_file_is_a_content_error(partnership: Partnership, tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="not found"):
        load_definition(tmp_path / "nope.yaml", partnership)


def test_two_files_with_one_id_are_refused(partnership: Partnership, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(ContentError, match="questionnaire id 'mini' is also used"):
        load_definitions(partnership, tmp_path)


@pytest.mark.parametrize(
    ("yaml_text", "marker", "problem"),
    [
        (_broken("  - id: score\n    type: rating\n    text: Score?\n"
                 "    scale: {min: 1, max: 5, min_lable: Never}\n"),
         "scale:", "item 'score': unknown key 'min_lable' (at items.2.scale.min_lable)"),
        (_broken("  - id: more\n    type: single\n    text: More?\n    choices: yesno\n"
                 "    when: {item: asked, equals: Maybe}\n"),
         "when:",
         "item 'more': condition value 'Maybe' is not a choice of 'asked' (No, Yes) (at items.2.when)"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices: [Yes, No]\n"),
         "id: one", "item 'one': a choice label should be quoted text, got True (at items.2.choices.0)"),
        (_broken("  - id: one\n    type: single\n    text: One?\n    choices:\n"
                 "      - {label: A, exclusive: yes please}\n      - B\n"),
         "label: A", "item 'one': should be true or false (at items.2.choices.0.exclusive)"),
        (BASE.replace("version: 1", "version: 0"),
         "id: mini", "'version' should be a whole number from 1 (at version)"),
    ],
)  # fmt: skip
def test_a_broken_definition_names_the_field_as_well(
    partnership: Partnership, yaml_text: str, marker: str, problem: str
) -> None:
    """The problem names the field, and keys the questionnaire does not know are refused everywhere."""
    with pytest.raises(ContentError) as caught:
        parse_definition(yaml_text, "broken.yaml", partnership)
    lines = yaml_text.splitlines()
    expected = max(n for n, line in enumerate(lines, 1) if marker in line)
    assert (caught.value.path, caught.value.line, caught.value.problem) == ("broken.yaml", expected, problem)
