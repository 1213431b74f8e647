"""Processed activities: the keyed hashes of activities already acted on, so a repeat changes nothing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_activities",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_processed_activities_expires_on", "processed_activities", ["expires_on"])


def downgrade() -> None:
    op.drop_index("ix_processed_activities_expires_on", table_name="processed_activities")
    op.drop_table("processed_activities")
