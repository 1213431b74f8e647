"""The ORM tables: the only place the schema is described in Python (migrations mirror it).

Anonymity is built into the shape of the response side (responses, answers,
submission_tokens): no column holds a person, a conversation or a time finer
than a month, no surrogate sequence numbers (ids are random; answers are keyed
by response and item), rows arrive only in shuffled batches (see
storage.submissions), and on SQLite those tables are WITHOUT ROWID so not
even a hidden rowid records insertion order. docs/anonymity.md gives every
table's purpose and retention.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NO_ROWID = {"sqlite_with_rowid": False}


class Base(DeclarativeBase):
    pass


class WaveRow(Base):
    """One survey wave: a questionnaire (id + version) open for a period."""

    __tablename__ = "waves"
    __table_args__ = (UniqueConstraint("questionnaire", "version", "opens", name="uq_waves_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    questionnaire: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    opens: Mapped[date] = mapped_column(Date)
    closes: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # synthetic responses for a demonstration (`python -m analysis demo-data`), never a live wave
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AgencyRow(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class WaveAgencyRow(Base):
    """An agency taking part in a wave, with its frontline headcount then (for response rates)."""

    __tablename__ = "wave_agencies"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    headcount: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WaveBoardRow(Base):
    """A board (named in the partnership file) a wave belongs to: whose leads and recipients it reaches."""

    __tablename__ = "wave_boards"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    board: Mapped[str] = mapped_column(String(64), primary_key=True)


class AgencySummaryRow(Base):
    """An agency's own summary of its findings for a wave, sent back by its lead (the agency's
    statement, screened like its self-assessment; not a person's answer)."""

    __tablename__ = "agency_summaries"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    summary: Mapped[str] = mapped_column(Text)
    submitted_month: Mapped[str] = mapped_column(String(7))


class WaveKeyRow(Base):
    """A wave's random HMAC key, only ever stored encrypted; the row is deleted when the wave closes."""

    __tablename__ = "wave_keys"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)


class SubmissionTokenRow(Base):
    """HMAC of (person, wave) under the wave key: proves "already answered", links to nothing."""

    __tablename__ = "submission_tokens"
    __table_args__ = NO_ROWID

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)


class ResponseRow(Base):
    """One anonymous response: agency, coarse role bands and the month, nothing else."""

    __tablename__ = "responses"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    works_with: Mapped[str | None] = mapped_column(String(100), nullable=True)
    role_level: Mapped[str | None] = mapped_column(String(100), nullable=True)
    submitted_month: Mapped[str] = mapped_column(String(7))


class AnswerRow(Base):
    """One stored value of one item of a response.

    ``ordinal`` 0 is a single value; a list answer (multi-choice, several free
    texts) is rows 1..n in order. Ratings are kept in ``number``, everything
    else (choice values, redacted free text) in ``value``.
    """

    __tablename__ = "answers"
    __table_args__ = NO_ROWID

    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class BotStateRow(Base):
    """A bot state item (in-progress surveys and the like) with its e_tag for optimistic concurrency."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    e_tag: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class GuidanceLogRow(Base):
    """A guidance question or feedback on an answer: topic, confidence, helpfulness, the month.

    ``question`` only when it read as a plain question with nothing personal
    in it; never for a message that mentions harm to someone.
    """

    __tablename__ = "guidance_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    topic: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    month: Mapped[str] = mapped_column(String(7))


class ConversationReferenceRow(Base):
    """Where to send proactive messages (invitations, results); kept apart from everything else."""

    __tablename__ = "conversation_references"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    seen_month: Mapped[str | None] = mapped_column(String(7), nullable=True)


class ExpertQuestionRow(Base):
    """A question passed to the partnership's safeguarding experts, and their answer: never who asked.

    ``handle`` is random; only the separate, encrypted expert_routes row leads
    from it back to the asker, and that goes once the answer is delivered.
    """

    __tablename__ = "expert_questions"
    __table_args__ = (UniqueConstraint("handle", name="uq_expert_questions_handle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    handle: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    asked_month: Mapped[str] = mapped_column(String(7))
    answered_month: Mapped[str | None] = mapped_column(String(7), nullable=True)


class ExpertRouteRow(Base):
    """The way back to an expert question's asker, apart from the question, until delivery or expiry.

    Keyed by a keyed hash of the question's handle; ``route`` is the asker's
    conversation reference, encrypted under a key derived from the product
    secret and the handle.
    """

    __tablename__ = "expert_routes"

    handle_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    route: Mapped[str] = mapped_column(Text)
    expires: Mapped[date] = mapped_column(Date, index=True)


class InvitationRow(Base):
    """Progress of `bot invite` for one wave and one conversation reference, so it can resume."""

    __tablename__ = "invitations"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    reference_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))


class ProcessedActivityRow(Base):
    """An activity the bot has acted on (storage.processed): a keyed hash and a day to forget it."""

    __tablename__ = "processed_activities"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class AssessmentRoundRow(Base):
    """A self-assessment round: the standards set, its dates, and the practitioner wave it draws on."""

    __tablename__ = "assessment_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    standards: Mapped[str] = mapped_column(String(64))
    opens: Mapped[date] = mapped_column(Date)
    returns_by: Mapped[date] = mapped_column(Date)
    analysis_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id", ondelete="SET NULL"), nullable=True)


class AssessmentReturnRow(Base):
    """One agency's return in one round (the agency's own words: not anonymous, but screened)."""

    __tablename__ = "assessment_returns"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    alternative: Mapped[str | None] = mapped_column(Text, nullable=True)
    alternative_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)


class AssessmentEntryRow(Base):
    """What an agency said about one standard: its own rating (the standing one is derived), text, action."""

    __tablename__ = "assessment_entries"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    standard: Mapped[str] = mapped_column(String(32), primary_key=True)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    how_met: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="not started")
    status_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class TickLeaseRow(Base):
    """Who may run ``python -m bot tick`` now (storage.lease): one row per lease, its holder and expiry.

    ``expires`` is in seconds since the epoch (a float compares the same way on SQLite and PostgreSQL).
    """

    __tablename__ = "tick_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires: Mapped[float] = mapped_column(Float)


class TickJobRow(Base):
    """One thing the tick does once (a wave's reports to one lead, one deadline reminder): storage.jobs.

    The key names waves, rounds, agencies and standards, never a person.
    """

    __tablename__ = "tick_jobs"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(String(200), default="")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class WaveReminderDaysRow(Base):
    """A wave's own reminder schedule: days before it closes (REMINDER_DAYS when a wave has none)."""

    __tablename__ = "wave_reminder_days"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[str] = mapped_column(String(100))


class ReminderRow(Base):
    """Reminders to one person in one wave (storage.reminders), keyed by a keyed hash under the wave key.

    Holds only what the schedule needs: the round last claimed and its outcome, the day a
    reminder last went, the day the person last paused or resumed, and whether they opted
    out. Never whether they answered (that is the submission token's, tested at send time).
    Rows of a closed wave are deleted (storage.retention); their hashes died with the key.
    """

    __tablename__ = "reminders"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    person: Mapped[str] = mapped_column(String(64), primary_key=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    quiet_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
