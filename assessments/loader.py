"""Standards YAML -> StandardSet, through a declared pydantic schema; every error names file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from assessments.model import ChecklistPoint, Part, Standard, StandardSet
from common.errors import ContentError
from common.schema import Schema, parse
from common.yamlfile import line_of, load_yaml

STANDARDS_DIR = Path(__file__).resolve().parent / "standards"
ID = r"^[0-9A-Za-z][0-9A-Za-z._-]*$"


class PointSchema(Schema):
    id: str = Field(pattern=ID)
    text: str = Field(min_length=1)
    cues: list[str] = Field(min_length=1)

    @field_validator("cues")
    @classmethod
    def _no_blank_cues(cls, cues: list[str]) -> list[str]:
        if any(not cue.strip().rstrip("*") for cue in cues):
            raise ValueError("a cue is blank")
        return cues


class StandardSchema(Schema):
    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    description: str = ""
    checklist: list[PointSchema] = Field(min_length=1)


class PartSchema(Schema):
    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    standards: list[StandardSchema] = Field(min_length=1)


class SetSchema(Schema):
    id: str = Field(pattern=ID)
    title: str = Field(min_length=1)
    version: int = Field(ge=1)
    impact_cues: tuple[str, ...] = ()
    parts: list[PartSchema] = Field(min_length=1)


def parse_standard_set(raw: Any, path: str) -> StandardSet:
    """Validate raw YAML data (with ``__line__`` keys) into a StandardSet; ContentError on any problem."""
    schema = parse(SetSchema, raw, path)
    seen: dict[str, str] = {}

    def claim(ident: str, what: str, node: Any) -> None:
        if ident in seen:
            raise ContentError(path, line_of(node), f"{what} id '{ident}' is already used by a {seen[ident]}")
        seen[ident] = what

    parts = []
    for part_schema, part_raw in zip(schema.parts, raw["parts"], strict=True):
        claim(f"part:{part_schema.id}", "part", part_raw)
        standards = []
        for standard_schema, standard_raw in zip(part_schema.standards, part_raw["standards"], strict=True):
            claim(standard_schema.id, "standard", standard_raw)
            points = []
            for point, point_raw in zip(standard_schema.checklist, standard_raw["checklist"], strict=True):
                if not point.id.startswith(f"{standard_schema.id}."):
                    raise ContentError(
                        path,
                        line_of(point_raw),
                        f"checklist point '{point.id}' should start with '{standard_schema.id}.'",
                    )
                claim(point.id, "checklist point", point_raw)
                points.append(ChecklistPoint(point.id, point.text.strip(), tuple(point.cues)))
            standards.append(
                Standard(
                    standard_schema.id,
                    part_schema.id,
                    standard_schema.title.strip(),
                    standard_schema.description.strip(),
                    tuple(points),
                )
            )
        parts.append(Part(part_schema.id, part_schema.title.strip(), tuple(standards)))
    impact = (
        (ChecklistPoint("impact", "Outcome words", tuple(schema.impact_cues)),) if schema.impact_cues else ()
    )
    return StandardSet(schema.id, schema.title.strip(), schema.version, tuple(parts), impact)


def load_standard_set(path: Path) -> StandardSet:
    """Load and check one standards file."""
    return parse_standard_set(load_yaml(path), str(path))


def load_standard_sets(directory: Path = STANDARDS_DIR) -> dict[str, StandardSet]:
    """Every ``*.yaml`` standards file in ``directory`` by set id; two files with one id is an error."""
    sets: dict[str, StandardSet] = {}
    for path in sorted(directory.glob("*.yaml")):
        loaded = load_standard_set(path)
        if loaded.id in sets:
            raise ContentError(str(path), 1, f"standards set id '{loaded.id}' is used by another file")
        sets[loaded.id] = loaded
    return sets
