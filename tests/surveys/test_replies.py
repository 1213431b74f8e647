"""Short replies and messages that read as questions, from surveys/wordlists/replies.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from surveys.replies import load_replies, reads_as_question, short_reply


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes", "yes"), ("Yes!", "yes"), ("OK.", "yes"), ("sure", "yes"), ("go on", "yes"),
        ("no", "no"), ("No thanks", "no"), ("not now", "later"), ("Later", "later"),
        ("yes I have", None), ("Agree", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_short_reply(text: str | None, kind: str | None) -> None:
    assert short_reply(text) == kind


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("what does LADO stand for", True), ("How do I refer?", True), ("is it neglect", True),
        ("the MASH?", True), ("kids and famlies", False), ("neglect tool and DASH", False),
        ("Do not know", False), ("whatever", False), ("", False),
    ],
)  # fmt: skip
def test_reads_as_question(text: str, question: bool) -> None:
    assert reads_as_question(text) is question


def test_a_word_listed_as_two_kinds_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text('"yes": [ok]\n"no": [ok]\nlater: [later]\nquestion_starts: [what]\n', encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_replies(path)
    assert caught.value.path == str(path)
    assert "'ok' is both yes and no" in caught.value.problem


def test_yes_unquoted_is_refused_not_read_as_true(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text('"yes": [yes]\n"no": ["no"]\nlater: [later]\nquestion_starts: [what]\n', encoding="utf-8")
    with pytest.raises(ContentError, match="'yes' should be a list of words"):
        load_replies(path)


def test_a_misspelt_kind_is_refused_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(
        '"yes": [ok]\n"no": ["no"]\nlater: [later]\nlatre: [soon]\nquestion_starts: [what]\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_replies(path)
    assert (caught.value.path, caught.value.line, caught.value.problem) == (
        str(path),
        1,
        "unknown key 'latre'",
    )
