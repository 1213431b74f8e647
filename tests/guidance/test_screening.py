"""The survey engine's hook for free-text answers: emergency, disclosure, or nothing to act on."""

from __future__ import annotations

import pytest

from guidance.screening import screen


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("a child on my caseload told me her stepdad hits her", "disclosure"),
        ("one of my residents said her carer shouts at her and takes her money", "disclosure"),
        ("I'm worried about a boy in my class who has bruises most Mondays", "disclosure"),
        ("my client says her son takes her pension every week", "disclosure"),
        ("a girl in year 9 disclosed that she is being groomed online", "disclosure"),
        ("he's going to kill her tonight", "emergency"),
        (
            "training was fine but a pupil just told me he's scared to go home because dad will hurt him",
            "emergency",
        ),
        ("thresholds are unclear", None),
        ("the MASH takes too long to reply to emails", None),
        ("more training on neglect and domestic abuse would help", None),
        ("I noticed more awareness of exploitation after the course", None),
        ("better joint working between police and health", None),
        ("", None),
    ],
)
def test_screen(text: str, verdict: str | None) -> None:
    assert screen(text) == verdict
