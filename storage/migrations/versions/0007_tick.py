"""The scheduled tick: its lease, the things it did once, and survey reminders (schedules, per person).

New tables only, so nothing existing is rebuilt.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _wave_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "tick_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "tick_jobs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "wave_reminder_days",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.String(length=100), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id"),
    )
    op.create_table(
        "reminders",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("quiet_on", sa.Date(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id", "person"),
    )


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_table("wave_reminder_days")
    op.drop_table("tick_jobs")
    op.drop_table("tick_leases")
