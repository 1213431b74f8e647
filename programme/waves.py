"""``python -m programme waves``: list, open, extend and close survey waves, year after year.

A wave is one questionnaire (at its current version) open between two days,
for some agencies (their frontline headcounts copied from the partnership file
when it opens, so later edits of the file do not rewrite past response rates)
and one or more boards. Closing flushes every confirmed response and destroys
the wave's key (``storage.submissions.close_wave``); ``--reports`` then builds
and sends the reports as ``python -m bot send-reports`` does.

Every problem is one line on stderr and exit status 2: an unknown
questionnaire, agency, board or wave, a date in the past, a close before the
opening, or a period that meets another open wave of the same questionnaire.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

from common.errors import SafeguardingBotError
from common.partnership import Agency, Partnership, load_partnership
from common.settings import Settings, settings_from_environment
from storage.cli import describe_close
from storage.database import Database
from storage.errors import StorageError
from storage.submissions import close_wave
from storage.waves import (
    Wave,
    create_wave,
    extend_wave,
    get_wave,
    list_waves,
    overlapping,
    wave_agencies,
)
from surveys.loader import load_definitions


class WaveProblem(Exception):
    """A request the command refuses; its message is the one line printed."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _codes(text: str) -> list[str]:
    return [code.strip() for code in text.split(",") if code.strip()]


def chosen_agencies(
    partnership: Partnership, codes: Sequence[str] | None, boards: Sequence[str]
) -> list[Agency]:
    """The agencies of a new wave: ``codes`` if given, else those of its boards (all by default)."""
    for name in boards:
        if name not in partnership.board_names:
            have = ", ".join(partnership.board_names) or "none"
            raise WaveProblem(f"unknown board '{name}' (the partnership file names: {have})")
    if codes:
        known = {agency.code for agency in partnership.agencies}
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise WaveProblem(f"unknown agency code(s) {', '.join(unknown)} (see the partnership file)")
        return [agency for agency in partnership.agencies if agency.code in codes]
    members = {code for name in boards for code in partnership.board(name).agencies}
    return [agency for agency in partnership.agencies if not boards or agency.code in members]


def check_period(opens: date, closes: date, today: date) -> None:
    """A new wave opens today or later and closes on or after the day it opens."""
    if opens < today:
        raise WaveProblem(f"--opens {opens} is in the past (today is {today})")
    if closes < opens:
        raise WaveProblem(f"--closes {closes} is before --opens {opens}")


async def _with_db(settings: Settings, run: Callable[[Database], Awaitable[str]]) -> str:
    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    try:
        await db.require_current_schema()
        return await run(db)
    finally:
        await db.close()


def _state(wave: Wave, today: date) -> str:
    if wave.closed:
        return "closed"
    if wave.opens > today:
        return "scheduled"
    return "open" if wave.closes >= today else "ended (not yet closed)"


async def list_command(
    settings: Settings, partnership: Partnership, args: argparse.Namespace, today: date
) -> str:
    async def run(db: Database) -> str:
        waves = await list_waves(db)
        if not waves:
            return "no waves yet: open one with python -m programme waves open"
        lines = ["id\tquestionnaire\topens\tcloses\tstate\tboards\tagencies"]
        for wave in waves:
            agencies = await wave_agencies(db, wave.id)
            boards = ",".join(wave.boards) or "all"
            lines.append(
                f"{wave.id}\t{wave.questionnaire} v{wave.version}\t{wave.opens}\t{wave.closes}\t"
                f"{_state(wave, today)}\t{boards}\t{len(agencies)}"
            )
        return "\n".join(lines)

    return await _with_db(settings, run)


async def open_command(
    settings: Settings, partnership: Partnership, args: argparse.Namespace, today: date
) -> str:
    definitions = load_definitions(partnership)
    definition = definitions.get(args.questionnaire)
    if definition is None:
        raise WaveProblem(
            f"unknown questionnaire '{args.questionnaire}' (have: {', '.join(sorted(definitions))})"
        )
    check_period(args.opens, args.closes, today)
    boards = list(dict.fromkeys(args.board or ()))
    agencies = chosen_agencies(partnership, args.agencies, boards)
    if not agencies:
        raise WaveProblem("no agencies to open the wave for")

    async def run(db: Database) -> str:
        clash = await overlapping(db, definition.id, args.opens, args.closes)
        if clash is not None:
            raise WaveProblem(
                f"wave {clash.id} of {definition.id} already runs from {clash.opens} to {clash.closes}: "
                "extend it, or choose dates after it closes"
            )
        try:
            wave = await create_wave(
                db, definition.id, definition.version, args.opens, args.closes, agencies, boards=boards
            )
        except ValueError as exc:  # a demonstration wave already has that period
            raise WaveProblem(str(exc)) from None
        known = sum(1 for agency in agencies if agency.headcount is not None)
        return (
            f"wave {wave.id} opened: {definition.title} (v{wave.version}), {wave.opens} to {wave.closes}, "
            f"{len(agencies)} agencies ({known} with a headcount), boards: {', '.join(boards) or 'all'}"
        )

    return await _with_db(settings, run)


async def extend_command(
    settings: Settings, partnership: Partnership, args: argparse.Namespace, today: date
) -> str:
    if args.closes < today:
        raise WaveProblem(f"--closes {args.closes} is in the past (today is {today})")

    async def run(db: Database) -> str:
        try:
            wave = await extend_wave(db, args.wave_id, args.closes)
        except ValueError as exc:
            raise WaveProblem(str(exc)) from None
        return f"wave {wave.id} now closes on {wave.closes}"

    return await _with_db(settings, run)


async def close_command(
    settings: Settings, partnership: Partnership, args: argparse.Namespace, today: date
) -> str:
    async def run(db: Database) -> str:
        wave = await get_wave(db, args.wave_id)
        if wave is None or wave.demo:
            raise WaveProblem(f"no live wave {args.wave_id} (see python -m programme waves list)")
        closed = await close_wave(db, wave.id, secret=settings.secret_bytes())
        return describe_close(wave.id, closed)

    return await _with_db(settings, run)


COMMANDS = {"list": list_command, "open": open_command, "extend": extend_command, "close": close_command}


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``waves`` command and its subcommands, added to ``python -m programme``."""
    waves = commands.add_parser("waves", help="list, open, extend and close survey waves")
    waves.add_argument("--today", type=_day, help="the date to act as of (default: today)")
    sub = waves.add_subparsers(dest="waves_command", required=True)
    sub.add_parser("list", help="every wave, oldest first, with its state and boards")
    opening = sub.add_parser("open", help="open a wave of a questionnaire for a period")
    opening.add_argument("--questionnaire", required=True, help="questionnaire id, e.g. practitioner")
    opening.add_argument("--opens", required=True, type=_day, help="first day, YYYY-MM-DD (today or later)")
    opening.add_argument("--closes", required=True, type=_day, help="last day, YYYY-MM-DD")
    opening.add_argument(
        "--agencies", type=_codes, help="comma-separated agency codes (default: its boards')"
    )
    opening.add_argument(
        "--board", action="append", help="a board the wave belongs to (repeatable; default: every board)"
    )
    extend = sub.add_parser("extend", help="move a wave's closing day")
    extend.add_argument("wave_id", type=int, metavar="ID")
    extend.add_argument("--closes", required=True, type=_day, help="new last day, YYYY-MM-DD")
    close = sub.add_parser("close", help="store every confirmed response, destroy the wave's key")
    close.add_argument("wave_id", type=int, metavar="ID")
    close.add_argument(
        "--reports",
        action="store_true",
        help="then build and send the reports (as python -m bot send-reports)",
    )


def run(args: argparse.Namespace) -> int:
    """Run one ``waves`` subcommand; 0 on success, 2 with one line on stderr when it is refused."""
    name = args.waves_command
    try:
        settings = settings_from_environment()
        partnership = load_partnership(settings.partnership_file)
        day = args.today or datetime.now(UTC).date()
        print(asyncio.run(COMMANDS[name](settings, partnership, args, day)))
    except (WaveProblem, SafeguardingBotError, StorageError) as exc:
        print(f"python -m programme waves {name}: {exc}", file=sys.stderr)
        return 2
    if name == "close" and args.reports:
        # Imported only now: sending loads the analysis stack (pandas, charts, PDF) and a bot host.
        from bot.send_reports import main as send_reports

        return send_reports(["--wave", str(args.wave_id)])
    return 0
