"""The agencies' safeguarding self-assessment: rounds, returns and their entries per standard.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _round_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["round_id"], ["assessment_rounds.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "assessment_rounds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("standards", sa.String(length=64), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("returns_by", sa.Date(), nullable=False),
        sa.Column("analysis_on", sa.Date(), nullable=True),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "assessment_returns",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("alternative", sa.Text(), nullable=True),
        sa.Column("alternative_decision", sa.String(length=16), nullable=True),
        _round_fk(),
        sa.PrimaryKeyConstraint("round_id", "agency"),
    )
    op.create_table(
        "assessment_entries",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("standard", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("how_met", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("lead", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=True),
        _round_fk(),
        sa.PrimaryKeyConstraint("round_id", "agency", "standard"),
    )


def downgrade() -> None:
    op.drop_table("assessment_entries")
    op.drop_table("assessment_returns")
    op.drop_table("assessment_rounds")
