"""How long anything about a person is kept, enforced by the bot itself (hourly) and by the CLI.

Every table that holds anything about a person, why, and for how long
(docs/anonymity.md has the same table for readers):

==========================  ======================================  =====================================
table                       why it exists                           kept until
==========================  ======================================  =====================================
bot_state (surveys)         in-progress answers, sealed             untouched STATE_TTL_DAYS (a confirmed
                                                                    response waits for its batch); all of
                                                                    a wave's go when it closes
bot_state (other)           turn state of a conversation            untouched STATE_TTL_DAYS
submission_tokens           "has this person answered" (keyed HMAC) the wave closes
wave_keys                   opens the wave's sealed documents       the wave closes
conversation_references     where to send invitations and answers   not seen for REFERENCE_MONTHS, or the
                                                                    bot is removed
invitations                 which references a wave has invited     the wave closes
expert_routes               the way back to an expert question's    the answer is delivered, or
                            asker (sealed)                          EXPERT_ROUTE_DAYS
expert_questions            questions and answers, no asker         EXPERT_QUESTION_MONTHS
guidance_log                topic, confidence, helpful, plain       GUIDANCE_LOG_MONTHS
                            questions
==========================  ======================================  =====================================

Responses and answers hold nothing about a person (agency, role bands, the
month) and are kept as the partnership's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from common.settings import Settings
from storage.affected import affected
from storage.database import Database
from storage.experts import purge_expired_routes
from storage.models import (
    BotStateRow,
    ConversationReferenceRow,
    ExpertQuestionRow,
    GuidanceLogRow,
    InvitationRow,
    ReminderRow,
    WaveKeyRow,
    WaveRow,
)
from storage.survey_state import SURVEY_PREFIX


@dataclass(frozen=True)
class Retention:
    """The retention periods (from the settings of the same names)."""

    state_days: int
    reference_months: int
    expert_question_months: int
    guidance_log_months: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            settings.state_ttl_days,
            settings.reference_months,
            settings.expert_question_months,
            settings.guidance_log_months,
        )


def months_before(day: date, months: int) -> str:
    """The "YYYY-MM" ``months`` before ``day``'s month: rows of earlier months are past it."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _survey_wave(key: str) -> int | None:
    wave = key.removeprefix(SURVEY_PREFIX).split("/", 1)[0]
    return int(wave) if key.startswith(SURVEY_PREFIX) and wave.isdigit() else None


async def _purge_state(db: Database, days: int, now: datetime) -> int:
    """State untouched for ``days`` (but never a confirmed response waiting for its batch), and any
    survey document no wave key can open any more."""
    cutoff = now - timedelta(days=days)
    async with db.transaction() as session:
        keyed = set(await session.scalars(select(WaveKeyRow.wave_id)))
        rows = await session.execute(select(BotStateRow.key, BotStateRow.document, BotStateRow.updated_at))
        doomed = []
        for key, document, updated in rows:
            wave = _survey_wave(key)
            if key.startswith(SURVEY_PREFIX) and wave not in keyed:
                doomed.append(key)  # sealed under a destroyed key, or in the old unsealed form
            elif _aware(updated) < cutoff and not (wave is not None and (document or {}).get("pending")):
                doomed.append(key)
        for start in range(0, len(doomed), 500):
            await session.execute(delete(BotStateRow).where(BotStateRow.key.in_(doomed[start : start + 500])))
        return len(doomed)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def enforce(db: Database, retention: Retention, *, now: datetime | None = None) -> dict[str, int]:
    """Delete everything past its retention period; returns rows deleted per table (no contents)."""
    moment = now or datetime.now(UTC)
    today = moment.date()
    deleted = {"bot_state": await _purge_state(db, retention.state_days, moment)}
    deleted["expert_routes"] = await purge_expired_routes(db, today=today)
    async with db.transaction() as session:
        statements = {
            "conversation_references": delete(ConversationReferenceRow).where(
                ConversationReferenceRow.kind == "personal",
                ConversationReferenceRow.seen_month < months_before(today, retention.reference_months),
            ),
            "expert_questions": delete(ExpertQuestionRow).where(
                ExpertQuestionRow.asked_month < months_before(today, retention.expert_question_months)
            ),
            "guidance_log": delete(GuidanceLogRow).where(
                GuidanceLogRow.month < months_before(today, retention.guidance_log_months)
            ),
            "invitations": delete(InvitationRow).where(
                InvitationRow.wave_id.in_(select(WaveRow.id).where(WaveRow.closed.is_(True)))
            ),
            "reminders": delete(ReminderRow).where(
                ReminderRow.wave_id.in_(select(WaveRow.id).where(WaveRow.closed.is_(True)))
            ),
        }
        for table, statement in statements.items():
            deleted[table] = affected(await session.execute(statement))
    return deleted
