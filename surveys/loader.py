"""Questionnaire definitions: YAML in, checked frozen dataclasses out.

A definition that cannot work (a condition on an item that does not exist, a
choice set nobody defined, two items with one id) is refused when it loads, with
the file, the line and the item, so a board officer editing the YAML can fix it
before anyone is asked a broken question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.errors import ContentError
from common.partnership import Partnership
from common.yamlfile import LINE_KEY, line_of, load_yaml_text
from surveys.audience import EVERYONE, OFFERED_TO
from surveys.model import CHOICE_TYPES, Choice, Condition, Definition, Item, Scale

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

#: The choice set filled from the partnership file: value = agency code, label = name.
AGENCIES = "agencies"

_ITEM_TYPES = frozenset({"single", "likert", "multi", "rating", "text"})
_TOP_KEYS = frozenset(
    {
        "id",
        "version",
        "title",
        "anonymous",
        "audience",
        "offered_to",
        "intro",
        "free_text_reminder",
        "done_message",
        "choice_sets",
        "items",
        LINE_KEY,
    }
)
_ITEM_KEYS = frozenset(
    {
        "id",
        "section",
        "type",
        "text",
        "required",
        "choices",
        "when",
        "scale",
        "max_answers",
        "codebook",
        LINE_KEY,
    }
)
_CHOICE_KEYS = frozenset({"label", "synonyms", "exclusive", LINE_KEY})
_OPERATORS = {"in": False, "not_in": True, "equals": False, "not_equals": True}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Reader:
    """Carries the file name so every check can raise a ContentError that names it."""

    def __init__(self, where: str, partnership: Partnership) -> None:
        self.where = where
        self.partnership = partnership

    def fail(self, line: int | None, problem: str) -> ContentError:
        return ContentError(self.where, line, problem)

    def text(self, data: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(line_of(data), f"{what}: '{key}' should be some text")
        return " ".join(value.split())

    # -- choices -----------------------------------------------------------------

    def choice(self, raw: Any, line: int | None, what: str) -> Choice:
        if isinstance(raw, bool) or raw is None:
            # YAML reads a bare Yes/No as a boolean: the label must be quoted.
            raise self.fail(line, f"{what}: a choice label should be quoted text, got {raw!r}")
        if isinstance(raw, str | int | float):
            label = str(raw).strip()
            if not label:
                raise self.fail(line, f"{what}: a choice has an empty label")
            return Choice(label=label, value=label)
        if not isinstance(raw, dict):
            raise self.fail(line, f"{what}: a choice should be a label or a mapping with 'label'")
        line = line_of(raw) or line
        unknown = set(raw) - _CHOICE_KEYS
        if unknown:
            raise self.fail(line, f"{what}: unknown key(s) in a choice: {', '.join(sorted(unknown))}")
        label = raw.get("label")
        if isinstance(label, bool) or not isinstance(label, str | int) or not str(label).strip():
            raise self.fail(line, f"{what}: a choice needs a quoted 'label'")
        synonyms = raw.get("synonyms") or []
        if not isinstance(synonyms, list) or not all(isinstance(s, str | int) for s in synonyms):
            raise self.fail(line, f"{what}: 'synonyms' of '{label}' should be a list of words")
        exclusive = raw.get("exclusive", False)
        if not isinstance(exclusive, bool):
            raise self.fail(line, f"{what}: 'exclusive' of '{label}' should be true or false")
        label = str(label).strip()
        return Choice(
            label=label,
            value=label,
            synonyms=tuple(str(s).strip() for s in synonyms if str(s).strip()),
            exclusive=exclusive,
        )

    def choice_list(self, raw: Any, line: int | None, what: str) -> tuple[Choice, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(line, f"{what}: choices should be a non-empty list")
        return tuple(self.choice(entry, line, what) for entry in raw)

    def agencies(self) -> tuple[Choice, ...]:
        return tuple(
            Choice(label=agency.name, value=agency.code, synonyms=(agency.code,))
            for agency in self.partnership.agencies
        )

    def choice_sets(self, data: Mapping[str, Any]) -> dict[str, tuple[Choice, ...]]:
        raw = data.get("choice_sets") or {}
        if not isinstance(raw, dict):
            raise self.fail(line_of(data), "'choice_sets' should map set names to lists of choices")
        sets: dict[str, tuple[Choice, ...]] = {}
        for name, entries in raw.items():
            if name == LINE_KEY:
                continue
            if name == AGENCIES:
                raise self.fail(line_of(raw), "choice set 'agencies' comes from the partnership file")
            sets[name] = self.choice_list(entries, line_of(raw), f"choice set '{name}'")
        return sets

    # -- items -------------------------------------------------------------------

    def item(
        self,
        raw: Any,
        sets: Mapping[str, tuple[Choice, ...]],
        earlier: Mapping[str, Item],
        fallback_line: int | None,
    ) -> Item:
        if not isinstance(raw, dict):
            raise self.fail(fallback_line, "each item should be a mapping with id, type and text")
        line = line_of(raw)
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not _ID.match(item_id):
            raise self.fail(line, f"item id {item_id!r} should be lower_case_with_underscores")
        what = f"item '{item_id}'"
        if item_id in earlier:
            raise self.fail(line, f"duplicate item id '{item_id}'")
        unknown = set(raw) - _ITEM_KEYS
        if unknown:
            raise self.fail(line, f"{what}: unknown key(s) {', '.join(sorted(unknown))}")
        kind = raw.get("type")
        if kind not in _ITEM_TYPES:
            raise self.fail(
                line, f"{what}: unknown type {kind!r} (use one of {', '.join(sorted(_ITEM_TYPES))})"
            )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(line, f"{what}: 'required' should be true or false")
        return Item(
            id=item_id,
            section=self.text(raw, "section", what, required=False),
            type=kind,
            text=self.text(raw, "text", what),
            required=required,
            choices=self.item_choices(raw, kind, sets, what),
            when=self.condition(raw.get("when"), line, earlier, what),
            scale=self.scale(raw.get("scale"), kind, line, what),
            max_answers=self.max_answers(raw.get("max_answers", 1), kind, line, what),
            codebook=self.codebook(raw.get("codebook"), kind, line, what),
            line=line,
        )

    def item_choices(
        self, raw: Mapping[str, Any], kind: str, sets: Mapping[str, tuple[Choice, ...]], what: str
    ) -> tuple[Choice, ...]:
        line = line_of(raw)
        spec = raw.get("choices")
        if kind not in CHOICE_TYPES:
            if spec is not None:
                raise self.fail(line, f"{what}: a {kind} item has no choices")
            return ()
        if spec is None:
            raise self.fail(line, f"{what}: a {kind} item needs 'choices'")
        if isinstance(spec, str):
            if spec == AGENCIES:
                choices = self.agencies()
            elif spec in sets:
                choices = sets[spec]
            else:
                known = ", ".join(sorted([*sets, AGENCIES]))
                raise self.fail(line, f"{what}: unknown choice set '{spec}' (known: {known})")
        else:
            choices = self.choice_list(spec, line, what)
        self.check_choices(choices, kind, line, what)
        return choices

    def check_choices(self, choices: tuple[Choice, ...], kind: str, line: int | None, what: str) -> None:
        if len(choices) < 2:
            raise self.fail(line, f"{what}: needs at least two choices")
        owner: dict[str, str] = {}
        for choice in choices:
            for word in (choice.label, *choice.synonyms):
                key = " ".join(word.casefold().split())
                if key in owner and owner[key] != choice.value:
                    raise self.fail(
                        line,
                        f"{what}: '{word}' would mean both '{owner[key]}' and '{choice.label}'",
                    )
                owner[key] = choice.value
            if choice.exclusive and kind != "multi":
                raise self.fail(line, f"{what}: only a multi item can have an exclusive choice")
        if len({c.value for c in choices}) != len(choices):
            raise self.fail(line, f"{what}: two choices have the same label")

    def condition(
        self, raw: Any, line: int | None, earlier: Mapping[str, Item], what: str
    ) -> Condition | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise self.fail(line, f"{what}: 'when' should be a mapping like {{item: x, in: [..]}}")
        line = line_of(raw) or line
        target = raw.get("item")
        operators = [key for key in raw if key in _OPERATORS]
        unknown = set(raw) - {"item", LINE_KEY, *_OPERATORS}
        if unknown or len(operators) != 1:
            raise self.fail(
                line, f"{what}: 'when' needs 'item' and exactly one of in, not_in, equals, not_equals"
            )
        if target not in earlier:
            raise self.fail(
                line,
                f"{what}: condition on item '{target}', which is not an earlier item "
                "(conditions may only refer to items asked before)",
            )
        source = earlier[target]
        if source.type not in CHOICE_TYPES:
            raise self.fail(line, f"{what}: condition on '{target}', which is not a choice item")
        operator = operators[0]
        values = raw[operator]
        values = values if isinstance(values, list) else [values]
        allowed = {c.value for c in source.choices}
        for value in values:
            if isinstance(value, bool):
                problem = f"quote the condition value (YAML reads a bare Yes/No as {value})"
                raise self.fail(line, f"{what}: {problem}")
            if str(value) not in allowed:
                raise self.fail(
                    line,
                    f"{what}: condition value {value!r} is not a choice of '{target}' "
                    f"({', '.join(sorted(allowed))})",
                )
        if not values:
            raise self.fail(line, f"{what}: condition on '{target}' lists no values")
        return Condition(item=target, values=tuple(str(v) for v in values), negate=_OPERATORS[operator])

    def scale(self, raw: Any, kind: str, line: int | None, what: str) -> Scale | None:
        if kind != "rating":
            if raw is not None:
                raise self.fail(line, f"{what}: only a rating item has a scale")
            return None
        if not isinstance(raw, dict):
            raise self.fail(line, f"{what}: a rating item needs a scale like {{min: 1, max: 5}}")
        line = line_of(raw) or line
        low, high = raw.get("min"), raw.get("max")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            raise self.fail(line, f"{what}: scale min and max should be whole numbers")
        if not 0 <= low < high <= 10:
            raise self.fail(line, f"{what}: bad scale {low}..{high} (need 0 <= min < max <= 10)")
        return Scale(low, high, str(raw.get("min_label") or ""), str(raw.get("max_label") or ""))

    def codebook(self, raw: Any, kind: str, line: int | None, what: str) -> str | None:
        if raw is None:
            return None
        if kind != "text" or not isinstance(raw, str) or not raw.strip():
            raise self.fail(line, f"{what}: 'codebook' names a codebook, and only for a text item")
        return raw.strip()

    def max_answers(self, raw: Any, kind: str, line: int | None, what: str) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 10:
            raise self.fail(line, f"{what}: max_answers should be a whole number from 1 to 10")
        if raw > 1 and kind != "text":
            raise self.fail(line, f"{what}: only a text item can take several answers")
        return raw

    # -- the whole file ----------------------------------------------------------

    def definition(self, data: Any) -> Definition:
        if not isinstance(data, dict):
            raise self.fail(1, "expected a mapping at the top level")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise self.fail(line_of(data), f"unknown key(s) {', '.join(sorted(unknown))}")
        what = "the questionnaire"
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(line_of(data), "'version' should be a whole number from 1")
        anonymous = data.get("anonymous", True)
        if not isinstance(anonymous, bool):
            raise self.fail(line_of(data), "'anonymous' should be true or false")
        sets = self.choice_sets(data)
        raw_items = data.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise self.fail(line_of(data), "'items' should be a non-empty list")
        items: dict[str, Item] = {}
        for raw in raw_items:
            item = self.item(raw, sets, items, line_of(data))
            items[item.id] = item
        agency = items.get("agency")
        if agency is None or agency.choices != self.agencies() or not agency.required:
            raise self.fail(
                line_of(data),
                "needs a required item 'agency' with 'choices: agencies' (responses are kept by agency)",
            )
        offered_to = data.get("offered_to", EVERYONE)
        if offered_to not in OFFERED_TO:
            raise self.fail(line_of(data), f"'offered_to' should be one of: {', '.join(OFFERED_TO)}")
        definition_id = self.text(data, "id", what)
        if not re.match(r"^[a-z][a-z0-9-]*$", definition_id):
            problem = f"questionnaire id {definition_id!r} should be lower-case-with-hyphens"
            raise self.fail(line_of(data), problem)
        return Definition(
            id=definition_id,
            version=version,
            title=self.text(data, "title", what),
            anonymous=anonymous,
            intro=self.text(data, "intro", what),
            free_text_reminder=self.text(data, "free_text_reminder", what),
            done_message=self.text(data, "done_message", what),
            items=tuple(items.values()),
            source=self.where,
            audience=self.text(data, "audience", what, required=False),
            offered_to=offered_to,
        )


def parse_definition(text: str, where: str, partnership: Partnership) -> Definition:
    """Parse and check a definition from YAML text; ``where`` names it in errors."""
    return _Reader(where, partnership).definition(load_yaml_text(text, where))


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
