"""The partnership file loads, and broken ones fail naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from common.partnership import load_partnership

ROOT = Path(__file__).resolve().parents[2]


def test_example_partnership_has_the_spec_agencies():
    partnership = load_partnership(ROOT / "config/partnership.example.yaml")
    codes = [a.code for a in partnership.agencies]
    assert codes == [
        "TVP", "CSC", "ASC", "NPS", "CRC", "OUH", "OHFT", "CCG", "PH", "CITY", "CDC", "SV",
        "WODC", "EDU", "VCS", "OTHER",
    ]
    assert partnership.agency("CDC").name == "Cherwell District Council"
    assert partnership.agency("OTHER").headcount is None


def test_example_contacts_are_obvious_placeholders_not_real_numbers():
    partnership = load_partnership(ROOT / "config/partnership.example.yaml")
    for key, value in partnership.contacts.items():
        digits = sum(ch.isdigit() for ch in value)
        assert digits < 6, f"{key} looks like a real number: {value}"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "name: X\nagencies:\n  - {code: A, name: One}\n  - {code: A, name: Two}\n",
            4,
            "duplicate agency code 'A'",
        ),
        ("name: X\nagencies:\n  - {code: A}\n", 3, "missing 'name'"),
        ("name: X\nagencies:\n  - {code: A, name: One, headcount: lots}\n", 3, "whole number"),
        ("name: X\nagencies: []\n", 1, "no agencies"),
        (
            "name: X\nagencies:\n  - {code: A, name: One}\nagency_leads:\n  - {agency: B}\n",
            5,
            "unknown agency 'B'",
        ),
        ("name: X\nagencies: [\n", None, "not valid YAML"),
        ("name: X\nagencies:\n  - {code: A, name: One}\nquestionnaire_target: 10\n", 1, "between 0 and 1"),
    ],
)
def test_broken_partnership_file_names_file_line_and_problem(tmp_path, text, line, problem):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ContentError) as caught:
        load_partnership(path)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)
    if line is not None:
        assert caught.value.line == line


def test_missing_file_is_a_content_error(tmp_path):
    with pytest.raises(ContentError, match="not found"):
        load_partnership(tmp_path / "nope.yaml")


def test_a_duplicate_key_names_its_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: X\nagencies:\n  - {code: A, name: One}\nname: Y\n")
    with pytest.raises(ContentError) as caught:
        load_partnership(path)
    assert "duplicate key 'name'" in str(caught.value)
    assert caught.value.line == 4


def test_questionnaire_target_defaults_to_a_tenth_and_can_be_set(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: X\nagencies:\n  - {code: A, name: One}\n")
    assert load_partnership(path).questionnaire_target == 0.10
    path.write_text("name: X\nagencies:\n  - {code: A, name: One}\nquestionnaire_target: 0.2\n")
    assert load_partnership(path).questionnaire_target == 0.2
