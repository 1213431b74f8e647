"""``python -m programme waves list|open|extend|close``: the survey programme from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from programme.waves import add_parser as add_waves_parser
from programme.waves import run as run_waves


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m programme", description=__doc__.split(": ", 1)[1])
    commands = parser.add_subparsers(dest="command", required=True)
    add_waves_parser(commands)
    return run_waves(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
