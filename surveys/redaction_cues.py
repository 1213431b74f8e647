"""The cue words around names that redaction looks for, read from
``surveys/wordlists/redaction_cues.yaml`` so they are edited as data, not code.

Each entry is one alternative of a regular expression; the redaction rules join
them. An entry that does not compile on its own is refused with its file and line,
so a bracket typed wrong cannot silently change what the whole rule matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator

from common.schema import At, Schema, Text, parse, unique
from common.yamlfile import load_yaml

CUES_FILE = Path(__file__).resolve().parent / "wordlists" / "redaction_cues.yaml"


class Cues(Schema):
    """redaction_cues.yaml, checked: non-empty lists of entries that each compile, none twice."""

    titles: tuple[Text, ...]
    before: tuple[Text, ...]
    role_after: tuple[Text, ...]
    family: tuple[Text, ...]
    speech_after: tuple[Text, ...]

    @field_validator("*")
    @classmethod
    def _each_compiles(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        if not entries:
            raise ValueError("needs at least one entry")
        unique(entries, "entry")
        for index, entry in enumerate(entries):
            try:
                re.compile(entry)
            except re.error as error:
                raise At(f"'{entry}' is not a usable pattern ({error})", index) from None
        return entries

    @staticmethod
    def either(entries: tuple[str, ...]) -> str:
        """The entries as one alternation, for embedding in a larger pattern."""
        return "|".join(entries)


def load_cues(path: Path = CUES_FILE) -> Cues:
    """Read and check the cue file; ContentError names file, line and field."""
    return parse(Cues, load_yaml(path), str(path))
