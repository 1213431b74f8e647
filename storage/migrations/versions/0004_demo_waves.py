"""Demonstration waves: synthetic responses for a demo live in waves of their own, flagged.

Revision ID: 0004
Revises: 0003

A plain ADD/DROP COLUMN, not a batch operation: on SQLite a batch rebuilds the
table, and dropping the old ``waves`` would cascade to every response of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("waves", sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute("ALTER TABLE waves DROP COLUMN demo")
