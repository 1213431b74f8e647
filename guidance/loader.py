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
from typing import Any

from common.errors import ContentError
from common.yamlfile import LINE_KEY, line_of, load_yaml_text
from guidance.model import EMERGENCY_TOPIC, GLOSSARY_TOPIC, GlossaryEntry, Link, Topic

CONTENT_DIR = Path(__file__).resolve().parent / "content"
MAX_ANSWER_WORDS = 120
MIN_QUESTIONS = 8
REQUIRED_TOPICS = (EMERGENCY_TOPIC, GLOSSARY_TOPIC)

_FIELDS = {"id", "title", "related", "links", "review", "questions", "keywords", "terms"}
_REQUIRED = ("id", "title", "related", "links", "review", "questions")
_TERM_FIELDS = {"term", "expansion", "meaning", "aliases", "topic"}
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


def _strings(file: _File, data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise file.error(file.key_line(key), f"'{key}' should be a list of texts")
    for item in value:
        if isinstance(item, dict):
            raise file.error(
                line_of(item), f"an entry of '{key}' reads as a mapping: put text containing ': ' in quotes"
            )
        if not isinstance(item, str | int | float):
            raise file.error(file.key_line(key), f"'{key}' should be a list of texts")
    return tuple(str(v).strip() for v in value)


def _links(file: _File, data: dict[str, Any], contacts: Mapping[str, str]) -> tuple[Link, ...]:
    rows = data.get("links") or []
    if not isinstance(rows, list):
        raise file.error(file.key_line("links"), "'links' should be a list of {label, url}")
    links = []
    for row in rows:
        line = line_of(row) or file.key_line("links")
        if not isinstance(row, dict) or not row.get("label") or not row.get("url"):
            raise file.error(line, "each link needs a label and a url")
        label, url = str(row["label"]), str(row["url"])
        _check_placeholders(file, label + " " + url, contacts, line)
        links.append(Link(fill(label, contacts), fill(url, contacts)))
    return tuple(links)


def _terms(file: _File, data: dict[str, Any], contacts: Mapping[str, str]) -> tuple[GlossaryEntry, ...]:
    rows = data.get("terms") or []
    if not isinstance(rows, list):
        raise file.error(file.key_line("terms"), "'terms' should be a list of glossary entries")
    entries: list[GlossaryEntry] = []
    seen: dict[str, int | None] = {}
    for row in rows:
        line = line_of(row) or file.key_line("terms")
        if not isinstance(row, dict):
            raise file.error(line, "a glossary entry should be a mapping with term, expansion and meaning")
        unknown = sorted(set(row) - _TERM_FIELDS - {LINE_KEY})
        if unknown:
            raise file.error(line, f"unknown field '{unknown[0]}' in glossary entry")
        for key in ("term", "expansion", "meaning"):
            if not str(row.get(key) or "").strip():
                raise file.error(line, f"glossary entry is missing '{key}'")
        term = str(row["term"]).strip()
        aliases = tuple(str(a).strip() for a in row.get("aliases") or [])
        for name in (term, *aliases):
            if name.lower() in seen:
                first = seen[name.lower()]
                raise file.error(line, f"glossary term '{name}' appears twice (also line {first})")
            seen[name.lower()] = line
        meaning = str(row["meaning"]).strip()
        if word_count(meaning) > MAX_ANSWER_WORDS:
            raise file.error(line, f"meaning of '{term}' is over {MAX_ANSWER_WORDS} words")
        _check_placeholders(file, meaning, contacts, line)
        topic = row.get("topic")
        entries.append(
            GlossaryEntry(
                term,
                str(row["expansion"]).strip(),
                fill(meaning, contacts),
                aliases,
                str(topic) if topic else None,
            )
        )
    return tuple(entries)


def load_topic(path: Path, contacts: Mapping[str, str]) -> Topic:
    """One topic file, checked on its own (links to other topics are checked by load_topics)."""
    file = _File(path)
    raw, body, body_line = _split_front_matter(file)
    if not isinstance(raw, dict):
        raise file.error(2, "the front matter should be a mapping of fields")
    data = _shift_lines(raw)
    unknown = sorted(set(data) - _FIELDS - {LINE_KEY})
    if unknown:
        raise file.error(file.key_line(unknown[0]), f"unknown field '{unknown[0]}'")
    for key in _REQUIRED:
        if key not in data or data[key] in (None, ""):
            raise file.error(file.key_line(key, 1), f"missing '{key}'")
    topic_id = str(data["id"]).strip()
    if not _ID.match(topic_id):
        raise file.error(file.key_line("id"), f"id '{topic_id}' should be lower-case words joined by '-'")
    if topic_id != path.stem:
        raise file.error(file.key_line("id"), f"id '{topic_id}' does not match the file name '{path.name}'")
    review = data["review"]
    if not isinstance(review, date):
        raise file.error(file.key_line("review"), "'review' should be a date like 2027-09-30")
    if not body:
        raise file.error(body_line, "the answer (the text after the front matter) is empty")
    words = word_count(body)
    if words > MAX_ANSWER_WORDS:
        raise file.error(body_line, f"the answer has {words} words; keep it to {MAX_ANSWER_WORDS} at most")
    _check_placeholders(file, body, contacts, body_line)
    questions = _strings(file, data, "questions")
    if len(questions) < MIN_QUESTIONS:
        raise file.error(
            file.key_line("questions"),
            f"{len(questions)} sample questions; at least {MIN_QUESTIONS} varied ones are needed",
        )
    seen: set[str] = set()
    for question in questions:
        key = " ".join(question.lower().split())
        if not key:
            raise file.error(file.key_line("questions"), "a sample question is empty")
        if key in seen:
            raise file.error(file.line_containing(question, None), f"sample question repeated: '{question}'")
        seen.add(key)
    terms = _terms(file, data, contacts)
    if terms and topic_id != GLOSSARY_TOPIC:
        raise file.error(file.key_line("terms"), "only the glossary topic has 'terms'")
    return Topic(
        id=topic_id,
        title=str(data["title"]).strip(),
        answer=fill(body, contacts),
        links=_links(file, data, contacts),
        related=_strings(file, data, "related"),
        questions=questions,
        review=review,
        source=file.path,
        keywords=_strings(file, data, "keywords"),
        terms=terms,
    )


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
            other = asked.get(key)
            if other is not None and other.id != topic.id:
                raise file.error(
                    file.line_containing(question, None),
                    f"sample question '{question}' is also a sample of '{other.id}'",
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
