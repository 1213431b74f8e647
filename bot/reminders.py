"""Survey reminders: a card to people who have not answered a wave, on the wave's schedule.

The schedule is a few days before the wave closes (REMINDER_DAYS, or the wave's
own: storage.reminders); each of those days starts a *round*, and each person
gets at most one reminder per round, never two on one day (of any waves: someone
due reminders of two waves gets the one closing sooner, the other the next day,
as its round is still under way), never on a day they paused or resumed the
survey, never after opting out, and never once they have answered: that is
tested against the submission tokens just before each small batch is sent (the
only fact about answering the bot has, and it says nothing about what was
answered). Everything is claimed before it is sent, a batch at a time
(storage.reminders.claim_many), and the batch's outcomes are recorded together
once its sends are done, so a run that is interrupted, rerun or run twice sends
nobody the same reminder twice (a crash between claim and record costs those
people that round's reminder, never a second one). Sends go through the one
paced sender.

A person stops them with the card's "Stop reminders" button or by typing
"stop reminders" (every wave open now).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from botbuilder.schema import Activity

from bot import cards, wording
from bot.audience import audience, questionnaire_of
from bot.fanout import BATCH, WORKERS, fan_out
from bot.proactive import Delivery, ProactiveSender
from bot.replies import Replies
from common.partnership import Partnership
from common.settings import Settings
from storage import reminders
from storage.conversations import StoredReference
from storage.database import Database
from storage.errors import NotFound, WaveKeyGone
from storage.submissions import submitted_among
from storage.waves import Wave, get_wave, list_waves
from surveys.model import Definition

log = logging.getLogger(__name__)

STOP_ACTION = "reminders_off"
STOP_WORDS = frozenset({"stop reminders", "stop reminding me", "no more reminders", "no reminders"})
STOPPED = (
    "You won't get any more reminders for this survey. You can still answer it until it closes: "
    'type "start survey" whenever you like.'
)
NOTHING_TO_STOP = "There's no survey open at the moment, so there are no reminders to stop."


def reminder_card(partnership: Partnership, definition: Definition, wave: Wave) -> Activity:
    """The reminder: when the wave closes, what is kept, this wave's "Start the survey", "Stop reminders"."""
    text = wording.about_wave(wording.REMINDER, partnership, definition, wave)
    offers: list[tuple[str, dict[str, Any]]] = [
        ("Start the survey", {"action": "start", "wave": wave.id}),
        ("Stop reminders", {"action": STOP_ACTION, "wave": wave.id}),
    ]
    return cards.card_activity(cards.offer_card(text, offers), summary=text)


def rounds(wave: Wave, days: Sequence[int]) -> list[date]:
    """The days the wave's reminder rounds start, earliest first (none before the wave opens)."""
    return sorted(
        {wave.closes - timedelta(days=d) for d in days if wave.closes - timedelta(days=d) >= wave.opens}
    )


def due_round(wave: Wave, days: Sequence[int], today: date) -> date | None:
    """The round under way on ``today`` (the latest started); None before the first or when not open."""
    if not wave.is_open_on(today):
        return None
    started = [day for day in rounds(wave, days) if day <= today]
    return started[-1] if started else None


@dataclass
class ReminderSummary:
    """What one reminder run did for one wave and round."""

    wave_id: int
    due: date
    sent: int = 0
    failed: int = 0
    answered: int = 0
    settled: int = 0  # reminded this round already, opted out, reminded or paused today
    failures: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        lines = [
            f"Wave {self.wave_id}, reminder of {self.due}: {self.sent} sent, {self.failed} failed, "
            f"{self.answered} already answered, {self.settled} not due a reminder now."
        ]
        lines += [f"  {count} x {reason}" for reason, count in self.failures.most_common()]
        return "\n".join(lines)


async def reminded_today(
    db: Database, settings: Settings, waves: Sequence[Wave], partnership: Partnership, today: date
) -> set[str]:
    """The people already sent a reminder of any of ``waves`` today (by an earlier run today).

    Each wave's rows name people by that wave's own keyed hash, so they are
    matched by hashing each person of the wave's audience: no row links a
    person's waves together.
    """
    secret = settings.secret_bytes()
    people: set[str] = set()
    for wave in waves:
        rows = await reminders.marks(db, wave.id)
        sent_today = {person for person, row in rows.items() if row.sent_on == today}
        definition = questionnaire_of(wave, partnership)
        if sent_today and definition is not None:
            hash_person = await reminders.hasher(db, wave.id, secret)
            people.update(
                ref.user_id
                for ref in await audience(db, wave, definition, partnership)
                if ref.user_id and hash_person(ref.user_id) in sent_today
            )
    return people


async def remind_wave(
    db: Database,
    settings: Settings,
    sender: ProactiveSender,
    wave: Wave,
    *,
    today: date,
    partnership: Partnership,
    reminded: set[str] | None = None,
    batch: int = BATCH,
    workers: int = WORKERS,
    show_progress: bool | None = None,
) -> ReminderSummary | None:
    """Send the wave's reminder round due on ``today`` to whoever it is due to; None when no round is due.

    ``reminded`` holds the people reminded of another wave today: they are not
    due one now (at most one reminder a day, whatever the waves; the round is
    still under way tomorrow), and it gains whoever this run reminds.
    """
    definition = questionnaire_of(wave, partnership)
    due = due_round(wave, await reminders.days_for(db, wave.id, settings.reminder_days), today)
    if due is None or definition is None:
        return None
    reminded = set() if reminded is None else reminded
    secret = settings.secret_bytes()
    hash_person = await reminders.hasher(db, wave.id, secret)
    summary = ReminderSummary(wave.id, due)
    people: dict[str, StoredReference] = {}
    for ref in await audience(db, wave, definition, partnership):
        if ref.user_id:
            people.setdefault(ref.user_id, ref)  # one person, one reminder, whatever their conversations
    rows = await reminders.marks(db, wave.id)
    answered = await submitted_among(db, wave.id, list(people), secret)
    candidates = []
    for person, ref in people.items():
        if person in answered:
            summary.answered += 1
        elif person not in reminded and reminders.may_claim(rows.get(hash_person(person)), due, today):
            candidates.append(ref)
        else:
            summary.settled += 1
    message = reminder_card(partnership, definition, wave)

    async def handle(batch: list[StoredReference]) -> list[Delivery | str]:
        persons = [str(ref.user_id) for ref in batch]
        answered = await submitted_among(db, wave.id, persons, secret)  # answered since the run began
        hashed = {person: hash_person(person) for person in persons if person not in answered}
        claimed = await reminders.claim_many(db, wave.id, list(hashed.values()), due, today)
        to_send = [ref for ref in batch if hashed.get(str(ref.user_id)) in claimed]
        sent = await sender.send_each([ref.reference for ref in to_send], message)
        deliveries = {str(ref.user_id): delivery for ref, delivery in zip(to_send, sent, strict=True)}
        reminded.update(person for person, delivery in deliveries.items() if delivery.ok)
        outcomes = {hashed[person]: delivery.ok for person, delivery in deliveries.items()}
        await reminders.finish_many(db, wave.id, outcomes, today)
        return ["answered" if person in answered else deliveries.get(person, "settled") for person in persons]

    def tally(outcome: Delivery | str) -> None:
        if outcome == "answered":
            summary.answered += 1
        elif outcome == "settled":
            summary.settled += 1
        elif isinstance(outcome, Delivery) and outcome.ok:
            summary.sent += 1
        elif isinstance(outcome, Delivery):
            summary.failed += 1
            summary.failures[outcome.error or f"HTTP {outcome.status}"] += 1

    desc = f"Reminding wave {wave.id}"
    await fan_out(
        candidates, handle, tally, batch=batch, workers=workers, desc=desc, show_progress=show_progress
    )
    return summary


# --- from the person's side (turns) ------------------------------------------------------------


async def stop(db: Database, secret: bytes, person: str, wave_id: int | None, today: date) -> Replies:
    """Opt ``person`` out of reminders for one wave (the card's button) or, with None, every open wave."""
    if wave_id is None:
        waves = [wave for wave in await list_waves(db) if wave.is_open_on(today)]
    else:
        wave = await get_wave(db, wave_id)
        waves = [wave] if wave is not None and not wave.closed else []
    for wave in waves:
        try:
            await reminders.opt_out(db, wave.id, (await reminders.hasher(db, wave.id, secret))(person))
        except (WaveKeyGone, NotFound):
            continue  # closed meanwhile: there will be no more reminders anyway
    return Replies().add(cards.text_activity(STOPPED if waves else NOTHING_TO_STOP))


async def note_quiet_day(db: Database, secret: bytes, wave_id: int, person: str, today: date) -> None:
    """The person paused or resumed the wave's survey today: no reminder today (a failure is logged only)."""
    try:
        await reminders.note_quiet(db, wave_id, (await reminders.hasher(db, wave_id, secret))(person), today)
    except Exception:  # a lost note costs at worst one reminder on the same day; it must not fail the turn
        log.warning("could not note a paused or resumed survey for reminders", exc_info=True)
