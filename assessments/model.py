"""The standards an agency assesses itself against, and what it says about each, as frozen dataclasses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property


class Rating(StrEnum):
    """BRAG, best first."""

    BLUE = "blue"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def meaning(self) -> str:
        return MEANINGS[self]

    @classmethod
    def parse(cls, text: str) -> Rating | None:
        """A rating from its name or first letter, any case ("Blue", "b"); None when it is neither."""
        word = text.strip().lower()
        for rating in cls:
            if word in (rating.value, rating.value[0]):
                return rating
        return None


MEANINGS = {
    Rating.BLUE: "Fully met and evidenced",
    Rating.GREEN: "Met",
    Rating.AMBER: "Partially met",
    Rating.RED: "Not met",
}
NEEDS_ACTIONS = frozenset({Rating.AMBER, Rating.RED})
ACTION_STATUSES = ("not started", "in progress", "done")


def _cue_pattern(cue: str) -> re.Pattern[str]:
    """Whole words of the cue, any spacing between them; a word ending in * takes any ending."""
    words = cue.strip().lower().split()
    parts = [re.escape(word.rstrip("*")) + (r"\w*" if word.endswith("*") else "") for word in words]
    left = r"(?<!\w)" if words[0][:1].isalnum() else ""
    last = words[-1]
    right = r"(?!\w)" if last[-1:].isalnum() else ""
    return re.compile(left + r"\s+".join(parts) + right)


@dataclass(frozen=True)
class ChecklistPoint:
    id: str
    text: str
    cues: tuple[str, ...]

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_cue_pattern(cue) for cue in self.cues)

    def addressed_by(self, text: str) -> bool:
        """Whether ``text`` mentions one of this point's cues (whole words, any case)."""
        lowered = text.lower()
        return any(pattern.search(lowered) for pattern in self.patterns)


@dataclass(frozen=True)
class Standard:
    id: str
    part: str
    title: str
    description: str
    checklist: tuple[ChecklistPoint, ...]


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    standards: tuple[Standard, ...]


@dataclass(frozen=True)
class StandardSet:
    """One board's standards (e.g. Section 11 with the adults' standards), loaded from YAML."""

    id: str
    title: str
    version: int
    parts: tuple[Part, ...]
    impact_cues: tuple[ChecklistPoint, ...] = ()  # one pseudo-point holding the set's outcome words

    @property
    def standards(self) -> tuple[Standard, ...]:
        return tuple(standard for part in self.parts for standard in part.standards)

    def standard(self, standard_id: str) -> Standard:
        """The standard with this id; KeyError when there is none."""
        for standard in self.standards:
            if standard.id == standard_id:
                return standard
        raise KeyError(standard_id)

    def part_of(self, standard: Standard) -> Part:
        return next(part for part in self.parts if part.id == standard.part)

    def __iter__(self) -> Iterator[Standard]:
        return iter(self.standards)


@dataclass(frozen=True)
class Entry:
    """What an agency says about one standard: its own rating, the two sections, and its action."""

    standard: str
    rating: Rating | None = None
    how_met: str = ""
    impact: str = ""
    actions: str = ""
    lead: str = ""
    due: date | None = None
    status: str = ACTION_STATUSES[0]

    @property
    def has_action(self) -> bool:
        """An action counts only with what is to be done, who leads it and by when."""
        return bool(self.actions.strip() and self.lead.strip() and self.due)


@dataclass(frozen=True)
class Alternative:
    """An agency's declared alternative to the practitioner questionnaire and the board's decision."""

    description: str
    decision: str | None = None  # "accepted", "rejected", or None while the board has not decided


@dataclass(frozen=True)
class Return:
    """One agency's return in one round."""

    round_id: int
    agency: str
    entries: tuple[Entry, ...]
    status: str = "submitted"
    submitted_on: date | None = None
    source: str = "chat"
    alternative: Alternative | None = None
    by_standard: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_standard", {entry.standard: entry for entry in self.entries})
