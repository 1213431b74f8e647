"""Partnership files for tests: the example file's contacts and settings, with a test's own changes.

Tests that need agency leads they can chat as, or boards, write a copy of
config/partnership.example.yaml with those keys replaced, and point the app
(``partnership_file`` in tests.e2e.conftest.e2e_settings) and the commands at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.settings import ROOT

EXAMPLE = ROOT / "config" / "partnership.example.yaml"

# Two boards sharing the police: the children's board (CSC, TVP) and the adults' (ASC, TVP), each with
# its own agency lead and report recipient; the police lead is named once, for every board.
CSC_LEAD, ASC_LEAD, POLICE_LEAD = "lead-csc-0001", "lead-asc-0002", "lead-tvp-0003"
CHILDREN_CHAIR, ADULTS_CHAIR = "chair-children-0004", "chair-adults-0005"
TWO_BOARDS: dict[str, Any] = {
    "name": "Test Safeguarding Partnership",
    "short_name": "TSP",
    "agencies": [
        {"code": "CSC", "name": "Children's Social Care", "headcount": 300},
        {"code": "ASC", "name": "Adult Social Care", "headcount": 250},
        {"code": "TVP", "name": "Police", "headcount": 600},
    ],
    "agency_leads": [{"agency": "TVP", "teams_user": POLICE_LEAD}],
    "boards": [
        {
            "name": "children",
            "title": "Children's Safeguarding Partnership",
            "agencies": ["CSC", "TVP"],
            "agency_leads": [{"agency": "CSC", "teams_user": CSC_LEAD}],
            "report_recipients": [{"teams_user": CHILDREN_CHAIR}],
        },
        {
            "name": "adults",
            "title": "Safeguarding Adults Board",
            "agencies": ["ASC", "TVP"],
            "agency_leads": [{"agency": "ASC", "teams_user": ASC_LEAD}],
            "report_recipients": [{"teams_user": ADULTS_CHAIR}],
        },
    ],
}


def write_partnership(tmp_path: Path, **changes: Any) -> Path:
    """The example partnership file with the top-level keys in ``changes`` replaced, in ``tmp_path``."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path
