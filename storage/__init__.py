"""Everything the product keeps: SQLAlchemy (asyncio) on SQLite or PostgreSQL, behind small modules.

database (Database, the one session maker), migrate (Alembic in code), state
(bot state with e_tags), waves, submissions (anonymous, idempotent storing of
responses), responses, guidance_log, conversations, experts, invitations.
Only this package imports SQLAlchemy; its functions return plain dataclasses.
"""
