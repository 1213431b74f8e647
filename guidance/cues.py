"""Cue files: named groups of regular expressions, as data, that recognise a kind of message.

Used for emergencies and for screening free-text survey answers. A group
matches when one of its ``any`` patterns matches, or when every list in its
``all`` has a match somewhere in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'"})


@dataclass(frozen=True)
class CueGroup:
    name: str
    any: tuple[re.Pattern[str], ...]
    all: tuple[tuple[re.Pattern[str], ...], ...]

    def matches(self, text: str) -> bool:
        """True when this group recognises ``text`` (already passed through ``prepare``)."""
        if any(p.search(text) for p in self.any):
            return True
        return bool(self.all) and all(any(p.search(text) for p in alternatives) for alternatives in self.all)


@dataclass(frozen=True)
class CueSet:
    groups: tuple[CueGroup, ...]
    rewrite: tuple[tuple[re.Pattern[str], str], ...]

    def prepare(self, text: str) -> str:
        """Lower case, straight quotes, single spaces, and the file's rewrites (``hes`` -> ``he's``)."""
        prepared = " ".join(text.translate(_QUOTES).lower().split())
        for pattern, replacement in self.rewrite:
            prepared = pattern.sub(replacement, prepared)
        return prepared

    def matching(self, text: str) -> list[str]:
        """Names of the groups that recognise ``text``."""
        prepared = self.prepare(text)
        return [group.name for group in self.groups if group.matches(prepared)]


def _compile(where: str, line: int | None, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ContentError(where, line, "a cue pattern should be a non-empty text")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ContentError(where, line, f"cue pattern {pattern!r} is not a valid regex: {exc}") from exc


def load_cues(path: Path) -> CueSet:
    """Read and check a cue file; ContentError names file and line (of the group) on any problem."""
    where = str(path)
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list) or not data["groups"]:
        raise ContentError(where, 1, "a cue file needs a non-empty 'groups' list")
    groups = []
    for row in data["groups"]:
        line = line_of(row)
        if not isinstance(row, dict) or not row.get("name"):
            raise ContentError(where, line, "each cue group needs a name")
        any_patterns = row.get("any") or []
        all_lists = row.get("all") or []
        if not any_patterns and not all_lists:
            raise ContentError(where, line, f"cue group '{row['name']}' has neither 'any' nor 'all'")
        if not isinstance(any_patterns, list) or not isinstance(all_lists, list):
            raise ContentError(where, line, f"cue group '{row['name']}': 'any' and 'all' should be lists")
        if any(not isinstance(alternatives, list) or not alternatives for alternatives in all_lists):
            raise ContentError(
                where, line, f"cue group '{row['name']}': each 'all' entry is a list of patterns"
            )
        groups.append(
            CueGroup(
                name=str(row["name"]),
                any=tuple(_compile(where, line, p) for p in any_patterns),
                all=tuple(tuple(_compile(where, line, p) for p in alts) for alts in all_lists),
            )
        )
    rewrite = data.get("rewrite") or {}
    if not isinstance(rewrite, dict):
        raise ContentError(where, line_of(data), "'rewrite' should map words to their replacements")
    rules = [
        (re.compile(rf"(?<![a-z0-9']){re.escape(str(k).lower())}(?![a-z0-9'])"), str(v))
        for k, v in rewrite.items()
        if k != "__line__"
    ]
    for row in data.get("rewrite_patterns") or []:
        if not isinstance(row, list) or len(row) != 2:
            raise ContentError(where, line_of(data), "each rewrite pattern is [regex, replacement]")
        rules.append((_compile(where, line_of(data), row[0]), str(row[1])))
    return CueSet(tuple(groups), tuple(rules))
