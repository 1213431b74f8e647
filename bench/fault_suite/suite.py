"""Running faults one after the other, each bounded in time, with one fake Bot Connector for all."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

from bench.fault_suite.context import Bounds, Fault, Run
from bench.fault_suite.results import Result
from tests.helpers.fake_connector import FakeConnector


async def run_faults(faults: Mapping[str, Fault], backends: Sequence[str], bounds: Bounds, seed: int,
                     workdir: Path, *, report: bool = True) -> list[Result]:
    """Every chosen fault on every chosen backend, each bounded by ``bounds.fault_seconds``."""
    results = []
    limits = aiohttp.TCPConnector(limit=0, force_close=True)
    async with FakeConnector(record=False) as connector, aiohttp.ClientSession(connector=limits) as session:
        for backend in backends:
            for name, fault in faults.items():
                run = Run(backend, workdir, bounds, f"{connector.url}/amer/", random.Random(f"{seed}:{name}"),
                          session)
                started = time.monotonic()
                try:
                    result = await asyncio.wait_for(fault(run), bounds.fault_seconds)
                except TimeoutError:
                    result = Result(name, backend, "-")
                    result.fail(f"did not finish within {bounds.fault_seconds:.0f} s")
                result.seconds = time.monotonic() - started
                results.append(result)
                if report:
                    print(f"{result.fault} on {backend}: {result.tried} {result.unit}(s) tried, "
                          f"{result.failed} failed, {result.seconds:.0f} s", flush=True)
    return results
