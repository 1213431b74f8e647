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
        "TVP",
        "CSC",
        "ASC",
        "NPS",
        "CRC",
        "OUH",
        "OHFT",
        "CCG",
        "PH",
        "CITY",
        "CDC",
        "SV",
        "WODC",
        "EDU",
        "VCS",
        "OTHER",
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


BOARDS = """\
name: X
agencies:
  - {code: CSC, name: Children's Social Care}
  - {code: ASC, name: Adult Social Care}
  - {code: TVP, name: Police}
contacts: {board_email: all@example.org, mash_phone: "[MASH]"}
agency_leads:
  - {agency: TVP, teams_user: police-lead}
report_recipients:
  - {email: manager@example.org}
boards:
  - name: children
    title: Children's Safeguarding Partnership
    agencies: [CSC, TVP]
    contacts: {board_email: children@example.org}
    agency_leads:
      - {agency: CSC, teams_user: csc-lead, email: csc@example.org}
    report_recipients:
      - {email: children-chair@example.org}
  - name: adults
    agencies: [ASC, TVP]
    agency_leads:
      - {agency: ASC, teams_user: asc-lead}
"""


def test_boards_have_their_own_contacts_leads_and_recipients_on_top_of_the_partnerships(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BOARDS)
    partnership = load_partnership(path)
    children, adults = partnership.boards
    assert (children.name, children.title, children.agencies) == (
        "children",
        "Children's Safeguarding Partnership",
        ("CSC", "TVP"),
    )
    assert dict(children.contacts) == {"board_email": "children@example.org", "mash_phone": "[MASH]"}
    assert adults.contacts["board_email"] == "all@example.org"
    assert [lead.agency for lead in children.agency_leads] == ["TVP", "CSC"]
    assert [lead.agency for lead in adults.agency_leads] == ["TVP", "ASC"]
    assert [r.email for r in children.report_recipients] == [
        "manager@example.org",
        "children-chair@example.org",
    ]
    # every lead is recognised, and knows which boards they lead in
    assert [lead.agency for lead in partnership.agency_leads] == ["TVP", "CSC", "ASC"]
    assert partnership.lead_agency("msteams:csc-lead") == "CSC"
    assert partnership.lead_agency("msteams:someone") is None
    assert partnership.boards_led_by("msteams:police-lead") == {"children", "adults"}
    assert partnership.boards_led_by("msteams:asc-lead") == {"adults"}


def test_a_file_without_boards_has_one_implicit_board_of_everything(tmp_path):
    partnership = load_partnership(ROOT / "config/partnership.example.yaml")
    (board,) = partnership.boards
    assert board.name == "partnership"
    assert board.agencies == tuple(a.code for a in partnership.agencies)
    assert board.agency_leads == partnership.agency_leads


@pytest.mark.parametrize(
    ("change", "line", "problem"),
    [
        (("  - name: adults\n", "  - name: children\n"), 20, "duplicate board 'children'"),
        (("  - name: adults\n", "  - name: Adults Board\n"), 20, "lower-case-with-hyphens"),
        (("agencies: [ASC, TVP]", "agencies: [ASC, NHS]"), 20, "unknown agency 'NHS'"),
        (
            ("{agency: ASC, teams_user: asc-lead}", "{agency: CSC, teams_user: asc-lead}"),
            23,
            "unknown agency 'CSC'",
        ),
        (("{email: children-chair@example.org}", "{name: chair}"), 19, "needs an email or a teams_user"),
    ],
)
def test_a_broken_board_names_file_line_and_problem(tmp_path, change, line, problem):
    path = tmp_path / "p.yaml"
    path.write_text(BOARDS.replace(*change))
    with pytest.raises(ContentError) as caught:
        load_partnership(path)
    assert problem in str(caught.value)
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # a misspelt key was silently ignored: the leads were lost without a word
        (
            "name: X\nagencies:\n  - {code: A, name: One}\nagency_leeds:\n  - {agency: A}\n",
            ":1: unknown key 'agency_leeds'",
        ),
        (
            "name: X\nagencies:\n  - {code: A, name: One, headcount: lots}\n",
            ":3: should be a whole number (at agencies.0.headcount)",
        ),
        ("name: X\nagencies:\n  - {code: A, name: One}\n  - {code: B}\n", ":4: missing 'name' in agencies.1"),
        (
            "name: X\nagencies:\n  - {code: A, name: One}\ndefault_wave:\n  open_days: soon\n",
            ":5: should be a whole number (at default_wave.open_days)",
        ),
    ],
)
def test_a_schema_error_names_file_line_and_field(tmp_path, text, where):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ContentError) as caught:
        load_partnership(path)
    assert f"{path}{where}" in str(caught.value)
