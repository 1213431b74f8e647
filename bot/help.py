"""The bot's help outside the questionnaire: what it can do, with examples (``bot/data/help.yaml``).

Content, not code: the partnership can change the examples without a release, and
the file is checked when it loads so a mistake names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml

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


def _text(data: Any, key: str, where: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ContentError(where, line_of(data), f"'{key}' should be some text")
    return value.strip()


def _section(row: Any, where: str) -> Section:
    examples = row.get("examples") if isinstance(row, dict) else None
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise ContentError(where, line_of(row), "'examples' should list things to type (or be [])")
    return Section(_text(row, "title", where), _text(row, "text", where), tuple(e.strip() for e in examples))


@cache
def load_help(path: Path = HELP_FILE) -> Help:
    """The help content, read and checked once per process; ContentError names the file and line."""
    where = str(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(where, 1, "expected a mapping with intro, sections and closing")
    rows = data.get("sections")
    if not isinstance(rows, list) or not rows:
        raise ContentError(where, line_of(data), "'sections' should list what the bot can do")
    sections = tuple(_section(row, where) for row in rows)
    return Help(_text(data, "intro", where), sections, _text(data, "closing", where))
