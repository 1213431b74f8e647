"""Declared schemas for the files people edit, with errors that name file and line.

Every content file (questionnaires, guidance data, codebooks, measures,
standards, the partnership file, word lists) is read with
:func:`common.yamlfile.load_yaml`, which keeps the line of each mapping, and
checked against a pydantic model declared beside its loader. :func:`parse`
turns the first problem pydantic finds into the product's
:class:`~common.errors.ContentError`: the file, the line of the deepest mapping
on the way to the bad value, the problem in plain words and the field's path,
so an editor who never reads Python can find and fix it. Checks that need
other files (an item of the questionnaire, an agency of the partnership) are
validators that read them from the validation ``context``, so they report the
same way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from common.errors import ContentError
from common.yamlfile import line_of, strip_lines

M = TypeVar("M", bound=BaseModel)

#: Pydantic's error types, in the words an editor of a YAML file would use.
_PLAIN = {
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "string_type": "should be some text",
    "list_type": "should be a list",
    "tuple_type": "should be a list",
    "dict_type": "should be a mapping",
    "model_type": "should be a mapping",
    "model_attributes_type": "should be a mapping",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "date_type": "should be a date like 2027-09-30",
}


class Schema(BaseModel):
    """Base of every content schema: unknown keys are mistakes, and a checked file does not change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class At(ValueError):
    """A problem with one entry of a list or mapping (say, the second of two equal ids): raised in
    a validator of the whole list, it is reported at that entry's line."""

    def __init__(self, problem: str, *keys: int | str) -> None:
        super().__init__(problem)
        self.keys = keys


def unique(values: Sequence[Hashable], what: str) -> None:
    """Raise :class:`At` the second entry of a value already listed, as "duplicate <what> '<value>'"."""
    seen: set[Hashable] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise At(f"duplicate {what} '{value}'", index)
        seen.add(value)


def ids_once(field: str, what: str) -> Any:
    """A validator for a model's ``field``, a list of entries with an ``id``: each id listed once
    (:func:`unique`). Assign it in the model's body: ``_ids_once = ids_once("items", "item id")``."""

    def check(cls: type, entries: Sequence[Any]) -> Sequence[Any]:
        unique([entry.id for entry in entries], what)
        return entries

    return field_validator(field)(classmethod(check))


def _scalar_text(value: Any) -> Any:
    """Numbers read as text where text is meant (a phone extension, a code like 101)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


#: Text where YAML may have read a number: ``101`` or ``0.5`` are kept as the words "101", "0.5".
Text = Annotated[str, BeforeValidator(_scalar_text)]


def line_at(raw: Any, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest mapping on the way to ``loc`` in the raw (line-keeping) YAML."""
    line = line_of(raw)
    node = raw
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        line = line_of(node) or line
    return line


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def loc_of(error: ErrorDetails) -> tuple[int | str, ...]:
    cause = error.get("ctx", {}).get("error")
    return (*error["loc"], *cause.keys) if isinstance(cause, At) else tuple(error["loc"])


def problem_of(error: ErrorDetails) -> str:
    """One pydantic error in plain words, without where: for a schema that names the entry itself."""
    loc = loc_of(error)
    kind = error["type"]
    if kind in {"missing", "extra_forbidden"} and loc:
        return f"{'missing' if kind == 'missing' else 'unknown key'} '{loc[-1]}'"
    if kind in {"value_error", "assertion_error"}:
        return str(error.get("ctx", {}).get("error", error["msg"]))
    problem = _PLAIN.get(kind) or error["msg"].removeprefix("Input ")
    return problem[:1].lower() + problem[1:]


def describe(error: ErrorDetails) -> str:
    """One pydantic error as "problem (at field.path)"; a missing or unknown key is named as such."""
    loc = loc_of(error)
    if error["type"] in {"missing", "extra_forbidden"} and loc:
        return problem_of(error) + (f" in {_dotted(loc[:-1])}" if loc[:-1] else "")
    return f"{problem_of(error)} (at {_dotted(loc)})" if loc else problem_of(error)


def parse(
    model: type[M],
    raw: Any,
    path: str,
    context: Mapping[str, Any] | None = None,
    locate: Callable[[tuple[int | str, ...]], int | None] | None = None,
) -> M:
    """Validate raw YAML data (with ``__line__`` keys) against ``model``; ContentError on the first problem.

    ``context`` carries what cross-file checks need (the questionnaire, the agencies). ``locate``
    gives the line of a field that sits in no mapping of its own (a top-level key, an entry of a
    list of texts), where the file can tell (a Markdown file's front matter): a problem there then
    points at it rather than at the top of the mapping.
    """
    if not isinstance(raw, dict):
        raise ContentError(path, 1, "expected a mapping at the top level")
    try:
        return model.model_validate(strip_lines(raw), context=dict(context or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = loc_of(first)
        line = line_at(raw, loc)
        if locate is not None and loc and line == line_of(raw):
            line = locate(loc) or line
        raise ContentError(path, line, describe(first)) from exc


def context_of(info: ValidationInfo) -> Mapping[str, Any]:
    """What ``parse`` was given for cross-file checks (always a mapping when validated through it)."""
    context = info.context
    if not isinstance(context, Mapping):
        raise TypeError("validated without parse(): no context for the cross-file checks")
    return context
