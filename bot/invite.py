"""``python -m bot invite --wave ID``: invite everyone who has the bot installed to answer a wave.

Sends the invitation card to every stored personal conversation, except people
who already answered the wave and conversations already invited to it. People
go in small batches (bot.fanout): who has answered is tested for the batch just
before it is sent, and the batch's outcomes are recorded together as soon as
its sends are done (storage.invitations), so a run that is interrupted, or that
met failures, is simply run again: it skips whoever was reached and retries the
rest. On Ctrl-C the batches under way are allowed to finish and be recorded, so
nobody is invited twice. Only a crash of the process itself (killed, power
lost) between a batch's sends and its record can leave people reached but not
recorded, at most the batches under way, and a rerun invites those again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botbuilder.schema import Activity

from bot import cards, wording
from bot.audience import audience, questionnaire_of
from bot.fanout import BATCH, WORKERS, fan_out
from bot.hosts import create_host
from bot.proactive import Delivery, ProactiveSender
from common.clock import clock_for
from common.errors import SafeguardingBotError
from common.partnership import Partnership, load_partnership
from common.settings import Settings, settings_from_environment
from storage import invitations
from storage.conversations import StoredReference
from storage.database import Database
from storage.submissions import submitted_among
from storage.waves import Wave, get_wave
from surveys.model import Definition

log = logging.getLogger(__name__)


class InviteRefused(SafeguardingBotError):
    """The wave cannot be invited to (unknown, closed, or not open yet); the message says why."""

    status = 409


@dataclass
class InviteSummary:
    """What one run did. ``failures`` counts the reasons (e.g. "HTTP 403: not retried")."""

    wave_id: int
    sent: int = 0
    failed: int = 0
    already_invited: int = 0
    already_answered: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        return self.already_invited + self.already_answered

    def describe(self) -> str:
        lines = [
            f"Wave {self.wave_id}: {self.sent} sent, {self.failed} failed, {self.skipped} skipped "
            f"({self.already_invited} already invited, {self.already_answered} already answered)."
        ]
        lines += [f"  {count} x {reason}" for reason, count in self.failures.most_common()]
        if self.failed:
            lines.append("Run the same command again to retry the failed ones; nobody is invited twice.")
        return "\n".join(lines)


def invitation(partnership: Partnership, definition: Definition, wave: Wave) -> Activity:
    """The invitation card: what it is, until when, what is kept, "Start the survey" (this wave's)."""
    text = wording.about_wave(wording.INVITATION, partnership, definition, wave)
    offers: list[tuple[str, dict[str, Any]]] = [
        ("Start the survey", {"action": "start", "wave": wave.id}),
        ("Ask a question", {"action": "ask"}),
    ]
    return cards.card_activity(cards.offer_card(text, offers), summary=text)


async def _check_wave(db: Database, wave_id: int, today: date) -> Wave:
    wave = await get_wave(db, wave_id)
    if wave is None:
        raise InviteRefused(f"there is no wave {wave_id}")
    if wave.closed or wave.closes < today:
        raise InviteRefused(f"wave {wave_id} closed on {wording.day(wave.closes)}")
    if wave.opens > today:
        raise InviteRefused(f"wave {wave_id} opens on {wording.day(wave.opens)}; invite people then")
    return wave


async def invite_wave(
    db: Database,
    settings: Settings,
    sender: ProactiveSender,
    wave_id: int,
    *,
    today: date,
    partnership: Partnership,
    batch: int = BATCH,
    workers: int = WORKERS,
    show_progress: bool | None = None,
) -> InviteSummary:
    """Invite every installed personal conversation to ``wave_id``; returns what was done.

    People go ``batch`` at a time, ``workers`` batches at once (bot.fanout; the
    sender paces and bounds the HTTP calls itself); ``show_progress`` None shows
    the bar only on a terminal.
    """
    wave = await _check_wave(db, wave_id, today)
    definition = questionnaire_of(wave, partnership)
    if definition is None:
        raise InviteRefused(f"wave {wave_id} asks {wave.questionnaire!r}, which is no longer defined")
    summary = InviteSummary(wave_id)
    done = await invitations.statuses(db, wave_id)
    people: list[StoredReference] = []
    for ref in await audience(db, wave, definition, partnership):
        if done.get(ref.key) == "sent":
            summary.already_invited += 1
        else:
            people.append(ref)
    message = invitation(partnership, definition, wave)
    secret = settings.secret_bytes()

    async def handle(batch: list[StoredReference]) -> list[Delivery | None]:
        persons = [ref.user_id for ref in batch if ref.user_id]
        answered = await submitted_among(db, wave_id, persons, secret)  # who answered up to now
        due = [ref for ref in batch if ref.user_id not in answered]
        sent = await sender.send_each([ref.reference for ref in due], message)
        deliveries = dict(zip((ref.key for ref in due), sent, strict=True))
        outcomes: dict[str, invitations.Status] = {
            key: "sent" if delivery.ok else "failed" for key, delivery in deliveries.items()
        }
        await invitations.mark_many(db, wave_id, outcomes)
        return [deliveries.get(ref.key) for ref in batch]

    def tally(delivery: Delivery | None) -> None:
        if delivery is None:
            summary.already_answered += 1
        elif delivery.ok:
            summary.sent += 1
        else:
            summary.failed += 1
            summary.failures[delivery.error or f"HTTP {delivery.status}"] += 1

    desc = f"Inviting to wave {wave_id}"
    await fan_out(people, handle, tally, batch=batch, workers=workers, desc=desc, show_progress=show_progress)
    return summary


async def _run(args: argparse.Namespace, settings: Settings) -> InviteSummary:
    partnership = load_partnership(settings.partnership_file)
    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    host = create_host(settings)
    try:
        await db.require_current_schema()
        sender = ProactiveSender(settings, host)
        return await invite_wave(
            db,
            settings,
            sender,
            args.wave,
            today=clock_for(settings)().date(),
            partnership=partnership,
            batch=args.batch,
            workers=args.workers,
        )
    finally:
        await host.close()
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: 0 when everyone was reached, 1 when some failed (run again), 2 when refused."""
    parser = argparse.ArgumentParser(
        prog="python -m bot invite",
        description="Send the survey invitation card to everyone who has the bot installed in Teams. "
        "Skips people who already answered or were already invited; safe to run again.",
    )
    parser.add_argument("--wave", type=int, required=True, help="id of the wave to invite people to")
    parser.add_argument(
        "--batch",
        type=int,
        default=BATCH,
        help=f"people checked, sent to and recorded together (default {BATCH})",
    )
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"batches of people handled at once (default {WORKERS})"
    )
    args = parser.parse_args(argv)
    settings = settings_from_environment()
    logging.basicConfig(level=settings.log_level)
    try:
        summary = asyncio.run(_run(args, settings))
    except SafeguardingBotError as exc:
        print(f"Cannot send invitations: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped. Run the same command again to carry on where it stopped.", file=sys.stderr)
        return 130
    print(summary.describe())
    return 1 if summary.failed else 0
