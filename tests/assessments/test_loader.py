"""The standards file: the shipped set loads; a broken one is refused naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessments.loader import load_standard_set, load_standard_sets
from assessments.model import ChecklistPoint
from common.errors import ContentError

ISSUE_STANDARDS = ["1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "4a", "5a"]


def test_the_shipped_set_has_the_parts_and_standards_of_the_partnership_template() -> None:
    shipped = load_standard_sets()["section11-adults-2018"]
    assert [part.id for part in shipped.parts] == ["1", "2", "3", "4", "5"]
    assert [standard.id for standard in shipped] == ISSUE_STANDARDS
    assert all(len(standard.checklist) >= 3 for standard in shipped)
    assert shipped.part_of(shipped.standard("3b")).title == "Performance and Resource Management"


VALID = """\
id: tiny
title: Tiny
version: 1
parts:
  - id: "1"
    title: Leadership
    standards:
      - id: 1a
        title: Senior commitment
        checklist:
          - {id: 1a.1, text: A named lead, cues: [named lead]}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "standards.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (VALID.replace("cues: [named lead]", "cues: []"), 11, "checklist.0.cues"),
        (VALID.replace("          - {id: 1a.1,", "          - {id: 2b.1,"), 11, "should start with '1a.'"),
        (
            VALID.replace(
                "        title: Senior commitment\n",
                "        title: Senior commitment\n        colour: red\n",
            ),
            8,
            "colour",
        ),
        (VALID.replace("version: 1", "version: one"), 1, "version"),
        (
            VALID + '  - id: "2"\n    title: Again\n    standards:\n      - id: 1a\n        title: Twice\n'
            "        checklist:\n          - {id: 1a.9, text: x, cues: [x]}\n",
            15,
            "standard id '1a' is already used",
        ),
    ],
)
def test_a_broken_standards_file_is_refused_naming_file_and_line(
    tmp_path: Path, broken: str, line: int, message: str
) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(ContentError) as raised:
        load_standard_set(path)
    assert str(path) in str(raised.value)
    assert raised.value.line == line
    assert message in str(raised.value)


def test_the_valid_sample_loads(tmp_path: Path) -> None:
    assert [s.id for s in load_standard_set(_write(tmp_path, VALID))] == ["1a"]


def test_every_checklist_point_is_addressed_by_its_own_wording() -> None:
    """A "how met" that restates a point in the standard's own words must count as addressing it."""
    for standard in load_standard_sets()["section11-adults-2018"]:
        for point in standard.checklist:
            assert point.addressed_by(point.text), (point.id, point.text, point.cues)


def test_a_wildcard_may_end_any_word_of_a_cue() -> None:
    point = ChecklistPoint("x.1", "", ("report* to the board", "train*"))
    assert point.addressed_by("We reported  to the Board quarterly")
    assert point.addressed_by("Trainees attend")
    assert not point.addressed_by("the board reported")
    assert not point.addressed_by("restraining orders")  # not inside a word
