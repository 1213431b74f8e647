"""Everything the product keeps: SQLAlchemy (asyncio) on SQLite or PostgreSQL, behind small modules.

database (Database, the one session maker), migrate (Alembic in code), state
(bot state with e_tags), survey_state (in-progress surveys sealed under the
wave key), waves, submissions (anonymous, idempotent storing of responses in
shuffled batches), responses, guidance_log, conversations, experts,
invitations, retention (periods, enforced), audit (what could identify anyone).
Only this package imports SQLAlchemy; its functions return plain dataclasses.
"""
