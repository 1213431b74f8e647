"""``python -m assessments``: open a round, hand out and read back workbooks, and build the board's report.

Every command reads DATABASE_URL and PARTNERSHIP_FILE (and the other settings)
from the environment and works on the current round (the latest one that has
opened) unless ``--round`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from assessments.board import board_view
from assessments.gather import evidence_for, load_round
from assessments.loader import load_standard_sets
from assessments.model import StandardSet
from assessments.records import from_record, to_record
from assessments.report import write_report
from assessments.workbook import RoundInfo, WorkbookProblems, read_header, read_return, write_template
from common.errors import SafeguardingBotError
from common.partnership import Partnership, load_partnership
from common.settings import settings_from_environment
from storage import assessments as store
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.waves import latest_wave

DEFAULT_STANDARDS = "section11-adults-2018"


class UsageError(SafeguardingBotError):
    """A command that cannot be carried out as asked; the message says why."""


@dataclass(frozen=True)
class Context:
    partnership: Partnership
    standard_sets: dict[str, StandardSet]
    db: Database
    today: date

    def standards(self, set_id: str) -> StandardSet:
        if set_id not in self.standard_sets:
            raise UsageError(f"no standards set '{set_id}' (known: {', '.join(sorted(self.standard_sets))})")
        return self.standard_sets[set_id]

    async def round(self, round_id: int | None) -> store.Round:
        found = (
            await store.get_round(self.db, round_id)
            if round_id is not None
            else await store.current_round(self.db, self.today)
        )
        if found is None:
            raise UsageError(
                f"no round {round_id}"
                if round_id is not None
                else "no round has opened: run `round open` first"
            )
        return found

    def agency(self, code: str) -> tuple[str, str]:
        try:
            found = self.partnership.agency(code)
        except KeyError:
            raise UsageError(f"unknown agency '{code}' (not in the partnership file)") from None
        return found.code, found.name

    @property
    def codes(self) -> list[str]:
        return [a.code for a in self.partnership.agencies]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-03") from None


async def cmd_round_open(ctx: Context, args: argparse.Namespace) -> int:
    ctx.standards(args.standards)
    opens = args.opens or ctx.today
    wave_id = args.wave
    if wave_id is None:
        wave = await latest_wave(ctx.db, ctx.partnership.default_questionnaire)
        wave_id = wave.id if wave else None
    try:
        opened = await store.create_round(
            ctx.db,
            title=args.title,
            standards=args.standards,
            opens=opens,
            returns_by=args.returns_by,
            analysis_on=args.analysis,
            wave_id=wave_id,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    wave_note = f"questionnaire evidence from wave {wave_id}" if wave_id else "no practitioner wave yet"
    print(
        f"round {opened.id} '{opened.title}' opens {opened.opens},"
        f" returns by {opened.returns_by}; {wave_note}"
    )
    return 0


async def cmd_round_list(ctx: Context, args: argparse.Namespace) -> int:
    for found in await store.list_rounds(ctx.db):
        pending = await store.not_returned(ctx.db, found.id, ctx.codes)
        print(
            f"{found.id}\t{found.title}\t{found.standards}\topens {found.opens}"
            f"\treturns by {found.returns_by}"
            f"\tanalysis {found.analysis_on or '-'}\twave {found.wave_id or '-'}"
            f"\treturned {len(ctx.codes) - len(pending)}/{len(ctx.codes)}"
        )
    return 0


async def cmd_pending(ctx: Context, args: argparse.Namespace) -> int:
    found = await ctx.round(args.round)
    pending = await store.not_returned(ctx.db, found.id, ctx.codes)
    days = (found.returns_by - ctx.today).days
    when = f"due in {days} day(s)" if days >= 0 else f"{-days} day(s) overdue"
    print(f"round {found.id}: returns {when} ({found.returns_by}); not returned: {len(pending)}")
    for code in pending:
        print(f"{code}\t{ctx.partnership.agency(code).name}")
    return 0


async def cmd_template(ctx: Context, args: argparse.Namespace) -> int:
    code, name = ctx.agency(args.agency)
    found = await ctx.round(args.round)
    standards = ctx.standards(found.standards)
    earlier = await store.read_returns(ctx.db, found.id, [code])
    write_template(
        Path(args.out),
        standards,
        RoundInfo(found.id, found.title, found.standards, found.returns_by),
        (code, name),
        from_record(earlier[0]) if earlier else None,
    )
    print(f"wrote {args.out} for {name}, round {found.id} (return by {found.returns_by})")
    return 0


async def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        code, round_id = read_header(path)
        ctx.agency(code)
        found = await ctx.round(round_id)
        earlier = await store.read_returns(ctx.db, found.id, [code])
        stored = from_record(earlier[0]).alternative if earlier else None
        evidence = await evidence_for(ctx.db, found, code, ctx.partnership.questionnaire_target, stored)
        read = read_return(path, ctx.standards(found.standards), evidence, ctx.today)
    except WorkbookProblems as problems:
        print(
            f"{path.name}: not imported, {len(problems.problems)} problem(s) to put right:", file=sys.stderr
        )
        for problem in problems.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    await store.save_return(ctx.db, to_record(read.returned))
    print(f"imported the return of {code} for round {found.id}")
    for judgement in read.judgements:  # the agency's own rating kept; what stands, and why
        if judgement.downgraded and judgement.self_rating and judgement.standing:
            reasons = "; then ".join(d.reason for d in judgement.downgrades)
            own, standing = judgement.self_rating.label, judgement.standing.label
            print(f"  {judgement.standard}: rated {own}, stands as {standing}: {reasons}")
    return 0


async def cmd_alternative(ctx: Context, args: argparse.Namespace) -> int:
    code, name = ctx.agency(args.agency)
    found = await ctx.round(args.round)
    decision = "accepted" if args.accept else "rejected"
    await store.decide_alternative(ctx.db, found.id, code, decision)
    print(f"the alternative questionnaire of {name} is {decision} for round {found.id}")
    return 0


async def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    found = await ctx.round(args.round)
    target = ctx.partnership.questionnaire_target
    current = await load_round(ctx.db, found, ctx.codes, target)
    earlier = await store.previous_round(ctx.db, found)
    previous = await load_round(ctx.db, earlier, ctx.codes, target) if earlier else None
    view = board_view(
        ctx.standards(found.standards),
        current,
        previous,
        ctx.standard_sets.get(earlier.standards) if earlier else None,
        [(a.code, a.name) for a in ctx.partnership.agencies],
        ctx.today,
    )
    for path in write_report(view, Path(args.out)):
        print(f"wrote {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m assessments",
        description="The agencies' safeguarding self-assessment: rounds, workbooks and the board's report.",
    )
    top.add_argument("--today", type=_day, help="the date to act as of (default: today)")
    sub = top.add_subparsers(dest="command", required=True)
    rounds = sub.add_parser("round", help="open and list self-assessment rounds")
    rsub = rounds.add_subparsers(dest="round_command", required=True)
    opening = rsub.add_parser("open", help="open a round for every agency in the partnership file")
    opening.add_argument("--title", required=True, help='e.g. "2026-27"')
    opening.add_argument("--returns-by", type=_day, required=True, help="the return date, e.g. 2026-12-03")
    opening.add_argument("--opens", type=_day, help="default: today")
    opening.add_argument("--analysis", type=_day, help="the board's analysis date")
    opening.add_argument("--standards", default=DEFAULT_STANDARDS, help="the standards set id")
    opening.add_argument("--wave", type=int, help="the practitioner wave (default: the latest one)")
    rsub.add_parser("list", help="every round with how many agencies have returned")
    pending = sub.add_parser("pending", help="agencies that have not returned (whom to remind)")
    pending.add_argument("--round", type=int)
    template = sub.add_parser("template", help="an agency's workbook to fill in")
    template.add_argument("--agency", required=True)
    template.add_argument("--out", required=True)
    template.add_argument("--round", type=int)
    importing = sub.add_parser("import", help="read back a filled-in workbook")
    importing.add_argument("file")
    alternative = sub.add_parser("alternative", help="accept or reject an agency's alternative questionnaire")
    alternative.add_argument("--agency", required=True)
    alternative.add_argument("--round", type=int)
    choice = alternative.add_mutually_exclusive_group(required=True)
    choice.add_argument("--accept", action="store_true")
    choice.add_argument("--reject", action="store_true")
    report = sub.add_parser("report", help="the board's report: HTML, XLSX and CSV")
    report.add_argument("--out", required=True)
    report.add_argument("--round", type=int)
    return top


COMMANDS = {
    "pending": cmd_pending,
    "template": cmd_template,
    "import": cmd_import,
    "alternative": cmd_alternative,
    "report": cmd_report,
}
ROUND_COMMANDS = {"open": cmd_round_open, "list": cmd_round_list}


async def _run(args: argparse.Namespace) -> int:
    settings = settings_from_environment()
    partnership = load_partnership(settings.partnership_file)
    db = await Database.open(settings.resolved_database_url)
    try:
        await db.require_current_schema()
        ctx = Context(partnership, load_standard_sets(), db, args.today or datetime.now(UTC).date())
        if args.command == "round":
            return await ROUND_COMMANDS[args.round_command](ctx, args)
        return await COMMANDS[args.command](ctx, args)
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "import" and not Path(args.file).is_file():
        print(f"error: {args.file} does not exist", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except (SafeguardingBotError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
