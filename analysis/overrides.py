"""Analysts' theme codes, kept in a small CSV file (THEME_OVERRIDES_FILE) that wins over the coder.

A file rather than a table: the storage schema has no place for them, the
board can review and edit it in a spreadsheet, and it holds only redacted
answer text that is already in every export. Rows are keyed by codebook and
the text's words (see ``analysis.themes.override_key``), so the same answer
given by several people is coded once.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from analysis.frame import JOIN
from analysis.themes import Codebook, override_key
from common.errors import ContentError

HEADER = ("codebook", "text", "themes")

Overrides = dict[str, dict[str, tuple[str, ...]]]


def load_overrides(path: Path) -> Overrides:
    """{codebook: {text key: themes}}; a missing file is no overrides."""
    if not path.exists():
        return {}
    out: Overrides = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != HEADER:
            raise ContentError(str(path), 1, f"expected the header {','.join(HEADER)}")
        for row in reader:
            themes = tuple(t.strip() for t in (row["themes"] or "").split(JOIN.strip()) if t.strip())
            if not themes:
                raise ContentError(str(path), reader.line_num, "an override needs at least one theme")
            out.setdefault(row["codebook"], {})[override_key(row["text"])] = themes
    return out


def save_override(path: Path, codebook: Codebook, text: str, themes: Sequence[str]) -> None:
    """Record (or replace) the analyst's themes for a text; unknown theme ids are refused."""
    unknown = [t for t in themes if t not in codebook.theme_ids]
    if unknown or not themes:
        raise ContentError(str(path), None, f"unknown themes {unknown} for codebook '{codebook.id}'")
    rows: list[dict[str, str]] = []
    if path.exists():
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [
                r
                for r in csv.DictReader(handle)
                if not (r["codebook"] == codebook.id and override_key(r["text"]) == override_key(text))
            ]
    rows.append({"codebook": codebook.id, "text": text, "themes": JOIN.join(themes)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
