"""``python -m bot reminder-days --wave ID --days 7,2``: a wave's own reminder schedule.

Days before the wave closes on which people who have not answered are
reminded (by ``python -m bot tick``); ``--days ""`` turns reminders off for
the wave. A wave without its own schedule follows REMINDER_DAYS.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.reminders import rounds
from common.errors import SafeguardingBotError
from common.settings import Settings, settings_from_environment
from storage import reminders
from storage.database import Database
from storage.errors import NotFound
from storage.waves import get_wave


async def _set(settings: Settings, wave_id: int, days: tuple[int, ...]) -> str:
    db = await Database.open(settings.resolved_database_url)
    try:
        await db.require_current_schema()
        wave = await get_wave(db, wave_id)
        if wave is None:
            raise NotFound(f"there is no wave {wave_id}")
        await reminders.set_days(db, wave_id, days)
        on = ", ".join(str(day) for day in rounds(wave, days)) or "no days"
        return f"Wave {wave_id} (closes {wave.closes}): reminders on {on}."
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot reminder-days", description=__doc__.splitlines()[0])
    parser.add_argument("--wave", type=int, required=True, help="the wave's id")
    parser.add_argument("--days", required=True, help='days before closing, e.g. "7,2"; "" for none')
    args = parser.parse_args(argv)
    try:
        days = reminders.parse_days(args.days)
    except ValueError as exc:
        print(f"--days: {exc}", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(_set(settings_from_environment(), args.wave, days)))
    except SafeguardingBotError as exc:
        print(f"Cannot set the reminder days: {exc}", file=sys.stderr)
        return 2
    return 0
