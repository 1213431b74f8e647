"""Read topic files (Markdown with a YAML front-matter block) and refuse broken ones.

Every problem is a ContentError naming the file, the line and what is wrong,
so a content editor can fix it without reading code. Local facts come from the
partnership's contacts by placeholder (``{mash_phone}``); an unknown
placeholder is an error here rather than a gap in an answer later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from common.errors import ContentError
from common.schema import At, Schema, Text, context_of, parse
from common.yamlfile import LINE_KEY, line_of, load_yaml_text
from guidance.model import EMERGENCY_TOPIC, GLOSSARY_TOPIC, GlossaryEntry, Link, Topic

CONTENT_DIR = Path(__file__).resolve().parent / "content"
MAX_ANSWER_WORDS = 120
MIN_QUESTIONS = 8
REQUIRED_TOPICS = (EMERGENCY_TOPIC, GLOSSARY_TOPIC)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _File:
    """One content file's text, with helpers to point at the line where something sits."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.lines = path.read_text(encoding="utf-8").splitlines()

    def error(self, line: int | None, problem: str) -> ContentError:
        return ContentError(self.path, line, problem)

    def line_containing(self, needle: str, default: int | None) -> int | None:
        for number, text in enumerate(self.lines, start=1):
            if needle in text:
                return number
        return default

    def key_line(self, key: str, default: int | None = 2) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
        for number, text in enumerate(self.lines, start=1):
            if pattern.match(text):
                return number
        return default

    def field_line(self, loc: tuple[int | str, ...]) -> int | None:
        """The line of a front-matter key, or of an entry of its block list (``  - text``)."""
        line = self.key_line(str(loc[0]), None)
        if line is None or len(loc) < 2 or not isinstance(loc[1], int):
            return line
        entries = 0
        for number in range(line + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if not text.startswith((" ", "-")):
                break
            if text.lstrip().startswith("- "):
                if entries == loc[1]:
                    return number
                entries += 1
        return line


def word_count(text: str) -> int:
    """Words as a reader counts them (Markdown markers and list bullets are not words)."""
    return len(re.findall(r"[A-Za-z0-9{][\w'’{}().,/-]*", text))


def fill(text: str, contacts: Mapping[str, str]) -> str:
    """Replace ``{key}`` placeholders by the partnership's contacts (all checked at load)."""
    return _PLACEHOLDER.sub(lambda m: contacts[m.group(1)], text)


def _check_placeholders(file: _File, text: str, contacts: Mapping[str, str], line: int | None) -> None:
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in contacts:
            known = ", ".join(sorted(contacts)) or "none"
            raise file.error(
                file.line_containing(match.group(0), line),
                f"unknown placeholder {match.group(0)} (partnership contacts: {known})",
            )


def _split_front_matter(file: _File) -> tuple[Any, str, int]:
    """The parsed front matter, the body text and the body's first line number."""
    if not file.lines or file.lines[0].strip() != "---":
        raise file.error(1, "a topic file starts with a '---' line, then its YAML front matter")
    for index in range(1, len(file.lines)):
        if file.lines[index].strip() == "---":
            front = "\n".join(file.lines[1:index])
            body = "\n".join(file.lines[index + 1 :]).strip()
            try:
                data = load_yaml_text(front, file.path)
            except ContentError as exc:
                raise file.error((exc.line or 0) + 1, exc.problem) from exc
            return data, body, index + 2
    raise file.error(1, "front matter is not closed by a '---' line")


def _shift_lines(value: Any) -> Any:
    """Front-matter line numbers are relative to the block; make them file lines."""
    if isinstance(value, dict):
        return {k: (v + 1 if k == LINE_KEY else _shift_lines(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_lines(v) for v in value]
    return value


def _not_a_mapping(value: Any) -> Any:
    if isinstance(value, dict):
        raise ValueError("an entry reads as a mapping: put text containing ': ' in quotes")
    return value


def _some_text(value: str) -> str:
    if not value.strip():
        raise ValueError("should be some text")
    return value.strip()


#: A line of text in a list (a sample question, a keyword): YAML reads ``a: b`` as a mapping.
_Line = Annotated[Text, BeforeValidator(_not_a_mapping), AfterValidator(str.strip)]
#: A field that must say something.
_Filled = Annotated[Text, AfterValidator(_some_text)]


class _Link(Schema):
    label: _Filled
    url: _Filled


class _Term(Schema):
    term: _Filled
    expansion: _Filled
    meaning: _Filled
    aliases: tuple[_Line, ...] | None = None
    topic: _Filled | None = None

    @field_validator("meaning")
    @classmethod
    def _short(cls, meaning: str, info: ValidationInfo) -> str:
        if word_count(meaning) > MAX_ANSWER_WORDS:
            raise ValueError(f"meaning of '{info.data.get('term')}' is over {MAX_ANSWER_WORDS} words")
        return meaning


class _FrontMatter(Schema):
    """A topic file's front matter; the answer is the Markdown after it."""

    id: Annotated[Text, AfterValidator(str.strip)]
    title: Annotated[Text, AfterValidator(str.strip)]
    related: tuple[_Line, ...]
    links: tuple[_Link, ...]
    review: Annotated[date, Field(strict=True)]
    questions: tuple[_Line, ...]
    keywords: tuple[_Line, ...] | None = None
    terms: tuple[_Term, ...] | None = None

    @field_validator("id")
    @classmethod
    def _named_for_its_file(cls, topic_id: str, info: ValidationInfo) -> str:
        if not _ID.match(topic_id):
            raise ValueError(f"id '{topic_id}' should be lower-case words joined by '-'")
        name: str = context_of(info)["file_name"]
        if topic_id != Path(name).stem:
            raise ValueError(f"id '{topic_id}' does not match the file name '{name}'")
        return topic_id

    @field_validator("questions")
    @classmethod
    def _varied(cls, questions: tuple[str, ...]) -> tuple[str, ...]:
        if len(questions) < MIN_QUESTIONS:
            raise ValueError(
                f"{len(questions)} sample questions; at least {MIN_QUESTIONS} varied ones are needed"
            )
        seen: set[str] = set()
        for index, question in enumerate(questions):
            key = " ".join(question.lower().split())
            if not key:
                raise At("a sample question is empty", index)
            if key in seen:
                raise At(f"sample question repeated: '{question}'", index)
            seen.add(key)
        return questions

    @field_validator("terms")
    @classmethod
    def _each_term_once(cls, terms: tuple[_Term, ...] | None) -> tuple[_Term, ...] | None:
        named_by: dict[str, str] = {}
        for index, entry in enumerate(terms or ()):
            for name in (entry.term, *(entry.aliases or ())):
                if name.lower() in named_by:
                    also = named_by[name.lower()]
                    raise At(f"glossary term '{name}' appears twice (also in the entry for '{also}')", index)
                named_by[name.lower()] = entry.term
        return terms

    @model_validator(mode="after")
    def _terms_in_the_glossary(self) -> Self:
        if self.terms and self.id != GLOSSARY_TOPIC:
            raise At("only the glossary topic has 'terms'", "terms")
        return self


def load_topic(path: Path, contacts: Mapping[str, str]) -> Topic:
    """One topic file, checked on its own (links to other topics are checked by load_topics)."""
    file = _File(path)
    raw, body, body_line = _split_front_matter(file)
    if not isinstance(raw, dict):
        raise file.error(2, "the front matter should be a mapping of fields")
    raw = _shift_lines(raw)
    front = parse(_FrontMatter, raw, file.path, {"file_name": path.name}, locate=file.field_line)
    if not body:
        raise file.error(body_line, "the answer (the text after the front matter) is empty")
    words = word_count(body)
    if words > MAX_ANSWER_WORDS:
        raise file.error(body_line, f"the answer has {words} words; keep it to {MAX_ANSWER_WORDS} at most")
    _check_placeholders(file, body, contacts, body_line)
    for link, line in zip(front.links, _entry_lines(raw, "links"), strict=True):
        _check_placeholders(file, link.label + " " + link.url, contacts, line)
    for term, line in zip(front.terms or (), _entry_lines(raw, "terms"), strict=True):
        _check_placeholders(file, term.meaning, contacts, line)
    return Topic(
        id=front.id,
        title=front.title,
        answer=fill(body, contacts),
        links=tuple(Link(fill(link.label, contacts), fill(link.url, contacts)) for link in front.links),
        related=front.related,
        questions=front.questions,
        review=front.review,
        source=file.path,
        keywords=front.keywords or (),
        terms=tuple(
            GlossaryEntry(t.term, t.expansion, fill(t.meaning, contacts), t.aliases or (), t.topic)
            for t in front.terms or ()
        ),
    )


def _entry_lines(raw: Mapping[str, Any], key: str) -> list[int | None]:
    """The line of each entry of a front-matter list (to point at a placeholder in it)."""
    return [line_of(entry) for entry in raw.get(key) or ()]


def load_topics(content_dir: Path, contacts: Mapping[str, str]) -> tuple[Topic, ...]:
    """Every ``*.md`` topic under ``content_dir``, checked one by one and against each other."""
    paths = sorted(content_dir.glob("*.md"))
    if not paths:
        raise ContentError(str(content_dir), None, "no topic files (*.md) found")
    topics = [load_topic(path, contacts) for path in paths]
    _check_together(topics)
    return tuple(topics)


def _check_together(topics: Iterable[Topic]) -> None:
    by_id: dict[str, Topic] = {}
    asked: dict[str, Topic] = {}
    for topic in topics:
        file = _File(Path(topic.source))
        if topic.id in by_id:
            other = by_id[topic.id].source
            raise file.error(file.key_line("id"), f"duplicate id '{topic.id}' (also in {other})")
        by_id[topic.id] = topic
        for question in topic.questions:
            key = " ".join(question.lower().split())
            owner = asked.get(key)
            if owner is not None and owner.id != topic.id:
                raise file.error(
                    file.line_containing(question, None),
                    f"sample question '{question}' is also a sample of '{owner.id}'",
                )
            asked[key] = topic
    for topic in by_id.values():
        file = _File(Path(topic.source))
        for related in topic.related:
            if related not in by_id:
                raise file.error(file.key_line("related"), f"related topic '{related}' does not exist")
            if related == topic.id:
                raise file.error(file.key_line("related"), "a topic cannot be related to itself")
        for entry in topic.terms:
            if entry.topic is not None and entry.topic not in by_id:
                raise file.error(
                    file.line_containing(f"term: {entry.term},", None),
                    f"glossary term '{entry.term}' points to topic '{entry.topic}', which does not exist",
                )
    for required in REQUIRED_TOPICS:
        if required not in by_id:
            first = next(iter(by_id.values()))
            raise ContentError(str(Path(first.source).parent), None, f"the '{required}' topic is missing")
