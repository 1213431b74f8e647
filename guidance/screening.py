"""The survey engine's screening hook for free-text answers.

A free-text answer may reveal an emergency (someone in danger now) or a
disclosure (a live concern about a particular child or adult). Either way the
respondent must be pointed to the right route at once, whatever the survey is
asking. General comments about the system ("thresholds are unclear") are not
disclosures. Disclosure cues are data in ``guidance/data/disclosure.yaml``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from guidance.cues import CueSet, load_cues
from guidance.emergency import detect
from surveys.turns import ScreenVerdict

DISCLOSURE_FILE = Path(__file__).resolve().parent / "data" / "disclosure.yaml"


@cache
def disclosure_cues(path: Path = DISCLOSURE_FILE) -> CueSet:
    """The disclosure cue file, read and checked once per process."""
    return load_cues(path)


def screen(text: str, *, in_danger: bool | None = None) -> ScreenVerdict | None:
    """ "emergency" when someone may be in danger now, "disclosure" for a live concern about
    a particular person, None for anything else.

    ``in_danger``: the verdict of ``emergency.detect`` on this text when the caller
    has it already (the bot detects once per turn); None means detect here."""
    if detect(text) if in_danger is None else in_danger:
        return "emergency"
    if disclosure_cues().matching(text):
        return "disclosure"
    return None
