"""Waves belong to boards; agencies send a summary of their findings back to the board.

Revision ID: 0006
Revises: 0005

Two new tables and nothing rebuilt: an existing wave gets no ``wave_boards``
row, which reads as "every board of the partnership" (storage.waves), so the
waves of a file without boards keep working.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _wave_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "wave_boards",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("board", sa.String(length=64), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id", "board"),
    )
    op.create_table(
        "agency_summaries",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("submitted_month", sa.String(length=7), nullable=False),
        _wave_fk(),
        sa.PrimaryKeyConstraint("wave_id", "agency"),
    )


def downgrade() -> None:
    op.drop_table("agency_summaries")
    op.drop_table("wave_boards")
