"""The whole computation of a collated return, from tidy frames to a Summary (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.measures import Measure
from analysis.summaries import Summary, summarise, theme_table
from analysis.themes import Codebook, code_column
from surveys.model import Definition


def collate(
    frame: pd.DataFrame,
    definition: Definition,
    measures: Sequence[Measure],
    headcounts: Mapping[str, int | None],
    min_group_size: int,
    *,
    wave: int,
    previous: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    overrides: Mapping[str, tuple[str, ...]] | None = None,
    min_quote_size: int = 0,
    demo: bool = False,
) -> Summary:
    """Figures, distributions, response rates, comparison and (with a codebook) coded themes."""
    themes = None
    if codebook is not None and codebook.item in frame.columns and frame[codebook.item].notna().any():
        coded = code_column(frame[codebook.item], codebook, overrides)
        themes = theme_table(frame, coded, codebook, min_group_size, min_quote_size=min_quote_size)
    return summarise(
        frame,
        definition,
        measures,
        headcounts,
        min_group_size,
        previous=previous,
        themes=themes,
        wave=wave,
        min_quote_size=min_quote_size,
        demo=demo,
    )
