"""Anonymity: no staging table, expert questions apart from their askers, guidance text optional.

- staged_responses goes: confirmed responses now wait, sealed, in their
  survey documents (storage.submissions); rows still staged are moved into
  the response table here, in one shuffled batch.
- expert_questions keeps a random handle and the month instead of the
  asker's conversation key and exact dates; the way back lives in the new
  expert_routes table, encrypted. Routes of questions asked before this
  revision cannot be made without the secret, so those answers are recorded
  but not delivered (the experts' view says so).
- guidance_log.question may be empty (kept only for plain questions).
- conversation_references.seen_month, for its retention period.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NO_ROWID = {"sqlite_with_rowid": False}


def _move_staged() -> None:
    """Legacy staged rows into responses/answers, in one random order (the code no longer stages)."""
    from storage.responses import rows_for

    bind = op.get_bind()
    staged = list(bind.execute(sa.text("SELECT id, wave_id, payload FROM staged_responses")))
    random.SystemRandom().shuffle(staged)
    responses = sa.table(
        "responses",
        *(
            sa.column(name)
            for name in ("id", "wave_id", "agency", "works_with", "role_level", "submitted_month")
        ),
    )
    answers = sa.table(
        "answers", *(sa.column(name) for name in ("response_id", "item_id", "ordinal", "value", "number"))
    )
    for response_id, wave_id, payload in staged:
        response, cells = rows_for(
            response_id, wave_id, json.loads(payload) if isinstance(payload, str) else payload
        )
        bind.execute(responses.insert().values(**response))
        if cells:
            bind.execute(answers.insert(), cells)


def upgrade() -> None:
    _move_staged()
    op.drop_table("staged_responses")

    month = datetime.now(UTC).strftime("%Y-%m")
    with op.batch_alter_table("expert_questions") as batch:
        batch.add_column(sa.Column("handle", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("asked_month", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("answered_month", sa.String(length=7), nullable=True))
    bind = op.get_bind()
    for question_id, asked_on, answered_on in list(
        bind.execute(sa.text("SELECT id, asked_on, answered_on FROM expert_questions"))
    ):
        bind.execute(
            sa.text(
                "UPDATE expert_questions SET handle = :handle, asked_month = :asked,"
                " answered_month = :answered"
                " WHERE id = :id"
            ),
            {
                "handle": secrets.token_urlsafe(24),
                "asked": str(asked_on)[:7],
                "answered": str(answered_on)[:7] if answered_on is not None else None,
                "id": question_id,
            },
        )
    with op.batch_alter_table("expert_questions") as batch:
        batch.alter_column("handle", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("asked_month", existing_type=sa.String(length=7), nullable=False)
        batch.create_unique_constraint("uq_expert_questions_handle", ["handle"])
        batch.drop_column("asker_key")
        batch.drop_column("asked_on")
        batch.drop_column("answered_on")
    op.create_table(
        "expert_routes",
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("handle_hash"),
    )
    op.create_index("ix_expert_routes_expires", "expert_routes", ["expires"])

    with op.batch_alter_table("guidance_log") as batch:
        batch.alter_column("question", existing_type=sa.Text(), nullable=True)

    with op.batch_alter_table("conversation_references") as batch:
        batch.add_column(sa.Column("seen_month", sa.String(length=7), nullable=True))
    bind.execute(sa.text("UPDATE conversation_references SET seen_month = :month"), {"month": month})


def downgrade() -> None:
    with op.batch_alter_table("conversation_references") as batch:
        batch.drop_column("seen_month")
    op.execute("UPDATE guidance_log SET question = '' WHERE question IS NULL")
    with op.batch_alter_table("guidance_log") as batch:
        batch.alter_column("question", existing_type=sa.Text(), nullable=False)
    op.drop_index("ix_expert_routes_expires", table_name="expert_routes")
    op.drop_table("expert_routes")
    with op.batch_alter_table("expert_questions") as batch:
        batch.add_column(sa.Column("asker_key", sa.String(length=400), nullable=False, server_default=""))
        batch.add_column(sa.Column("asked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("answered_on", sa.Date(), nullable=True))
    op.execute("UPDATE expert_questions SET asked_on = CURRENT_DATE")
    with op.batch_alter_table("expert_questions") as batch:
        batch.alter_column("asked_on", existing_type=sa.Date(), nullable=False)
        batch.drop_constraint("uq_expert_questions_handle", type_="unique")
        batch.drop_column("handle")
        batch.drop_column("asked_month")
        batch.drop_column("answered_month")
    op.create_table(
        "staged_responses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        **NO_ROWID,
    )
    op.create_index("ix_staged_responses_wave_id", "staged_responses", ["wave_id"])
