"""Headline measures as data (analysis/measures.yaml), checked against the definition.

A measure is a share of the people who answered an item (the numerator is a
set of its choices, or one choice of a multi-choice item) or the mean of a
rating. Listed measures come from the YAML; one "% agree" measure per likert
item, one "use" measure per multi-choice option and one mean per rating item
are derived from the definition, so a new item is measured without code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from analysis.frame import choice_values, multi_column
from common.schema import At, Schema, Text, context_of, ids_once, parse
from common.yamlfile import load_yaml
from surveys.model import Definition

MEASURES_FILE = Path(__file__).resolve().parent / "measures.yaml"

Kind = Literal["share", "use", "mean"]


@dataclass(frozen=True)
class Measure:
    """One headline figure. ``counts`` are the item values in the numerator (share);
    ``column`` is the boolean column counted (use); a mean needs neither."""

    id: str
    item: str
    label: str
    of: str
    kind: Kind
    counts: tuple[str, ...] = ()
    column: str | None = None


class _Listed(Schema):
    """A measure listed in the file: the share of an item's answerers who chose one of ``counts``."""

    id: Annotated[Text, Field(pattern=r"^[^:]+$")]  # derived measures' ids have colons ("agree:x")
    item: str
    counts: tuple[Text, ...]
    label: Text
    of: Text | None = None

    @model_validator(mode="after")
    def _on_a_choice_item(self, info: ValidationInfo) -> _Listed:
        item = context_of(info)["items"].get(self.item)
        if item is None or item.type not in {"single", "likert"}:
            raise ValueError(f"measure '{self.id}' needs a choice item")
        unknown = set(self.counts) - set(choice_values(item, context_of(info)["agencies"]))
        if not self.counts or unknown:
            raise ValueError(f"measure '{self.id}' counts unknown {sorted(unknown)}")
        return self


class _MeasuresFile(Schema):
    questionnaire: str | None = None
    agree: tuple[Text, ...] = ()
    measures: tuple[_Listed, ...]
    denominators: dict[str, Text] = Field(default_factory=dict)
    default_denominator: Text = "of respondents"

    @field_validator("agree")
    @classmethod
    def _agree_on_every_likert_item(cls, agree: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for item in context_of(info)["items"].values():
            missing = set(agree) - set(choice_values(item, context_of(info)["agencies"]))
            if item.type == "likert" and missing:
                raise ValueError(f"agree choices {sorted(missing)} not in '{item.id}'")
        return agree

    _listed_once = ids_once("measures", "measure id")

    @field_validator("denominators")
    @classmethod
    def _of_known_items(cls, denominators: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for key in denominators:
            if key not in context_of(info)["items"]:
                raise At(f"denominator for unknown item '{key}'", key)
        return denominators


def collated_questionnaire(path: Path = MEASURES_FILE) -> str:
    """The questionnaire whose waves are collated into agency and board reports (the file's
    ``questionnaire``): the measures fit no other; the impact return has its own annex."""
    data = load_yaml(path)
    return str(data.get("questionnaire") or "") if isinstance(data, dict) else ""


def load_measures(
    definition: Definition, agencies: Sequence[str], path: Path = MEASURES_FILE
) -> tuple[Measure, ...]:
    """Every headline measure for ``definition``; ContentError names file and line of a bad entry."""
    context = {"items": {item.id: item for item in definition.items}, "agencies": agencies}
    data = parse(_MeasuresFile, load_yaml(path), str(path), context)
    default_of = data.default_denominator
    measures = [Measure(m.id, m.item, m.label, m.of or default_of, "share", m.counts) for m in data.measures]
    for item in definition.items:
        of = data.denominators.get(item.id, default_of)
        if item.type == "likert":
            measures.append(
                Measure(f"agree:{item.id}", item.id, f"Agree: {item.text}", of, "share", data.agree)
            )
        elif item.type == "multi":
            measures.extend(
                Measure(
                    f"use:{item.id}:{choice.value}",
                    item.id,
                    f"Used: {choice.label}",
                    of,
                    "use",
                    column=multi_column(item.id, choice.value),
                )
                for choice in item.choices
            )
        elif item.type == "rating":
            measures.append(Measure(f"mean:{item.id}", item.id, f"Mean rating: {item.text}", of, "mean"))
    return tuple(measures)
