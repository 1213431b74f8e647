"""Broken content fails at load with the file, the line and the problem (tmp copies, never the real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from common.partnership import Partnership
from guidance.knowledge import load_knowledge_base
from guidance.loader import load_topics


def sample_questions(topic_id: str, count: int = 8) -> list[str]:
    return [f"  - sample question number {n} about {topic_id}" for n in range(1, count + 1)]


def topic_text(
    topic_id: str,
    *,
    related: str = "[]",
    body: str = "Call {mash_phone} first.",
    extra: str = "",
    questions: list[str] | None = None,
) -> str:
    lines = [
        "---",
        f"id: {topic_id}",
        f"title: Title of {topic_id}",
        f"related: {related}",
        "links:",
        '  - {label: Procedures, url: "{procedures_url}"}',
        "review: 2027-09-30",
        "questions:",
        *(sample_questions(topic_id) if questions is None else questions),
    ]
    if extra:
        lines.append(extra)
    return "\n".join([*lines, "---", body, ""])


GLOSSARY_TERMS = (
    "terms:\n"
    "  - {term: MASH, expansion: Multi-Agency Safeguarding Hub, topic: child-concern,\n"
    '     meaning: "Ring {mash_phone}."}\n'
    "  - {term: LADO, expansion: Local Authority Designated Officer, meaning: Allegations about staff.}"
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A small valid content folder: the two topics the code needs and one more."""
    (tmp_path / "immediate-danger.md").write_text(topic_text("immediate-danger", related="[child-concern]"))
    (tmp_path / "child-concern.md").write_text(topic_text("child-concern", related="[immediate-danger]"))
    (tmp_path / "glossary.md").write_text(topic_text("glossary", extra=GLOSSARY_TERMS))
    return tmp_path


def broken(content: Path, partnership: Partnership) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_topics(content, partnership.contacts)
    return caught.value


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text)


def test_the_small_folder_loads_and_fills_in_contacts(content: Path, partnership: Partnership) -> None:
    topics = {t.id: t for t in load_topics(content, partnership.contacts)}
    assert topics["child-concern"].answer == f"Call {partnership.contacts['mash_phone']} first."
    assert topics["child-concern"].links[0].url == partnership.contacts["procedures_url"]
    assert [e.term for e in topics["glossary"].terms] == ["MASH", "LADO"]


def test_unknown_placeholder_names_file_and_line(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern", body="Intro line.\n\nRing {mash_phone_typo} now."))
    error = broken(content, partnership)
    assert error.path == str(path)
    assert error.line == line_of(path, "{mash_phone_typo}")
    assert "unknown placeholder {mash_phone_typo}" in error.problem


def test_unknown_placeholder_in_a_glossary_meaning(content: Path, partnership: Partnership) -> None:
    path = content / "glossary.md"
    path.write_text(topic_text("glossary", extra=GLOSSARY_TERMS.replace("{mash_phone}", "{nowhere}")))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "{nowhere}"))


def test_missing_field(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern").replace("review: 2027-09-30\n", ""))
    error = broken(content, partnership)
    assert error.path == str(path)
    assert error.problem == "missing 'review'"


def test_broken_related_topic_link(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern", related="[immediate-danger, no-such-topic]"))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), 4)
    assert "related topic 'no-such-topic' does not exist" in error.problem


def test_answer_over_length(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern", body="word " * 121))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "word word"))
    assert "121 words" in error.problem


def test_duplicate_ids(content: Path, partnership: Partnership) -> None:
    (content / "copy.md").write_text(topic_text("child-concern"))
    error = broken(content, partnership)
    # Either file may be read first; both name the problem and the id's line.
    assert error.line == 2
    assert "child-concern" in error.problem


def test_too_few_sample_questions(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern", questions=sample_questions("child-concern", 7)))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "questions:"))
    assert "7 sample questions; at least 8" in error.problem


def test_repeated_sample_question(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(
        topic_text(
            "child-concern",
            questions=[*sample_questions("child-concern"), sample_questions("child-concern")[0]],
        )
    )
    error = broken(content, partnership)
    assert error.path == str(path)
    assert "repeated" in error.problem


def test_same_sample_question_in_two_topics(content: Path, partnership: Partnership) -> None:
    shared = "  - who do I ring about this worry"
    (content / "child-concern.md").write_text(
        topic_text(
            "child-concern",
            related="[immediate-danger]",
            questions=[*sample_questions("child-concern"), shared],
        )
    )
    (content / "immediate-danger.md").write_text(
        topic_text("immediate-danger", questions=[*sample_questions("immediate-danger"), shared])
    )
    error = broken(content, partnership)
    assert "also a sample of" in error.problem


def test_yaml_syntax_error_points_at_the_file_line(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(
        topic_text("child-concern").replace("title: Title of child-concern", "title: Bad: colon here")
    )
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), 3)
    assert "not valid YAML" in error.problem


def test_unquoted_colon_in_a_sample_question(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(
        topic_text(
            "child-concern", questions=[*sample_questions("child-concern"), "  - midwife: what do I do"]
        )
    )
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "midwife: what"))
    assert "put text containing ': ' in quotes" in error.problem


def test_unknown_field_is_a_typo_not_ignored(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern", extra="realted: [glossary]"))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "realted"))


def test_id_must_match_file_name(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concerns"))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), 2)


def test_glossary_term_pointing_at_a_missing_topic(content: Path, partnership: Partnership) -> None:
    path = content / "glossary.md"
    path.write_text(
        topic_text("glossary", extra=GLOSSARY_TERMS.replace("topic: child-concern", "topic: nope"))
    )
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "term: MASH"))


def test_glossary_term_twice(content: Path, partnership: Partnership) -> None:
    path = content / "glossary.md"
    path.write_text(topic_text("glossary", extra=GLOSSARY_TERMS.replace("term: LADO", "term: mash")))
    error = broken(content, partnership)
    assert (error.path, error.line) == (str(path), line_of(path, "term: mash"))


def test_required_topic_missing(content: Path, partnership: Partnership) -> None:
    (content / "immediate-danger.md").unlink()
    (content / "child-concern.md").write_text(topic_text("child-concern"))
    error = broken(content, partnership)
    assert "'immediate-danger' topic is missing" in error.problem


def test_a_new_topic_needs_no_code(content: Path, partnership: Partnership) -> None:
    (content / "private-fostering.md").write_text(
        topic_text(
            "private-fostering",
            body="Tell children's social care about a private fostering arrangement: {mash_phone}.",
            questions=[f"  - child living with a family friend for months, case {n}" for n in range(8)],
        )
    )
    kb = load_knowledge_base(partnership, content)
    answer = kb.answer("child has been living with a family friend for months, what do I do")
    assert answer.topic == "private-fostering"


def test_a_broken_language_file_fails_at_load_with_its_name(tmp_path: Path, partnership: Partnership) -> None:
    source = Path(__file__).resolve().parents[2] / "guidance" / "data" / "language.yaml"
    broken_file = tmp_path / "language.yaml"
    broken_file.write_text(
        source.read_text(encoding="utf-8").replace("groups:", "groupz:", 1), encoding="utf-8"
    )
    with pytest.raises(ContentError) as caught:
        load_knowledge_base(partnership, language_file=broken_file)
    assert caught.value.path == str(broken_file)
    assert caught.value.problem == "missing 'groups'"


def test_a_broken_not_guidance_file_names_file_and_line(tmp_path: Path) -> None:
    from guidance.retrieval import load_examples

    path = tmp_path / "not-guidance.yaml"
    path.write_text("examples:\n  - how do I book leave\n  - {}\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_examples(path)
    assert caught.value.path == str(path)
    assert "must be a text" in caught.value.problem
    path.write_text("questions: []\n", encoding="utf-8")
    with pytest.raises(ContentError, match="examples"):
        load_examples(path)


def test_a_contact_the_support_texts_use_must_be_set(partnership: Partnership) -> None:
    from dataclasses import replace

    contacts = {k: v for k, v in partnership.contacts.items() if k != "domestic_abuse_helpline"}
    with pytest.raises(ContentError) as caught:
        load_knowledge_base(replace(partnership, contacts=contacts))
    assert "domestic_abuse_helpline" in caught.value.problem


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("  clear_margin: 0.25\n", ""), "missing 'clear_margin' in retrieval"),
        (
            ("  nearest_count: 3\n", "  nearest_count: three\n"),
            "should be a whole number (at retrieval.nearest_count)",
        ),
        (("messages:\n", "messages:\n  no_sure: typo\n"), "unknown key 'no_sure' in messages"),
    ],
)
def test_a_language_file_schema_error_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    from guidance.language import LANGUAGE_FILE, load_language

    source = LANGUAGE_FILE.read_text(encoding="utf-8")
    assert change[0] in source
    broken = tmp_path / "language.yaml"
    broken.write_text(source.replace(*change, 1), encoding="utf-8")
    section = change[0].strip().split(":")[0] if change[0].startswith("messages") else "retrieval"
    line = next(
        n for n, text in enumerate(broken.read_text().splitlines(), 1) if text.startswith(f"{section}:")
    )
    with pytest.raises(ContentError) as caught:
        load_language(broken)
    assert str(caught.value) == f"{broken}:{line + 1}: {where}"


def test_a_misspelt_key_in_a_link_is_refused_at_its_line(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(
        topic_text("child-concern").replace('url: "{procedures_url}"', 'url: "{procedures_url}", lable: x')
    )
    error = broken(content, partnership)
    assert (error.path, error.line, error.problem) == (str(path), 6, "unknown key 'lable' in links.0")


def test_a_repeated_sample_question_points_at_the_repeat(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    questions = sample_questions("child-concern")
    path.write_text(topic_text("child-concern", questions=[*questions, questions[2]]))
    error = broken(content, partnership)
    repeated = "sample question number 3 about child-concern"
    assert (error.path, error.line) == (str(path), len(path.read_text().splitlines()) - 2)
    assert error.problem == f"sample question repeated: '{repeated}' (at questions.8)"


def test_a_review_date_written_as_text_names_the_field(content: Path, partnership: Partnership) -> None:
    path = content / "child-concern.md"
    path.write_text(topic_text("child-concern").replace("review: 2027-09-30", "review: next September"))
    error = broken(content, partnership)
    expected = (str(path), line_of(path, "review:"), "should be a date like 2027-09-30 (at review)")
    assert (error.path, error.line, error.problem) == expected
