"""The survey engine's screening hook for free-text answers, and disclosures about the writer.

A free-text answer may reveal an emergency (someone in danger now) or a
disclosure: a live concern about a particular child or adult, or harm to the
writer themselves (domestic abuse, self-harm, being harmed at work). Either way
the respondent must be pointed to the right route at once, whatever the survey
is asking, and the words are not kept. General comments about the system
("thresholds are unclear", "staff get threatened, we need a policy") are not
disclosures. Cues are data: ``guidance/data/disclosure.yaml`` (about others)
and ``guidance/data/self-disclosure.yaml`` (about the writer, with what to say).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import model_validator

from common.errors import ContentError
from common.schema import At, Text, parse
from common.yamlfile import load_yaml
from guidance.cues import CueFile, CueSet, load_cues
from guidance.emergency import detect
from surveys.turns import ScreenVerdict

DATA_DIR = Path(__file__).resolve().parent / "data"
DISCLOSURE_FILE = DATA_DIR / "disclosure.yaml"
SELF_DISCLOSURE_FILE = DATA_DIR / "self-disclosure.yaml"

About = Literal["self", "other"]


@dataclass(frozen=True)
class SelfDisclosureCues:
    """The self-disclosure groups (one per kind) and the support text for each kind."""

    cues: CueSet
    support: Mapping[str, str]

    def kind(self, text: str) -> str | None:
        """The first kind of harm to the writer that ``text`` discloses, or None."""
        found = self.cues.matching(text)
        return found[0] if found else None


@cache
def disclosure_cues(path: Path = DISCLOSURE_FILE) -> CueSet:
    """The disclosure cue file, read and checked once per process."""
    return load_cues(path)


class _SelfDisclosureFile(CueFile):
    """A cue file whose groups are kinds of harm to the writer, each with what the bot says."""

    support: dict[str, Text]

    @model_validator(mode="after")
    def _said_for_every_kind(self) -> Self:
        for group in self.groups:
            if group.name not in self.support:
                raise At(f"no support text for the kind '{group.name}'", "support")
        return self


@cache
def self_disclosure_cues(path: Path = SELF_DISCLOSURE_FILE) -> SelfDisclosureCues:
    """The self-disclosure file, read and checked once per process: every kind needs its support text."""
    data = parse(_SelfDisclosureFile, load_yaml(path), str(path))
    return SelfDisclosureCues(data.cue_set(), data.support)


def self_disclosure(text: str) -> str | None:
    """The kind of harm to the writer themselves that ``text`` discloses
    ("domestic-abuse", "self-harm", "harmed-at-work"), or None."""
    return self_disclosure_cues().kind(text)


def disclosure_about(text: str) -> About | None:
    """Whom a disclosure in ``text`` is about: "self" (the writer), "other" (someone they work
    with), or None when it discloses nothing. Emergencies are not judged here (see ``screen``)."""
    if self_disclosure(text) is not None:
        return "self"
    if disclosure_cues().matching(text):
        return "other"
    return None


def support_message(kind: str, contacts: Mapping[str, str]) -> str:
    """What the bot says to someone who disclosed harm of this kind to themselves, with the
    partnership's contacts filled in; ContentError when the file uses a contact not set."""
    template = self_disclosure_cues().support[kind]
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    missing = sorted(names - set(contacts))
    if missing:
        raise ContentError(str(SELF_DISCLOSURE_FILE), None, f"contacts not set: {', '.join(missing)}")
    return template.format_map(contacts)


def screen(text: str, *, in_danger: bool | None = None) -> ScreenVerdict | None:
    """ "emergency" when someone may be in danger now, "disclosure" for a live concern about
    a particular person or harm to the writer themselves, None for anything else.

    ``in_danger``: the verdict of ``emergency.detect`` on this text when the caller
    has it already (the bot detects once per turn); None means detect here."""
    if detect(text) if in_danger is None else in_danger:
        return "emergency"
    if disclosure_about(text) is not None:
        return "disclosure"
    return None
