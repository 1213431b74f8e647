"""``python -m analysis``: reports, exports, demo data and theme coding.

Sending the reports to agency leads and boards is ``python -m bot send-reports``:
Teams messages go through the bot, and analysis never imports the bot.

Every command reads DATABASE_URL (and the other settings) from the
environment and works on the most recent wave of the partnership's default
questionnaire unless ``--wave`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from analysis.collate import collate
from analysis.delivery import routing
from analysis.exports import export_table, write_export
from analysis.frame import submissions
from analysis.impact import issues, write_impact_annex
from analysis.load import WaveData, load_long, load_wave_data, resolve_wave
from analysis.measures import collated_questionnaire, load_measures
from analysis.overrides import load_overrides, save_override
from analysis.reports import write_reports
from analysis.summaries import PARTNERSHIP, Summary
from analysis.synthetic import generate
from analysis.themes import code_texts, codebook_names, load_codebook
from common.errors import SafeguardingBotError
from common.partnership import Partnership, load_partnership
from common.settings import Settings, settings_from_environment
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.responses import add_responses, count_by_agency
from storage.waves import Wave, create_wave
from surveys.loader import load_definitions
from surveys.model import Definition

REPORT_TITLE = "Safeguarding practitioner survey"
INSERT_BATCH = 5000
DEMO_DAYS = 42  # a demonstration wave runs six weeks, ending the day it is made
LOW_CONFIDENCE = 0.6


class NotCollated(LookupError):
    """A wave of a questionnaire without collated reports (the impact return: its annex is built
    on request with ``python -m analysis impact``), so there is nothing to send its leads."""


@dataclass(frozen=True)
class Context:
    settings: Settings
    partnership: Partnership
    definitions: dict[str, Definition]
    db: Database

    def definition(self, questionnaire: str) -> Definition:
        if questionnaire not in self.definitions:
            raise LookupError(f"no questionnaire definition '{questionnaire}'")
        return self.definitions[questionnaire]

    @property
    def names(self) -> dict[str, str]:
        return {a.code: a.name for a in self.partnership.agencies}


async def open_context(settings: Settings) -> Context:
    """The partnership, its questionnaires and the database (at the current schema) for a command."""
    partnership = load_partnership(settings.partnership_file)
    db = await Database.open(settings.resolved_database_url)
    await db.require_current_schema()
    return Context(settings, partnership, load_definitions(partnership), db)


async def _wave_data(ctx: Context, wave_id: int | None) -> tuple[WaveData, Definition]:
    wave = await resolve_wave(ctx.db, wave_id, ctx.partnership.default_questionnaire)
    definition = ctx.definition(wave.questionnaire)
    order = [a.code for a in ctx.partnership.agencies]
    return await load_wave_data(ctx.db, wave, definition, order), definition


def _summary(ctx: Context, data: WaveData, definition: Definition) -> Summary:
    codes = [code for code, _, _ in data.agencies]
    text_items = {item.id for item in definition.items if item.type == "text"}
    # the practitioner questionnaire has one coded item (one_change); its codebook names it
    codebook = next((book for book in map(load_codebook, codebook_names()) if book.item in text_items), None)
    overrides = load_overrides(ctx.settings.theme_overrides_file)
    summary = collate(
        data.frame,
        definition,
        load_measures(definition, codes),
        {code: head for code, _, head in data.agencies},
        ctx.settings.min_group_size,
        wave=data.wave.id,
        previous=data.previous,
        codebook=codebook,
        overrides=overrides.get(codebook.id) if codebook else None,
        min_quote_size=ctx.settings.min_quote_size,
        demo=data.wave.demo,
    )
    return replace(summary, agency_summaries=data.agency_summaries)


def _write_reports(
    ctx: Context, summary: Summary, definition: Definition, groups: Sequence[str], out: Path
) -> list[Path]:
    written = write_reports(summary, definition, groups, out, ctx.names, REPORT_TITLE)
    return list(tqdm(written, total=len(groups), desc="reports", unit="report", file=sys.stderr))


async def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    data, definition = await _wave_data(ctx, args.wave)
    codes = [code for code, _, _ in data.agencies]
    if args.agency and args.agency not in codes:
        raise LookupError(f"agency '{args.agency}' is not in wave {data.wave.id}")
    summary = _summary(ctx, data, definition)
    groups = [args.agency] if args.agency else [*codes, PARTNERSHIP]
    for folder in _write_reports(ctx, summary, definition, groups, Path(args.out)):
        print(folder)
    return 0


async def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    data, definition = await _wave_data(ctx, args.wave)
    codes = [code for code, _, _ in data.agencies]
    table = export_table(data.frame, definition, codes, ctx.settings.min_group_size, data.wave.demo)
    write_export(table, Path(args.out), args.format)
    print(f"{len(table)} responses of wave {data.wave.id} written to {args.out}")
    return 0


def _months(opens: date, closes: date) -> list[str]:
    """Each month ("YYYY-MM") from ``opens`` to ``closes`` inclusive."""
    months, day = [], opens.replace(day=1)
    while day <= closes:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


async def _fill_demo_wave(
    ctx: Context, definition: Definition, opens: date, closes: date, size: int, seed: int
) -> tuple[int, int]:
    """A demonstration wave for the period (created closed and flagged demo) filled with ``size``
    synthetic responses; (wave id, responses added). A demo wave is filled once."""
    try:
        wave = await create_wave(
            ctx.db, definition.id, definition.version, opens, closes, ctx.partnership.agencies, demo=True
        )
    except ValueError as exc:  # a live wave already has that period: never write demo data into it
        raise LookupError(str(exc)) from exc
    if sum((await count_by_agency(ctx.db, wave.id)).values()):
        raise LookupError(
            f"demonstration wave {wave.id} already holds responses; report on it with --wave {wave.id}"
        )
    agencies = [(a.code, a.headcount) for a in ctx.partnership.agencies]
    frame = generate(definition, agencies, size, wave=wave.id, months=_months(opens, closes), seed=seed)
    rows = list(submissions(frame, definition, [code for code, _ in agencies]))
    added = 0
    with tqdm(total=len(rows), desc=f"wave {wave.id}", unit="resp", file=sys.stderr) as bar:
        for start in range(0, len(rows), INSERT_BATCH):
            added += await add_responses(ctx.db, wave.id, rows[start : start + INSERT_BATCH])
            bar.update(min(INSERT_BATCH, len(rows) - start))
    return wave.id, added


async def cmd_demo_data(ctx: Context, args: argparse.Namespace) -> int:
    """Two demonstration waves, a year apart and ending today, never the live wave: every report
    made from them says it is a demonstration, and the bot never offers them to practitioners."""
    definition = ctx.definition(ctx.partnership.default_questionnaire)
    today = datetime.now(UTC).date()
    opens = today - timedelta(days=DEMO_DAYS)
    earlier = opens.replace(year=opens.year - 1, day=min(opens.day, 28))
    previous_id, _ = await _fill_demo_wave(
        ctx, definition, earlier, earlier + timedelta(days=DEMO_DAYS), args.responses, args.seed + 1
    )
    wave_id, added = await _fill_demo_wave(ctx, definition, opens, today, args.responses, args.seed)
    print(
        f"added {added} synthetic responses to demonstration wave {wave_id} "
        f"(and as many to demonstration wave {previous_id}, the year before, for comparisons); "
        f"report on them with: python -m analysis report --wave {wave_id} --out OUT"
    )
    return 0


def cmd_themes_code(settings: Settings, args: argparse.Namespace) -> int:
    codebook = load_codebook(args.codebook)
    overrides = load_overrides(settings.theme_overrides_file).get(codebook.id)
    texts = [line.rstrip("\n") for line in sys.stdin]
    for coded in code_texts(codebook, texts, overrides):
        print(json.dumps(list(coded.themes)))
    return 0


def cmd_themes_override(settings: Settings, args: argparse.Namespace) -> int:
    codebook = load_codebook(args.codebook)
    themes = [t.strip() for t in args.themes.split(",") if t.strip()]
    save_override(settings.theme_overrides_file, codebook, args.text, themes)
    print(f"override saved to {settings.theme_overrides_file}")
    return 0


async def cmd_themes_review(ctx: Context, args: argparse.Namespace) -> int:
    codebook = load_codebook(args.codebook)
    questionnaire = next(
        (d.id for d in ctx.definitions.values() if codebook.item in {item.id for item in d.items}),
        ctx.partnership.default_questionnaire,
    )
    wave = await resolve_wave(ctx.db, args.wave, questionnaire)
    _, answers = await load_long(ctx.db, wave.id)
    texts = sorted(set(answers.loc[answers["item"] == codebook.item, "value"].astype(str)))
    overrides = load_overrides(ctx.settings.theme_overrides_file).get(codebook.id)
    shown = 0
    print("confidence\tthemes\ttext")
    for text, coded in zip(texts, code_texts(codebook, texts, overrides), strict=True):
        if not coded.overridden and coded.confidence < args.below:
            status = "uncoded" if coded.confidence == 0 else f"{coded.confidence:.2f}"
            print(f"{status}\t{','.join(coded.themes)}\t{text}")
            shown += 1
    print(
        f"{shown} of {len(texts)} distinct answers need a look (wave {wave.id}, codebook {codebook.id}); "
        "record a code with: python -m analysis themes override",
        file=sys.stderr,
    )
    return 0


async def cmd_impact(ctx: Context, args: argparse.Namespace) -> int:
    wave = await resolve_wave(ctx.db, args.wave, "impact-assessment")
    definition = ctx.definition(wave.questionnaire)
    responses, answers = await load_long(ctx.db, wave.id)
    found = issues(responses, answers, definition, load_overrides(ctx.settings.theme_overrides_file))
    codes = [a.code for a in ctx.partnership.agencies if a.code in set(responses["agency"])]
    print(write_impact_annex(Path(args.out) / str(wave.id) / "impact", found, definition, codes, ctx.names))
    return 0


async def reports_to_send(ctx: Context, wave_id: int | None) -> tuple[Wave, Summary]:
    """Collate the wave and write the reports of every agency that has a lead, ready for ``deliver``.

    Used by ``python -m bot send-reports`` and by the bot's scheduled tick when a wave closes. A
    demonstration wave is refused (LookupError): its reports never go to leads; so is a wave of a
    questionnaire that is not collated (NotCollated).
    """
    data, definition = await _wave_data(ctx, wave_id)
    if data.wave.questionnaire != collated_questionnaire():
        raise NotCollated(
            f"wave {data.wave.id} ({data.wave.questionnaire}) has no collated reports to send; "
            f"its annex: python -m analysis impact --wave {data.wave.id} --out DIR"
        )
    if data.wave.demo:
        raise LookupError(
            f"wave {data.wave.id} is a demonstration wave: its reports are not sent to agency leads"
        )
    summary = _summary(ctx, data, definition)
    route = routing(ctx.partnership, data.wave.boards, [code for code, _, _ in data.agencies])
    groups = sorted({lead.agency for lead in route.leads}) + ([PARTNERSHIP] if route.recipients else [])
    _write_reports(ctx, summary, definition, groups, ctx.settings.report_dir)
    return data.wave, summary


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="write HTML, XLSX, CSV and PDF reports per agency and partnership")
    report.add_argument("--wave", type=int)
    report.add_argument("--agency", help="only this agency's report")
    report.add_argument("--out", required=True)
    export = sub.add_parser("export", help="one row per response, one column per item")
    export.add_argument("--wave", type=int)
    export.add_argument("--format", choices=["csv", "xlsx"], required=True)
    export.add_argument("--out", required=True)
    demo = sub.add_parser(
        "demo-data",
        help="realistic synthetic responses in demonstration waves of their own (never a live wave)",
    )
    demo.add_argument("--responses", type=int, required=True)
    demo.add_argument("--seed", type=int, default=1)
    impact = sub.add_parser("impact", help="the impact assessment annex: issues by category and agency")
    impact.add_argument("--wave", type=int)
    impact.add_argument("--out", required=True)
    themes = sub.add_parser("themes", help="code free text into themes; review and override codes")
    tsub = themes.add_subparsers(dest="themes_command", required=True)
    code = tsub.add_parser(
        "code", help="stdin: one text per line; stdout: one JSON list of theme ids per line"
    )
    code.add_argument("--codebook", required=True, choices=codebook_names())
    review = tsub.add_parser("review", help="list uncoded and low-confidence answers of a wave")
    review.add_argument("--codebook", default="one_change", choices=codebook_names())
    review.add_argument("--wave", type=int)
    review.add_argument("--below", type=float, default=LOW_CONFIDENCE, help="confidence below which to list")
    override = tsub.add_parser("override", help="record the analyst's themes for an answer (they win)")
    override.add_argument("--codebook", required=True, choices=codebook_names())
    override.add_argument("--text", required=True)
    override.add_argument("--themes", required=True, help="comma-separated theme ids")
    return top


COMMANDS = {
    "report": cmd_report,
    "export": cmd_export,
    "demo-data": cmd_demo_data,
    "impact": cmd_impact,
}


async def _run_with_db(settings: Settings, args: argparse.Namespace) -> int:
    ctx = await open_context(settings)
    try:
        if args.command == "themes":
            return await cmd_themes_review(ctx, args)
        return await COMMANDS[args.command](ctx, args)
    finally:
        await ctx.db.close()


# Sending goes through the bot's host, and analysis never imports the bot.
MOVED = {"send": "python -m bot send-reports"}


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given and given[0] in MOVED:
        print(f"python -m analysis {given[0]} is now {MOVED[given[0]]}", file=sys.stderr)
        return 2
    args = parser().parse_args(given)
    settings = settings_from_environment()
    try:
        if args.command == "themes" and args.themes_command == "code":
            return cmd_themes_code(settings, args)
        if args.command == "themes" and args.themes_command == "override":
            return cmd_themes_override(settings, args)
        return asyncio.run(_run_with_db(settings, args))
    except (SafeguardingBotError, LookupError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
