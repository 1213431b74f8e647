"""``python -m bench.fault_suite`` (or ``python -m bench.fault_suite``): see bench/fault_suite/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from bench.fault_suite import FAULTS
from bench.fault_suite.context import Bounds
from bench.fault_suite.results import table
from bench.fault_suite.suite import run_faults


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fault_suite", description="Faults and hostile input against a real bot process."
    )
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help=f"comma-separated subset of: {', '.join(FAULTS)}")
    parser.add_argument("--backends", default=None,
                        help="sqlite,postgres (default: sqlite, and postgres when TEST_DATABASE_URL is set)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (printed, to repeat a run)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, SQLite files)")
    defaults = Bounds()
    for spec in fields(Bounds):
        default = getattr(defaults, spec.name)
        flag = f"--{spec.name.replace('_', '-')}"
        parser.add_argument(flag, type=type(default), default=default, help=f"(default {default})")
    return parser


def _backends(chosen: str | None) -> list[str]:
    if chosen:
        backends = [b.strip() for b in chosen.split(",") if b.strip()]
    else:
        backends = ["sqlite"] + (["postgres"] if os.environ.get("TEST_DATABASE_URL") else [])
    if "postgres" in backends and not os.environ.get("TEST_DATABASE_URL"):
        raise SystemExit("the postgres backend needs TEST_DATABASE_URL (a server to create databases on)")
    return backends


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise SystemExit(f"unknown fault(s) {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    bounds = Bounds(**{spec.name: getattr(args, spec.name) for spec in fields(Bounds)})
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    workdir = Path(tempfile.mkdtemp(prefix="fault-suite-"))
    backends = _backends(args.backends)
    print(f"fault suite: seed {seed}, backends {', '.join(backends)}, work folder {workdir}", flush=True)
    started = time.monotonic()
    chosen = {name: FAULTS[name] for name in faults}
    try:
        results = asyncio.run(run_faults(chosen, backends, bounds, seed, workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results))
    unclean = sum(not r.clean for r in results)
    clean = not unclean
    verdict = "CLEAN" if clean else f"FAILURES in {unclean} of"
    seconds = time.monotonic() - started
    print(f"\n{verdict} {len(results)} fault runs in {seconds:.0f} s (repeat with --seed {seed})")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
