"""Benchmark: the full collated return for 1,000,000 responses across 16 agencies, against bare pandas.

Prints, from one run on one machine:
- baseline: one pandas groupby of the same headline measures (indicator
  columns built with isin/notna, then ``groupby("agency").sum()``);
- summaries: analysis.summaries.summarise (every headline measure, every
  item's distribution, response rates, previous-wave comparison and
  complementary suppression) — the same measures plus everything else;
- full: analysis.collate.collate, i.e. the above plus coding every free-text
  answer into themes and picking redacted quotes;
- the ratios to the baseline (target: within 2x);
- the time to render every agency's report and the partnership's (HTML, PDF,
  XLSX, CSV, charts) from the collated return, in parallel processes (one per
  core) beside the same reports rendered one after another in one process.
  Rendering depends on the number of agencies and measures, not on responses,
  so ``--render-sizes`` collates smaller waves too and renders each.

Times are medians of ``--repeat`` interleaved runs, with their range.

Run: .venv/bin/python bench/analysis_bench.py [--responses N] [--repeat R] [--render-sizes N ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
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
from analysis.reports import write_reports  # noqa: E402
from analysis.summaries import PARTNERSHIP, summarise  # noqa: E402
from analysis.synthetic import generate  # noqa: E402
from analysis.themes import load_codebook  # noqa: E402
from common.partnership import load_partnership  # noqa: E402
from surveys.loader import load_definitions  # noqa: E402

MIN_GROUP_SIZE = 10
MIN_QUOTE_SIZE = 20


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


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def interleaved(repeat: int, **works: Callable[[], object]) -> dict[str, list[float]]:
    """Each work ``repeat`` times, taking turns, so machine load falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            times[name].append(timed(work))
    return times


def shown(times: list[float]) -> str:
    return f"{statistics.median(times):.2f}s (range {min(times):.2f}-{max(times):.2f}, n={len(times)})"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--responses", type=int, default=1_000_000)
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--render-sizes", type=int, nargs="*", default=[2000, 3000])
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

    def summarised():
        return summarise(frame, definition, measures, headcounts, MIN_GROUP_SIZE, previous=previous, wave=2)

    def full(frame=frame, previous=previous):
        return collate(
            frame,
            definition,
            measures,
            headcounts,
            MIN_GROUP_SIZE,
            wave=2,
            previous=previous,
            codebook=codebook,
            min_quote_size=MIN_QUOTE_SIZE,
        )

    times = interleaved(
        options.repeat, baseline=lambda: baseline(frame, measures), summaries=summarised, full=full
    )
    base = statistics.median(times["baseline"])
    print(
        f"baseline  (one pandas groupby of the {len(measures)} headline measures): {shown(times['baseline'])}"
    )
    print(
        f"summaries (measures, distributions, rates, comparison, suppression): {shown(times['summaries'])}"
        f"  ratio {statistics.median(times['summaries']) / base:.2f}x"
    )
    print(
        f"full      (summaries + theme coding + quotes):                       {shown(times['full'])}"
        f"  ratio {statistics.median(times['full']) / base:.2f}x"
    )

    names = {a.code: a.name for a in partnership.agencies}
    groups = [*codes, PARTNERSHIP]
    workers = os.cpu_count() or 1
    for size in [*options.render_sizes, options.responses]:
        if size == options.responses:
            summary = full()
        else:
            small = generate(definition, agencies, size, wave=2, months=["2026-05"], seed=3)
            before = generate(definition, agencies, size, wave=1, months=["2025-05"], seed=4)
            summary = full(small, before)

        def render(processes: int, summary=summary) -> None:
            with tempfile.TemporaryDirectory() as out:
                list(
                    write_reports(summary, definition, groups, Path(out), names, "Survey", workers=processes)
                )

        rendered = interleaved(options.repeat, parallel=lambda: render(workers), serial=lambda: render(1))
        print(
            f"reports for {size:,} responses ({len(groups)}: agencies + partnership; HTML, PDF, XLSX, CSV): "
            f"{workers} processes {shown(rendered['parallel'])}; one process {shown(rendered['serial'])}"
        )


if __name__ == "__main__":
    main()
