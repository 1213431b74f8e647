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
from typing import Literal

from analysis.frame import choice_values, multi_column
from common.errors import ContentError
from common.yamlfile import line_of, load_yaml
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


def collated_questionnaire(path: Path = MEASURES_FILE) -> str:
    """The questionnaire whose waves are collated into agency and board reports (the file's
    ``questionnaire``): the measures fit no other; the impact return has its own annex."""
    data = load_yaml(path)
    return str(data.get("questionnaire") or "") if isinstance(data, dict) else ""


def load_measures(
    definition: Definition, agencies: Sequence[str], path: Path = MEASURES_FILE
) -> tuple[Measure, ...]:
    """Every headline measure for ``definition``; ContentError names file and line of a bad entry."""
    where = str(path)
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("measures"), list):
        raise ContentError(where, 1, "expected a mapping with a 'measures' list")
    ids = {item.id: item for item in definition.items}
    agree = tuple(str(v) for v in data.get("agree") or ())
    denominators = {k: str(v) for k, v in (data.get("denominators") or {}).items() if k != "__line__"}
    default_of = str(data.get("default_denominator") or "of respondents")
    for key in denominators:
        if key not in ids:
            raise ContentError(where, line_of(data["denominators"]), f"denominator for unknown item '{key}'")

    measures: list[Measure] = []
    for row in data["measures"]:
        item = ids.get(str(row.get("item")))
        if item is None or item.type not in {"single", "likert"}:
            raise ContentError(where, line_of(row), f"measure '{row.get('id')}' needs a choice item")
        counts = tuple(str(v) for v in row.get("counts") or ())
        unknown = set(counts) - set(choice_values(item, agencies))
        if not counts or unknown:
            raise ContentError(
                where, line_of(row), f"measure '{row.get('id')}' counts unknown {sorted(unknown)}"
            )
        measures.append(
            Measure(
                str(row["id"]), item.id, str(row["label"]), str(row.get("of") or default_of), "share", counts
            )
        )
    for item in definition.items:
        of = denominators.get(item.id, default_of)
        if item.type == "likert":
            missing = set(agree) - set(choice_values(item, agencies))
            if missing:
                raise ContentError(
                    where, line_of(data), f"agree choices {sorted(missing)} not in '{item.id}'"
                )
            measures.append(Measure(f"agree:{item.id}", item.id, f"Agree: {item.text}", of, "share", agree))
        elif item.type == "multi":
            for choice in item.choices:
                measures.append(
                    Measure(
                        f"use:{item.id}:{choice.value}",
                        item.id,
                        f"Used: {choice.label}",
                        of,
                        "use",
                        column=multi_column(item.id, choice.value),
                    )
                )
        elif item.type == "rating":
            measures.append(Measure(f"mean:{item.id}", item.id, f"Mean rating: {item.text}", of, "mean"))
    seen: set[str] = set()
    for measure in measures:
        if measure.id in seen:
            raise ContentError(where, None, f"measure id '{measure.id}' appears twice")
        seen.add(measure.id)
    return tuple(measures)
