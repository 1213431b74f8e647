"""Questionnaire definitions: YAML in, checked frozen dataclasses out.

A definition that cannot work (a condition on an item that does not exist, a
choice set nobody defined, two items with one id) is refused when it loads, with
the file, the line and the item, so a board officer editing the YAML can fix it
before anyone is asked a broken question. The file's shape is declared by the
pydantic models below; the checks that need more than one entry (choice sets,
earlier items, the partnership's agencies) run on the whole file once its
entries are read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from common.errors import ContentError
from common.partnership import Partnership
from common.schema import At, Schema, Text, context_of, ids_once, loc_of, parse, problem_of
from common.yamlfile import line_of, load_yaml_text
from surveys.audience import EVERYONE, OFFERED_TO
from surveys.model import CHOICE_TYPES, Choice, Condition, Definition, Item, ItemType, Scale

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

#: The choice set filled from the partnership file: value = agency code, label = name.
AGENCIES = "agencies"

_ITEM_TYPES = ("single", "likert", "multi", "rating", "text")
_OPERATORS = {"in": False, "not_in": True, "equals": False, "not_equals": True}
_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFINITION_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def _words(value: str) -> str:
    """Text shown to people, on one line however the YAML folded it."""
    words = " ".join(value.split())
    if not words:
        raise ValueError("should be some text")
    return words


#: Text shown to people: not empty, runs of spaces and line breaks as one space.
Words = Annotated[str, AfterValidator(_words)]


def _quoted_label(value: Any) -> Any:
    """YAML reads a bare Yes/No as a boolean (and an empty entry as null): the label must be quoted."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"a choice label should be quoted text, got {value!r}")
    return value


def _stripped(value: str) -> str:
    if not value.strip():
        raise ValueError("a choice has an empty label")
    return value.strip()


Label = Annotated[Text, BeforeValidator(_quoted_label), AfterValidator(_stripped)]


class _Choice(Schema):
    label: Label
    synonyms: tuple[Text, ...] | None = None
    exclusive: StrictBool = False

    @model_validator(mode="before")
    @classmethod
    def _bare_label(cls, data: Any) -> Any:
        """A choice written as its label alone."""
        return data if isinstance(data, dict) else {"label": _quoted_label(data)}

    def choice(self) -> Choice:
        synonyms = tuple(word.strip() for word in self.synonyms or () if word.strip())
        return Choice(label=self.label, value=self.label, synonyms=synonyms, exclusive=self.exclusive)


_Choices = Annotated[tuple[_Choice, ...], Field(min_length=1)]
_ChoiceSets = dict[str, _Choices]
_CHOICE_LIST: TypeAdapter[tuple[_Choice, ...]] = TypeAdapter(_Choices)


def _non_empty(values: Any) -> Any:
    if not values:
        raise ValueError("the condition lists no values")
    return values


def _condition_value(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"quote the condition value (YAML reads a bare Yes/No as {value})")
    return value


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


_Values = Annotated[
    tuple[Annotated[Text, BeforeValidator(_condition_value)], ...],
    BeforeValidator(_listed),
    AfterValidator(_non_empty),
]


class _When(Schema):
    item: str
    in_: _Values | None = Field(default=None, alias="in")
    not_in: _Values | None = None
    equals: _Values | None = None
    not_equals: _Values | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_operator(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("item" not in data or sum(op in data for op in _OPERATORS) != 1):
            raise ValueError("'when' needs 'item' and exactly one of in, not_in, equals, not_equals")
        return data

    def condition(self) -> Condition:
        given = {"in": self.in_, "not_in": self.not_in, "equals": self.equals, "not_equals": self.not_equals}
        operator, values = next((name, values) for name, values in given.items() if values is not None)
        return Condition(item=self.item, values=values, negate=_OPERATORS[operator])


class _Scale(Schema):
    min: Annotated[int, Field(strict=True)]
    max: Annotated[int, Field(strict=True)]
    min_label: Text | None = None
    max_label: Text | None = None

    @model_validator(mode="after")
    def _in_range(self) -> Self:
        if not 0 <= self.min < self.max <= 10:
            raise ValueError(f"bad scale {self.min}..{self.max} (need 0 <= min < max <= 10)")
        return self

    def scale(self) -> Scale:
        return Scale(self.min, self.max, self.min_label or "", self.max_label or "")


def _codebook_name(value: str) -> str:
    if not value.strip():
        raise ValueError("'codebook' should name a codebook")
    return value.strip()


def _item_id(value: Any) -> Any:
    if not isinstance(value, str) or not _ITEM_ID.match(value):
        raise ValueError(f"item id {value!r} should be lower_case_with_underscores")
    return value


def _item_type(value: Any) -> Any:
    if value not in _ITEM_TYPES:
        raise ValueError(f"unknown type {value!r} (use one of {', '.join(sorted(_ITEM_TYPES))})")
    return value


class _Item(Schema):
    id: Annotated[str, BeforeValidator(_item_id)]
    section: Words | None = None
    type: Annotated[ItemType, BeforeValidator(_item_type)]
    text: Words
    required: StrictBool = True
    choices: str | tuple[_Choice, ...] | None = None
    when: _When | None = None
    scale: _Scale | None = None
    max_answers: Annotated[int, Field(strict=True, ge=1, le=10)] = 1
    codebook: Annotated[str, AfterValidator(_codebook_name)] | None = None

    @field_validator("choices", mode="plain")
    @classmethod
    def _set_or_list(cls, value: Any) -> str | tuple[_Choice, ...] | None:
        """The name of a choice set, or the choices themselves."""
        return value if value is None or isinstance(value, str) else _CHOICE_LIST.validate_python(value)

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        kind = self.type
        if kind in CHOICE_TYPES and self.choices is None:
            raise ValueError(f"a {kind} item needs 'choices'")
        if kind not in CHOICE_TYPES and self.choices is not None:
            raise ValueError(f"a {kind} item has no choices")
        if kind == "rating" and self.scale is None:
            raise ValueError("a rating item needs a scale like {min: 1, max: 5}")
        if kind != "rating" and self.scale is not None:
            raise ValueError("only a rating item has a scale")
        if self.max_answers > 1 and kind != "text":
            raise ValueError("only a text item can take several answers")
        if self.codebook is not None and kind != "text":
            raise ValueError("'codebook' names a codebook, and only for a text item")
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _named(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Every problem inside an item says which item, as well as where (declared last, so that it
        wraps the checks above)."""
        if not isinstance(data, dict):
            raise ValueError("each item should be a mapping with id, type and text")
        try:
            return handler(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            problem = problem_of(first)
            item_id = data.get("id")
            named = f"item '{item_id}': {problem}" if _ITEM_ID.match(str(item_id)) else problem
            raise At(named, *loc_of(first)) from None


def _check_choices(choices: Sequence[Choice], kind: str) -> None:
    """A choice item's choices, once resolved: at least two, each word meaning one choice."""
    if len(choices) < 2:
        raise ValueError("needs at least two choices")
    owner: dict[str, str] = {}
    for choice in choices:
        for word in (choice.label, *choice.synonyms):
            key = " ".join(word.casefold().split())
            if owner.setdefault(key, choice.value) != choice.value:
                raise ValueError(f"'{word}' would mean both '{owner[key]}' and '{choice.label}'")
        if choice.exclusive and kind != "multi":
            raise ValueError("only a multi item can have an exclusive choice")
    if len({c.value for c in choices}) != len(choices):
        raise ValueError("two choices have the same label")


def _check_condition(when: _When, earlier: Mapping[str, Item]) -> Condition:
    """A condition refers to an earlier choice item, by values among its choices."""
    source = earlier.get(when.item)
    if source is None:
        raise ValueError(
            f"condition on item '{when.item}', which is not an earlier item "
            "(conditions may only refer to items asked before)"
        )
    if source.type not in CHOICE_TYPES:
        raise ValueError(f"condition on '{when.item}', which is not a choice item")
    condition = when.condition()
    allowed = {c.value for c in source.choices}
    for value in condition.values:
        if value not in allowed:
            raise ValueError(
                f"condition value {value!r} is not a choice of '{when.item}' ({', '.join(sorted(allowed))})"
            )
    return condition


class _DefinitionFile(Schema):
    id: Words
    version: int
    title: Words
    anonymous: StrictBool = True
    audience: Words | None = None
    offered_to: str = EVERYONE
    intro: Words
    free_text_reminder: Words
    done_message: Words
    choice_sets: _ChoiceSets | None = None
    items: Annotated[tuple[_Item, ...], Field(min_length=1)]
    _items: tuple[Item, ...] = PrivateAttr(())

    @field_validator("id")
    @classmethod
    def _hyphenated(cls, value: str) -> str:
        if not _DEFINITION_ID.match(value):
            raise ValueError(f"questionnaire id {value!r} should be lower-case-with-hyphens")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _from_one(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("'version' should be a whole number from 1")
        return value

    _ids_once = ids_once("items", "item id")

    @field_validator("offered_to")
    @classmethod
    def _known_audience(cls, value: str) -> str:
        if value not in OFFERED_TO:
            raise ValueError(f"'offered_to' should be one of: {', '.join(OFFERED_TO)}")
        return value

    @field_validator("choice_sets")
    @classmethod
    def _not_agencies(cls, sets: _ChoiceSets | None) -> _ChoiceSets | None:
        if AGENCIES in (sets or {}):
            raise ValueError("choice set 'agencies' comes from the partnership file")
        return sets

    @model_validator(mode="after")
    def _items_fit_together(self, info: ValidationInfo) -> Self:
        """Choice sets resolved, conditions on earlier items, one id per item, the agency item there."""
        partnership: Partnership = context_of(info)["partnership"]
        agencies = _agency_choices(partnership)
        sets = {
            name: tuple(c.choice() for c in choices) for name, choices in (self.choice_sets or {}).items()
        }
        sets[AGENCIES] = agencies
        items: dict[str, Item] = {}
        for index, raw in enumerate(self.items):
            what = f"item '{raw.id}'"
            try:
                choices = _resolve(raw, sets)
            except ValueError as exc:
                raise At(f"{what}: {exc}", "items", index) from None
            try:
                when = None if raw.when is None else _check_condition(raw.when, items)
            except ValueError as exc:
                raise At(f"{what}: {exc}", "items", index, "when") from None
            items[raw.id] = _item(raw, choices, when)
        agency = items.get("agency")
        if agency is None or agency.choices != agencies or not agency.required:
            raise ValueError(
                "needs a required item 'agency' with 'choices: agencies' (responses are kept by agency)"
            )
        self._items = tuple(items.values())
        return self

    def definition(self, source: str, lines: Sequence[int | None]) -> Definition:
        return Definition(
            id=self.id,
            version=self.version,
            title=self.title,
            anonymous=self.anonymous,
            intro=self.intro,
            free_text_reminder=self.free_text_reminder,
            done_message=self.done_message,
            items=tuple(replace(item, line=line) for item, line in zip(self._items, lines, strict=True)),
            source=source,
            audience=self.audience or "",
            offered_to=self.offered_to,
        )


def _agency_choices(partnership: Partnership) -> tuple[Choice, ...]:
    return tuple(
        Choice(label=agency.name, value=agency.code, synonyms=(agency.code,))
        for agency in partnership.agencies
    )


def _resolve(item: _Item, sets: Mapping[str, tuple[Choice, ...]]) -> tuple[Choice, ...]:
    """An item's choices: its own, or the choice set it names; checked either way."""
    if item.choices is None:
        return ()
    if isinstance(item.choices, str):
        if item.choices not in sets:
            raise ValueError(f"unknown choice set '{item.choices}' (known: {', '.join(sorted(sets))})")
        choices = sets[item.choices]
    else:
        choices = tuple(c.choice() for c in item.choices)
    _check_choices(choices, item.type)
    return choices


def _item(raw: _Item, choices: tuple[Choice, ...], when: Condition | None) -> Item:
    return Item(
        id=raw.id,
        section=raw.section or "",
        type=raw.type,
        text=raw.text,
        required=raw.required,
        choices=choices,
        when=when,
        scale=None if raw.scale is None else raw.scale.scale(),
        max_answers=raw.max_answers,
        codebook=raw.codebook,
    )


def parse_definition(text: str, where: str, partnership: Partnership) -> Definition:
    """Parse and check a definition from YAML text; ``where`` names it in errors."""
    raw = load_yaml_text(text, where)
    checked = parse(_DefinitionFile, raw, where, {"partnership": partnership})
    return checked.definition(where, [line_of(item) for item in raw["items"]])


def load_definition(path: Path, partnership: Partnership) -> Definition:
    """Load and check one definition file; ContentError names the file, line and item."""
    if not path.exists():
        raise ContentError(str(path), None, "questionnaire definition not found")
    return parse_definition(path.read_text(encoding="utf-8"), str(path), partnership)


def load_definitions(partnership: Partnership, directory: Path = DEFINITIONS_DIR) -> dict[str, Definition]:
    """Every ``*.yaml`` definition in ``directory``, keyed by definition id."""
    definitions: dict[str, Definition] = {}
    for path in sorted(directory.glob("*.yaml")):
        definition = load_definition(path, partnership)
        if definition.id in definitions:
            raise ContentError(
                str(path), 1, f"questionnaire id '{definition.id}' is also used by another file"
            )
        definitions[definition.id] = definition
    return definitions
