"""The help content (bot/data/help.yaml): checked when it loads, shown with every example."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cards
from bot.help import load_help
from common.errors import ContentError


def test_the_help_card_shows_every_section_and_example() -> None:
    content = load_help()
    card = cards.help_card(content, "ESP")
    shown = "\n".join(e["text"] for e in card["body"] if e.get("type") == "TextBlock")
    assert "ESP" in shown
    for section in content.sections:
        assert section.title in shown
        assert all(example in shown for example in section.examples)


def test_a_section_without_examples_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "help.yaml"
    text = "intro: hi\nclosing: bye\nsections:\n  - title: Guidance\n    text: answers\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_help(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 4


def test_every_example_question_in_the_help_gets_a_sure_answer() -> None:
    from common.partnership import load_partnership
    from guidance.knowledge import load_knowledge_base
    from surveys.replies import reads_as_question
    from tests.helpers.shared import ROOT

    kb = load_knowledge_base(load_partnership(ROOT / "config" / "partnership.example.yaml"))
    questions = [e for s in load_help().sections for e in s.examples if reads_as_question(e)]
    assert questions
    unsure = [q for q in questions if not kb.answer(q).sure]
    assert unsure == []


def test_a_misspelt_key_in_a_section_is_refused_naming_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "help.yaml"
    section = "  - title: Guidance\n    text: answers\n    examples: []\n    exampels: [x]\n"
    text = "intro: hi\nclosing: bye\nsections:\n" + section
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_help(path)
    assert (caught.value.line, caught.value.problem) == (4, "unknown key 'exampels' in sections.0")
