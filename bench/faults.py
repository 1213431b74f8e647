"""The fault suite: ``python bench/faults.py [--help]`` from the project folder.

A thin entry point: it runs ``python -m bench.fault_suite`` (where the suite
lives, documented in bench/fault_suite/__init__.py) from the project folder,
so the project's packages import as they do everywhere else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    os.execv(sys.executable, [sys.executable, "-m", "bench.fault_suite", *sys.argv[1:]])  # noqa: S606 - our own interpreter, our own module
