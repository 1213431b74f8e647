"""Is someone in danger now? Checked before anything else, in or out of the survey.

The cues are data (``guidance/data/emergency.yaml``) and err towards flagging:
telling someone to call 999 when it was not needed costs a line of text;
missing a real emergency is the worst failure this product can have.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from guidance.cues import CueSet, load_cues

EMERGENCY_FILE = Path(__file__).resolve().parent / "data" / "emergency.yaml"


@cache
def emergency_cues(path: Path = EMERGENCY_FILE) -> CueSet:
    """The emergency cue file, read and checked once per process."""
    return load_cues(path)


def cues(text: str) -> list[str]:
    """Names of the emergency cue groups ``text`` matches (empty when none): for evaluation and logs."""
    return emergency_cues().matching(text)


def detect(text: str) -> bool:
    """True when ``text`` suggests someone may be in danger right now."""
    return bool(cues(text))
