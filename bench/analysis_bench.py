"""Benchmark: the collated return for 1,000,000 responses, loaded from the database, against bare pandas.

Free text is worded as people word it (analysis.synthetic, free_text="realistic":
most answers distinct, a minority the same few short words); the wave is stored
in a SQLite file through storage (built once per size and seed, then reused:
``--database``) and read back with analysis.load, as the reports do.

Prints, from one run on one machine:
- baseline: one pandas groupby of the same headline measures over the loaded
  frame (indicator columns built with isin/notna, then ``groupby("agency").sum()``);
- load: analysis.load.load_frame of the wave from the database;
- summaries: analysis.summaries.summarise (every headline measure, every
  item's distribution, response rates, previous-wave comparison and
  complementary suppression);
- themes: analysis.themes.code_column of the free text, realistic and with
  every answer distinct (the worst case: each text coded once);
- pipeline: load + analysis.collate.collate (summaries, theme coding, quotes);
  its ratio to the baseline (target: within 10x), and the peak memory of a
  fresh process doing it once (target: 3 GB);
- the time to render every agency's report and the partnership's (HTML, PDF,
  XLSX, CSV, charts) from the collated return, in parallel processes (one per
  core) beside the same reports rendered one after another in one process.
  Rendering depends on the number of agencies and measures, not on responses,
  so ``--render-sizes`` collates smaller waves too and renders each.

Times are medians of ``--repeat`` interleaved runs, with their range.

Run: .venv/bin/python -m bench.analysis_bench [--responses N] [--repeat R] [--render-sizes N ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd

from analysis.collate import collate
from analysis.frame import submissions
from analysis.load import load_frame
from analysis.measures import Measure, load_measures
from analysis.reports import write_reports
from analysis.summaries import PARTNERSHIP, summarise
from analysis.synthetic import generate
from analysis.themes import code_column, load_codebook
from common.partnership import load_partnership
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import add_responses, count_by_agency
from storage.waves import create_wave
from surveys.loader import load_definitions

ROOT = Path(__file__).resolve().parent.parent

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


PARTNERSHIP_FILE = ROOT / "config" / "partnership.example.yaml"
OPENS, CLOSES = date(2026, 5, 1), date(2026, 6, 30)
INSERT_BATCH = 20_000


def _setting():
    partnership = load_partnership(PARTNERSHIP_FILE)
    definition = load_definitions(partnership)["practitioner"]
    return partnership, definition, [(a.code, a.headcount) for a in partnership.agencies]


async def stored_wave(url: str, frame: pd.DataFrame, codes: list[str]) -> int:
    """The wave holding ``frame`` in the database at ``url``: stored once, reused when already there."""
    partnership, definition, _ = _setting()
    await upgrade_async(url)
    db = await Database.open(url)
    try:
        wave = await create_wave(db, definition.id, definition.version, OPENS, CLOSES, partnership.agencies)
        if sum((await count_by_agency(db, wave.id)).values()) != len(frame):
            for start in range(0, len(frame), INSERT_BATCH):
                part = frame.iloc[start : start + INSERT_BATCH]
                await add_responses(db, wave.id, submissions(part, definition, codes))
        return wave.id
    finally:
        await db.close()


async def _load(url: str, wave_id: int, codes: list[str]) -> pd.DataFrame:
    _, definition, _ = _setting()
    db = await Database.open(url)
    try:
        return await load_frame(db, wave_id, definition, codes)
    finally:
        await db.close()


def pipeline(url: str, wave_id: int, previous: pd.DataFrame) -> float:
    """Load the wave and collate it once, in this process; returns the peak memory (GB) so far."""
    _, definition, agencies = _setting()
    codes = [code for code, _ in agencies]
    frame = asyncio.run(_load(url, wave_id, codes))
    collate(
        frame,
        definition,
        list(load_measures(definition, codes)),
        dict(agencies),
        MIN_GROUP_SIZE,
        wave=2,
        previous=previous,
        codebook=load_codebook("one_change"),
        min_quote_size=MIN_QUOTE_SIZE,
    )
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--responses", type=int, default=1_000_000)
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--render-sizes", type=int, nargs="*", default=[2000, 3000])
    args.add_argument(
        "--database",
        type=Path,
        default=Path(tempfile.gettempdir()) / "analysis-bench",
        help="folder for the SQLite files the waves are stored in (kept, so later runs skip storing)",
    )
    options = args.parse_args()

    partnership, definition, agencies = _setting()
    codes = [code for code, _ in agencies]
    headcounts = dict(agencies)
    measures = list(load_measures(definition, codes))
    codebook = load_codebook("one_change")

    start = time.perf_counter()
    made = generate(
        definition,
        agencies,
        options.responses,
        wave=2,
        months=["2026-05", "2026-06"],
        seed=1,
        free_text="realistic",
    )
    previous = generate(
        definition, agencies, options.responses, wave=1, months=["2025-05"], seed=2, free_text="realistic"
    )
    distinct = generate(
        definition, agencies, options.responses, wave=2, months=["2026-05"], seed=1, free_text="distinct"
    )
    generated = time.perf_counter() - start
    texts = made["one_change"].dropna()
    print(
        f"data: {len(made):,} responses x {made.shape[1]} columns, {len(codes)} agencies, "
        f"{len(texts):,} free-text answers of which {texts.nunique():,} distinct "
        f"(all-distinct case: {distinct['one_change'].nunique():,}); previous wave {len(previous):,} "
        f"(generated in {generated:.1f}s)"
    )
    options.database.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{options.database / f'wave-{options.responses}-seed1.db'}"
    start = time.perf_counter()
    wave_id = asyncio.run(stored_wave(url, made, codes))
    print(f"stored in SQLite through storage (set-up, not timed below): {time.perf_counter() - start:.1f}s")
    frame = asyncio.run(_load(url, wave_id, codes))

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
        options.repeat,
        baseline=lambda: baseline(frame, measures),
        load=lambda: asyncio.run(_load(url, wave_id, codes)),
        summaries=lambda: summarise(
            frame, definition, measures, headcounts, MIN_GROUP_SIZE, previous=previous, wave=2
        ),
        themes=lambda: code_column(frame["one_change"], load_codebook("one_change")),
        themes_distinct=lambda: code_column(distinct["one_change"], load_codebook("one_change")),
        pipeline=lambda: pipeline(url, wave_id, previous),
    )
    base = statistics.median(times["baseline"])

    def ratio(name: str) -> str:
        return f"{shown(times[name])}  ratio {statistics.median(times[name]) / base:.1f}x"

    print(
        f"baseline  (one pandas groupby of the {len(measures)} headline measures): {shown(times['baseline'])}"
    )
    print(f"load      (the wave from SQLite to the tidy frame):                {ratio('load')}")
    print(f"summaries (measures, distributions, rates, comparison, suppression): {ratio('summaries')}")
    print(f"themes    (coding the free text, realistic; fresh codebook):        {ratio('themes')}")
    print(f"themes    (every answer distinct):                                  {ratio('themes_distinct')}")
    print(f"pipeline  (load + summaries + theme coding + quotes; target 10x):  {ratio('pipeline')}")
    with ProcessPoolExecutor(max_workers=1) as fresh:
        peak = fresh.submit(pipeline, url, wave_id, previous).result()
    print(f"peak memory of a fresh process loading and collating once (target 3 GB): {peak:.2f} GB")

    names = {a.code: a.name for a in partnership.agencies}
    groups = [*codes, PARTNERSHIP]
    workers = os.cpu_count() or 1
    for size in dict.fromkeys([*options.render_sizes, options.responses]):  # each size once
        if size == options.responses:
            summary = full()
        else:
            small = generate(
                definition, agencies, size, wave=2, months=["2026-05"], seed=3, free_text="realistic"
            )
            before = generate(
                definition, agencies, size, wave=1, months=["2025-05"], seed=4, free_text="realistic"
            )
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
