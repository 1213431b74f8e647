"""Initial schema: waves and agencies, the anonymous response side, bot state, and the rest.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The response side keeps no hidden insertion order on SQLite (see storage/models.py).
NO_ROWID = {"sqlite_with_rowid": False}


def _wave_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("questionnaire", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("questionnaire", "version", "opens", name="uq_waves_period"),
    )
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "wave_agencies",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"]),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id", "agency_code"),
    )
    op.create_table(
        "wave_keys",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id"),
    )
    op.create_table(
        "submission_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("token"),
        **NO_ROWID,
    )
    op.create_index("ix_submission_tokens_wave_id", "submission_tokens", ["wave_id"])
    op.create_table(
        "staged_responses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("id"),
        **NO_ROWID,
    )
    op.create_index("ix_staged_responses_wave_id", "staged_responses", ["wave_id"])
    op.create_table(
        "responses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("works_with", sa.String(length=100), nullable=True),
        sa.Column("role_level", sa.String(length=100), nullable=True),
        sa.Column("submitted_month", sa.String(length=7), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("id"),
        **NO_ROWID,
    )
    op.create_index("ix_responses_agency", "responses", ["agency"])
    op.create_index("ix_responses_wave_id", "responses", ["wave_id"])
    op.create_table(
        "answers",
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "item_id", "ordinal"),
        **NO_ROWID,
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("e_tag", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_bot_state_updated_at", "bot_state", ["updated_at"])
    op.create_table(
        "guidance_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "conversation_references",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_conversation_references_kind", "conversation_references", ["kind"])
    op.create_table(
        "expert_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asker_key", sa.String(length=400), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "invitations",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("reference_key", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id", "reference_key"),
    )


def downgrade() -> None:
    for table in (
        "invitations",
        "expert_questions",
        "conversation_references",
        "guidance_log",
        "bot_state",
        "answers",
        "responses",
        "staged_responses",
        "submission_tokens",
        "wave_keys",
        "wave_agencies",
        "agencies",
        "waves",
    ):
        op.drop_table(table)
