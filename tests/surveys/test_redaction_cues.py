"""The cue words around names are data with a declared schema (surveys/wordlists/redaction_cues.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from surveys.redaction import redact
from surveys.redaction_cues import CUES_FILE, load_cues


def test_the_cue_file_gives_redaction_its_words() -> None:
    cues = load_cues()
    assert "Dr" in cues.titles
    assert "social\\s+worker" in cues.before
    assert redact("I spoke to Mr Okafor and the social worker Bronwen.") == (
        "I spoke to [name] and the social worker [name]."
    )


@pytest.mark.parametrize(
    ("old", "new", "problem", "field"),
    [
        ("  - sergeant", "  - sergeant(", "'sergeant(' is not a usable pattern", "before.73"),
        ("  - said", "  - told", "duplicate entry 'told'", "speech_after.2"),
    ],
)
def test_a_broken_cue_file_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, problem: str, field: str
) -> None:
    """The line is the file's mapping (list entries carry no line of their own); the field names the entry."""
    source = CUES_FILE.read_text(encoding="utf-8")
    path = tmp_path / "redaction_cues.yaml"
    path.write_text(source.replace(f"\n{old}\n", f"\n{new}\n", 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:8: {problem}")
    assert message.endswith(f"(at {field})")


def test_an_empty_list_of_cues_is_refused(tmp_path: Path) -> None:
    source = CUES_FILE.read_text(encoding="utf-8")
    path = tmp_path / "redaction_cues.yaml"
    start = source.index("family:\n")
    end = source.index("\n\n", start)
    path.write_text(source[:start] + "family: []" + source[end:], encoding="utf-8")
    with pytest.raises(ContentError, match="needs at least one entry"):
        load_cues(path)
