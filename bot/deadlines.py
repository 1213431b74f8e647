"""Reminders of the agencies' self-assessment deadlines, sent by the scheduled tick to agency leads.

Two kinds, each sent once (storage.jobs records it, keyed by round, agency,
standard and date, never a person):

- a return not yet submitted, ``DEADLINE_REMINDER_DAYS`` before the round's
  return date (and up to the date itself, if the tick was not running then);
- an action not done, from ``DEADLINE_REMINDER_DAYS`` before its due date (an
  action already overdue when first seen is reminded once too). A new due
  date is a new reminder.

Each goes to every lead the partnership file names for the agency, in their
personal chat with the bot. A lead who has not installed the bot is a
failure with the reason, tried again on the next ticks (three attempts).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot import cards, wording
from bot.proactive import ProactiveSender
from common.partnership import AgencyLead, Partnership
from storage import assessments, jobs
from storage.database import Database

RETURN_DUE = (
    "A reminder: {agency}'s self-assessment return for “{title}” is due by {day}. Type "
    '"self-assessment" to complete it here, one standard at a time, or send the workbook to the '
    "partnership's business unit."
)
ACTION_DUE = (
    "A reminder: an action from {agency}'s self-assessment falls due on {day}. Standard {standard}: "
    '“{actions}” (lead: {lead}). Type "my actions" to update its status.'
)
DONE = "done"


@dataclass
class DeadlineSummary:
    sent: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"Deadline reminders: {self.sent} sent, {self.failed} failed."]
        return "\n".join(lines + [f"  {reason}" for reason in self.reasons])


def lead_key(lead: AgencyLead) -> str:
    """A short stable name for a lead in a job key (the partnership file's entry, hashed)."""
    return hashlib.sha256(f"{lead.teams_user or ''}|{lead.email or ''}".encode()).hexdigest()[:12]


async def _once(
    db: Database,
    sender: ProactiveSender,
    key: str,
    leads: Sequence[AgencyLead],
    text: str,
    today: date,
    summary: DeadlineSummary,
) -> None:
    for lead in leads:
        job = f"{key}/{lead_key(lead)}"
        if not await jobs.claim(db, job):
            continue
        delivery = await sender.send_to_lead(lead, cards.text_activity(text))
        detail = "" if delivery.ok else (delivery.error or f"HTTP {delivery.status}")
        await jobs.finish(db, job, "done" if delivery.ok else "failed", detail, today)
        if delivery.ok:
            summary.sent += 1
        else:
            summary.failed += 1
            summary.reasons.append(f"{job}: {detail}")


async def remind_deadlines(
    db: Database, sender: ProactiveSender, partnership: Partnership, *, today: date, days: int
) -> DeadlineSummary:
    """Send the return and action reminders due on ``today`` (see the module docstring)."""
    summary = DeadlineSummary()
    leads: dict[str, list[AgencyLead]] = defaultdict(list)
    for lead in partnership.agency_leads:
        leads[lead.agency].append(lead)
    names = {agency.code: agency.name for agency in partnership.agencies}
    window = timedelta(days=days)
    for round_ in await assessments.list_rounds(db):
        if round_.opens <= today <= round_.returns_by and today >= round_.returns_by - window:
            for agency in await assessments.not_returned(db, round_.id, sorted(leads)):
                text = RETURN_DUE.format(
                    agency=names.get(agency, agency), title=round_.title, day=wording.day(round_.returns_by)
                )
                await _once(
                    db, sender, f"assessment-return/{round_.id}/{agency}", leads[agency], text, today, summary
                )
        for returned in await assessments.read_returns(db, round_.id, sorted(leads)):
            if returned.status != assessments.SUBMITTED:
                continue  # a draft's actions are not the agency's yet
            for entry in returned.entries:
                if (
                    not entry.actions
                    or entry.due is None
                    or entry.status == DONE
                    or today < entry.due - window
                ):
                    continue
                text = ACTION_DUE.format(
                    agency=names.get(returned.agency, returned.agency),
                    day=wording.day(entry.due),
                    standard=entry.standard,
                    actions=entry.actions,
                    lead=entry.lead or "not named",
                )
                key = f"assessment-action/{round_.id}/{returned.agency}/{entry.standard}/{entry.due}"
                await _once(db, sender, key, leads[returned.agency], text, today, summary)
    return summary
