"""`python -m common settings-table`: print the README's settings table from SETTINGS."""

from __future__ import annotations

import sys

from common.settings import settings_markdown


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) != ["settings-table"]:
        sys.stderr.write("usage: python -m common settings-table\n")
        return 2
    sys.stdout.write(settings_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
