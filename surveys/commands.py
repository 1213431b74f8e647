"""The questionnaire's commands, its "done" words and the greetings, read from
``surveys/wordlists/commands.yaml`` so the words are edited as data, not code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from pydantic import field_validator

from common.schema import At, Schema, parse
from common.yamlfile import load_yaml

COMMANDS_FILE = Path(__file__).resolve().parent / "wordlists" / "commands.yaml"


class Words(Schema):
    """commands.yaml, checked: a word gives one command only."""

    commands: dict[str, tuple[str, ...]]
    done: tuple[str, ...]
    greetings: tuple[str, ...]

    @field_validator("commands")
    @classmethod
    def _one_command_a_word(cls, commands: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        seen: dict[str, str] = {}
        for command, words in commands.items():
            for word in words:
                if word in seen:
                    raise At(f"'{word}' gives both {seen[word]} and {command}", command)
                seen[word] = command
        return commands

    def by_word(self) -> Mapping[str, str]:
        """Each word -> the command it gives."""
        return MappingProxyType({word: command for command, words in self.commands.items() for word in words})


def load_words(path: Path = COMMANDS_FILE) -> Words:
    """Read and check commands.yaml; ContentError names file, line and field."""
    return parse(Words, load_yaml(path), str(path))
