"""A questionnaire definition as frozen dataclasses (built by surveys.loader from YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ItemType = Literal["single", "likert", "multi", "rating", "text"]
CHOICE_TYPES: frozenset[str] = frozenset({"single", "likert", "multi"})


@dataclass(frozen=True)
class Choice:
    """One choice: ``label`` is shown; ``value`` is stored (the label, or an agency code)."""

    label: str
    value: str
    synonyms: tuple[str, ...] = ()
    exclusive: bool = False


@dataclass(frozen=True)
class Condition:
    """Show an item only when an earlier item's answer is (or is not) among ``values``."""

    item: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class Scale:
    minimum: int
    maximum: int
    min_label: str = ""
    max_label: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    type: ItemType
    text: str
    required: bool = True
    choices: tuple[Choice, ...] = ()
    when: Condition | None = None
    scale: Scale | None = None
    max_answers: int = 1
    codebook: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Definition:
    """A whole questionnaire: items in order plus the messages around them."""

    id: str
    version: int
    title: str
    anonymous: bool
    intro: str
    free_text_reminder: str
    done_message: str
    items: tuple[Item, ...]
    source: str = ""
    audience: str = ""
    offered_to: str = "everyone"  # who the bot offers it to: one of surveys.audience.OFFERED_TO
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        if not self._index:
            self._index.update({it.id: n for n, it in enumerate(self.items)})
        return self.items[self._index[item_id]]
