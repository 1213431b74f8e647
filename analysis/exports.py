"""The response export: one row per response, one column per item id (see analysis.frame.export_frame).

Suppression rule for exports: a row keeps its agency code only if that
agency has at least MIN_GROUP_SIZE responses in the wave; otherwise the
code becomes ``suppressed``, and so does the next smallest agency's (the same
complementary rule as every table), so the suppressed rows can be told apart
neither from each other nor by subtraction. The rows themselves stay, so
partnership totals computed from the export remain right.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.frame import export_frame
from analysis.reports import write_xlsx
from analysis.sections import Section
from analysis.suppression import suppressed_groups
from surveys.model import Definition

SUPPRESSED_AGENCY = "suppressed"
DEMO_COLUMN, DEMO_VALUE = "demonstration", "synthetic, not real"


def export_table(
    frame: pd.DataFrame,
    definition: Definition,
    agencies: Sequence[str],
    min_group_size: int,
    demo: bool = False,
) -> pd.DataFrame:
    """The export with small agencies' codes replaced by ``suppressed`` (rows kept); a
    demonstration wave's export ends with a column saying so on every row."""
    table = export_frame(frame, definition, agencies)
    counts = frame["agency"].value_counts().reindex(list(agencies), fill_value=0).to_numpy(np.int64)
    hidden = [a for a, h in zip(agencies, suppressed_groups(counts, min_group_size), strict=True) if h]
    table["agency"] = table["agency"].where(~table["agency"].isin(hidden), SUPPRESSED_AGENCY)
    if demo:
        table[DEMO_COLUMN] = DEMO_VALUE
    return table


def write_export(table: pd.DataFrame, path: Path, fmt: str) -> None:
    """CSV (UTF-8 with BOM, empty cells for skipped items) or XLSX (one sheet, numbers as numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        write_xlsx(path, [Section("responses", "Responses", "", table)])
    else:
        raise ValueError(f"unknown export format {fmt!r}")
