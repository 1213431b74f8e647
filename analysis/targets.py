"""The board's targets for a collated return, read from ``analysis/data/targets.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from common.schema import Schema, parse
from common.yamlfile import load_yaml

TARGETS_FILE = Path(__file__).resolve().parent / "data" / "targets.yaml"


class Targets(Schema):
    """targets.yaml, checked."""

    response_rate_percent: Annotated[float, Field(gt=0, le=100)]


def load_targets(path: Path = TARGETS_FILE) -> Targets:
    """Read and check targets.yaml; ContentError names file, line and field."""
    return parse(Targets, load_yaml(path), str(path))
