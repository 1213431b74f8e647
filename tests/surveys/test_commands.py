"""The questionnaire's commands, "done" words and greetings are data with a declared schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from surveys.commands import COMMANDS_FILE, load_words
from surveys.engine import COMMANDS


def test_the_commands_file_gives_the_engine_its_words() -> None:
    words = load_words()
    assert COMMANDS["go back"] == "back"
    assert COMMANDS["carry on"] == "resume"
    assert "that's all" in words.done
    assert "good morning" in words.greetings


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            ("  next: [next, keep]", "  next: [next, keep, skip]"),
            ":5: 'skip' gives both skip and next (at commands.next)",
        ),
        (("greetings: [", "greeting: ["), ":4: missing 'greetings'"),
    ],
)
def test_a_broken_commands_file_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    source = COMMANDS_FILE.read_text(encoding="utf-8")
    assert change[0] in source
    path = tmp_path / "commands.yaml"
    path.write_text(source.replace(*change), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_words(path)
    assert f"{path}{where}" in str(caught.value)
