"""``python -m bot send-reports [--wave ID]``: send each agency lead their summary and signed report
link, and each board's report recipients the partnership report, by Teams and/or email.

The reports and what goes to each reader are built by ``analysis`` (its
``reports_to_send`` and ``analysis.delivery``); only the sending is here,
because Teams messages go through the bot's host. So ``analysis`` never imports
the bot, and the bot may import ``analysis``.

Prints one line per reader and channel (agency, channel, address, sent or NOT
SENT, detail); exit status 1 when any send failed, 2 with one line on stderr
when the wave cannot be reported (unknown, a demonstration wave, no database).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from analysis.cli import Context, open_context, reports_to_send
from analysis.delivery import Sent, deliver, routing
from analysis.reports import report_dir
from analysis.summaries import PARTNERSHIP
from bot.hosts import create_host
from bot.proactive import ProactiveSender
from common.errors import SafeguardingBotError
from common.settings import settings_from_environment
from storage.errors import StorageUnavailable


async def send_reports(ctx: Context, wave_id: int | None) -> int:
    """Build the wave's reports and send them; 0 when every send succeeded, else 1."""
    wave, summary = await reports_to_send(ctx, wave_id)
    route = routing(ctx.partnership, wave.boards, set(summary.groups) - {PARTNERSHIP})
    teams = host = None
    if any(lead.teams_user for lead in route.leads) or any(r.teams_user for r in route.recipients):
        host = create_host(ctx.settings)
        teams = ProactiveSender(ctx.settings, host, db=ctx.db)
    try:
        results: list[Sent] = await deliver(
            ctx.settings, ctx.partnership, summary, datetime.now(UTC), teams, wave.boards
        )
    finally:
        if host is not None:
            await host.close()
    for sent in results:
        print(f"{sent.agency}\t{sent.channel}\t{sent.to}\t{'sent' if sent.ok else 'NOT SENT'}\t{sent.detail}")
    folder = report_dir(ctx.settings.report_dir, wave.id, PARTNERSHIP).parent
    print(f"reports for wave {wave.id} under {folder}", file=sys.stderr)
    return 0 if all(s.ok for s in results) else 1


async def _run(wave_id: int | None) -> int:
    ctx = await open_context(settings_from_environment())
    try:
        return await send_reports(ctx, wave_id)
    finally:
        await ctx.db.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot send-reports",
        description="send each agency lead their summary and signed report link, and each board its report",
    )
    parser.add_argument("--wave", type=int, help="default: the latest wave of the default questionnaire")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run(args.wave))
    except (SafeguardingBotError, LookupError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
