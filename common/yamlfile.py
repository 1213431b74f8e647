"""Load YAML keeping the line of every mapping, so content errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from common.errors import ContentError

LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the 1-based line of each mapping under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    # YAML keeps the last of two equal keys without a word; in content that is always a mistake.
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    mapping = cast(dict[str, Any], loader.construct_mapping(node, deep=True))
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_text(text: str, path: str) -> Any:
    """Parse YAML text; every dict carries ``__line__``. Syntax errors become ContentError."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(path, line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc


def load_yaml(path: Path) -> Any:
    """Read and parse a YAML file (see load_yaml_text)."""
    return load_yaml_text(path.read_text(encoding="utf-8"), str(path))


def line_of(mapping: Any) -> int | None:
    """The line a mapping started on, or None for anything else."""
    return mapping.get(LINE_KEY) if isinstance(mapping, dict) else None


def strip_lines(value: Any) -> Any:
    """A deep copy without the ``__line__`` keys, for handing on as plain data."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
