"""Who is offered a wave: everyone, or the agency leads of the boards the wave belongs to."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from common.partnership import load_partnership
from surveys.audience import may_take
from surveys.loader import load_definitions

BOARDS = """\
name: X
agencies:
  - {code: CSC, name: Children's Social Care}
  - {code: ASC, name: Adult Social Care}
boards:
  - name: children
    agencies: [CSC]
    agency_leads: [{agency: CSC, teams_user: csc-lead}]
  - name: adults
    agencies: [ASC]
    agency_leads: [{agency: ASC, teams_user: asc-lead}]
"""


def test_leads_are_offered_their_boards_returns_and_everyone_the_practitioner_questionnaire(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BOARDS)
    partnership = load_partnership(path)
    definitions = load_definitions(partnership)
    practitioner, impact = definitions["practitioner"], definitions["impact-assessment"]
    assert (practitioner.offered_to, impact.offered_to) == ("everyone", "agency_leads")
    for person in ("msteams:someone", "msteams:csc-lead"):
        assert may_take(practitioner, ("children",), partnership, person)
    assert not may_take(impact, (), partnership, "msteams:someone")
    assert may_take(impact, ("children",), partnership, "msteams:csc-lead")
    assert not may_take(impact, ("adults",), partnership, "msteams:csc-lead")
    assert may_take(impact, (), partnership, "msteams:asc-lead")  # a wave of every board
    # a partnership made without boards: any named lead
    bare = replace(partnership, boards=())
    assert may_take(impact, ("adults",), bare, "msteams:csc-lead")
