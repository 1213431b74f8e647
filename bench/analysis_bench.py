"""Benchmark: the full collated return for 1,000,000 responses across 16 agencies, against bare pandas.

Prints, from one run on one machine:
- baseline: one pandas groupby of the same headline measures (indicator
  columns built with isin/notna, then ``groupby("agency").sum()``);
- summaries: analysis.summaries.summarise (every headline measure, every
  item's distribution, response rates, previous-wave comparison and
  complementary suppression) — the same measures plus everything else;
- full: analysis.collate.collate, i.e. the above plus coding every free-text
  answer into themes and picking redacted quotes;
- the ratios to the baseline (target: within 2x), and the time to render
  every agency's report and the partnership's (HTML, XLSX, CSV, PDF).

Run: .venv/bin/python bench/analysis_bench.py [--responses N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.collate import collate  # noqa: E402 - after the path set-up above
from analysis.measures import Measure, load_measures  # noqa: E402
from analysis.reports import write_report  # noqa: E402
from analysis.summaries import PARTNERSHIP, summarise  # noqa: E402
from analysis.synthetic import generate  # noqa: E402
from analysis.themes import load_codebook  # noqa: E402
from common.partnership import load_partnership  # noqa: E402
from surveys.loader import load_definitions  # noqa: E402

MIN_GROUP_SIZE = 10


def baseline(frame: pd.DataFrame, measures: list[Measure]) -> pd.DataFrame:
    """Bare pandas: the same headline measures' numerators and bases in one groupby."""
    columns: dict[str, pd.Series] = {}
    for m in measures:
        if m.kind == "share":
            columns[f"{m.id}:count"] = frame[m.item].isin(m.counts)
            columns[f"{m.id}:base"] = frame[m.item].notna()
        elif m.kind == "use":
            columns[f"{m.id}:count"] = frame[m.column].fillna(False).astype(bool)
            columns[f"{m.id}:base"] = frame[m.column].notna()
        else:
            columns[f"{m.id}:sum"] = frame[m.item].fillna(0)
            columns[f"{m.id}:base"] = frame[m.item].notna()
    table = pd.DataFrame(columns)
    table["agency"] = frame["agency"]
    return table.groupby("agency", observed=True).sum()


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--responses", type=int, default=1_000_000)
    args.add_argument("--repeat", type=int, default=3)
    options = args.parse_args()

    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    definition = load_definitions(partnership)["practitioner"]
    agencies = [(a.code, a.headcount) for a in partnership.agencies]
    codes = [code for code, _ in agencies]
    headcounts = dict(agencies)
    measures = list(load_measures(definition, codes))
    codebook = load_codebook("one_change")

    start = time.perf_counter()
    frame = generate(definition, agencies, options.responses, wave=2, months=["2026-05", "2026-06"], seed=1)
    previous = generate(definition, agencies, options.responses, wave=1, months=["2025-05"], seed=2)
    made = time.perf_counter() - start
    answered = int(frame["one_change"].notna().sum())
    print(
        f"data: {len(frame):,} responses x {frame.shape[1]} columns, {len(codes)} agencies, "
        f"{answered:,} free-text answers; previous wave {len(previous):,} (generated in {made:.1f}s)"
    )

    base = best_of(options.repeat, lambda: baseline(frame, measures))
    summaries = best_of(
        options.repeat,
        lambda: summarise(frame, definition, measures, headcounts, MIN_GROUP_SIZE, previous=previous, wave=2),
    )

    def full():
        return collate(
            frame,
            definition,
            measures,
            headcounts,
            MIN_GROUP_SIZE,
            wave=2,
            previous=previous,
            codebook=codebook,
        )

    whole = best_of(options.repeat, full)
    print(f"baseline  (one pandas groupby of the {len(measures)} headline measures): {base:.3f}s")
    print(
        f"summaries (measures + distributions + rates + comparison + suppression): {summaries:.3f}s"
        f"  ratio {summaries / base:.2f}x"
    )
    print(
        f"full      (summaries + theme coding + quotes):                           {whole:.3f}s"
        f"  ratio {whole / base:.2f}x"
    )

    summary = full()
    names = {a.code: a.name for a in partnership.agencies}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        for group in [*codes, PARTNERSHIP]:
            cut = summary if group == PARTNERSHIP else summary.for_agency(group)
            write_report(cut, definition, group, Path(out), names, "Safeguarding practitioner survey")
        rendered = time.perf_counter() - start
    print(
        f"reports: {len(codes) + 1} (16 agencies + partnership; HTML, XLSX, CSV, PDF) in {rendered:.1f}s "
        f"({rendered / (len(codes) + 1):.2f}s each)"
    )


if __name__ == "__main__":
    main()
