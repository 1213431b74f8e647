"""CPU per call of a few ways to do one thing, measured in interleaved rounds (medians and spread).

Shared by the micro-benchmarks (reading an activity, writing a reply): each way
runs once per round, in turn, so a machine that gets busier mid-run slows
every way alike; figures are the median over rounds with the lowest and highest.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def cpu_per_item(work: Callable[[Any], object], items: Sequence[Any], repeat: int) -> float:
    """Microseconds of CPU per call of ``work``, over ``repeat`` passes of ``items``."""
    start = time.process_time()
    for _ in range(repeat):
        for item in items:
            work(item)
    return (time.process_time() - start) / (repeat * len(items)) * 1e6


def interleaved(series: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each series' figure per round, the series taking turns within every round."""
    times: dict[str, list[float]] = {name: [] for name in series}
    for _ in range(rounds):
        for name, run in series.items():
            times[name].append(run())
    return times


def spread(values: Sequence[float], digits: int = 1) -> str:
    """ "median (lowest-highest)"."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def print_figures(
    title: str, times: dict[str, list[float]], pairs: Sequence[tuple[str, str]], digits: int
) -> None:
    """The figures of every series, then each (slow, fast) pair's ratio per round."""
    width = max(map(len, times)) + 2
    print(title)
    for name, values in times.items():
        print(f"  {name:{width}} {spread(values, digits)}")
    for slow, fast in pairs:
        ratios = [a / b for a, b in zip(times[slow], times[fast], strict=True)]
        print(f"  {slow} / {fast}: {spread(ratios)}x")
