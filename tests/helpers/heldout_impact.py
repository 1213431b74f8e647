"""Score the frozen impact-assessment held-out set (``tests/analysis/data/heldout-impact.jsonl``).

A module of its own because the other held-out scorers and their figures were frozen before
this set was written. Print the figure with::

    .venv/bin/python -m tests.helpers.heldout_impact
"""

from __future__ import annotations

from typing import Any

import yaml

from tests.helpers.heldout import ANALYSIS
from tests.helpers.shared import read_jsonl

FIGURES_FILE = ANALYSIS / "heldout-impact-figures.yaml"


def impact_figures(rows: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Agreement: the share of impact-assessment issues coded to their labelled category."""
    from analysis.themes import load_codebook

    rows = rows if rows is not None else read_jsonl(ANALYSIS / "heldout-impact.jsonl")
    hits = [list(load_codebook(row["codebook"]).code(row["text"]).themes) == row["themes"] for row in rows]
    return {"agreement": round(sum(hits) / len(hits), 4)}


def recorded() -> dict[str, Any]:
    """The first-run figure and margin recorded when the set was frozen."""
    return yaml.safe_load(FIGURES_FILE.read_text(encoding="utf-8"))


if __name__ == "__main__":
    print(yaml.safe_dump({"impact": impact_figures()}, sort_keys=False), end="")
