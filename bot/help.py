"""The bot's help outside the questionnaire: what it can do, with examples (``bot/data/help.yaml``).

Content, not code: the partnership can change the examples without a release, and
the file is checked when it loads so a mistake names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from common.schema import Schema, parse
from common.yamlfile import load_yaml

HELP_FILE = Path(__file__).resolve().parent / "data" / "help.yaml"


@dataclass(frozen=True)
class Section:
    """One thing the bot does, said plainly, with what a person might type."""

    title: str
    text: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Help:
    intro: str
    sections: tuple[Section, ...]
    closing: str


def _stripped(value: str) -> str:
    if not value.strip():
        raise ValueError("should be some text")
    return value.strip()


_Text = Annotated[str, AfterValidator(_stripped)]


class _Section(Schema):
    title: _Text
    text: _Text
    examples: tuple[_Text, ...]  # required, so that a section with none says so: []

    def section(self) -> Section:
        return Section(self.title, self.text, self.examples)


class _HelpFile(Schema):
    intro: _Text
    sections: Annotated[tuple[_Section, ...], Field(min_length=1)]
    closing: _Text


@cache
def load_help(path: Path = HELP_FILE) -> Help:
    """The help content, read and checked once per process; ContentError names the file and line."""
    data = parse(_HelpFile, load_yaml(path), str(path))
    return Help(data.intro, tuple(section.section() for section in data.sections), data.closing)
