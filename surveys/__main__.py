"""Command line: ``python -m surveys redact`` and ``python -m surveys run``.

``redact`` reads one JSON string per line and writes each redacted, one JSON
string per line, so redaction can be checked from outside. ``run`` answers a
questionnaire in the terminal through the same engine the bot uses, and prints
the confirmed Submission as JSON (nothing is stored). Waves are the
programme's: ``python -m programme waves`` (surveys is the domain below storage
and never reaches the database).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict
from typing import TextIO

from common.errors import ContentError
from common.partnership import load_partnership
from common.settings import settings_from_environment
from surveys.engine import advance, start
from surveys.loader import load_definitions
from surveys.redaction import redact
from surveys.rendering import render_text
from surveys.turns import Said


def redact_lines(lines: Iterable[str], out: TextIO) -> int:
    """Redact each JSON string line; a line that is not a JSON string is an error (exit 2)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)
        except json.JSONDecodeError as exc:
            sys.stderr.write(f"line {number}: not JSON ({exc.msg})\n")
            return 2
        if not isinstance(text, str):
            sys.stderr.write(f"line {number}: expected a JSON string\n")
            return 2
        out.write(json.dumps(redact(text), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def run_questionnaire(definition_id: str, lines: Iterable[str], out: TextIO) -> int:
    """Answer a questionnaire from ``lines``; print prompts, then the Submission as JSON."""
    settings = settings_from_environment()
    definitions = load_definitions(load_partnership(settings.partnership_file))
    if definition_id not in definitions:
        sys.stderr.write(f"no questionnaire '{definition_id}' (have: {', '.join(sorted(definitions))})\n")
        return 2
    definition = definitions[definition_id]
    progress = start(definition)
    said = Said(text="start survey")
    inputs = iter(lines)
    while True:
        step = advance(definition, progress, said)
        progress = step.progress
        out.write("\n\n".join(render_text(reply) for reply in step.replies) + "\n")
        if step.submission is not None:
            submission = asdict(step.submission)
            out.write(json.dumps(submission, ensure_ascii=False, indent=2) + "\n")
            return 0
        out.write("> ")
        out.flush()
        line = next(inputs, None)
        if line is None:
            out.write("\n(no more input: nothing was submitted)\n")
            return 1
        said = Said(text=line.rstrip("\n"))


MOVED = {"waves": "python -m programme waves"}


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in MOVED:
        sys.stderr.write(f"python -m surveys {given[0]} is now {MOVED[given[0]]}\n")
        return 2
    parser = argparse.ArgumentParser(prog="python -m surveys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("redact", help="redact JSON string lines from stdin to stdout")
    run = commands.add_parser("run", help="answer a questionnaire in the terminal")
    run.add_argument("--definition", default="practitioner", help="questionnaire id (default: practitioner)")
    args = parser.parse_args(given)
    if args.command == "redact":
        return redact_lines(sys.stdin, sys.stdout)
    try:
        return run_questionnaire(args.definition, sys.stdin, sys.stdout)
    except ContentError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
