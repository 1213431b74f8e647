"""Shared database fixtures for every package's tests.

``database_url``  an SQLAlchemy async URL of an EMPTY database, once per backend:
                  "sqlite" (a fresh file under tmp_path) always, and "postgres"
                  when TEST_DATABASE_URL is set (skipped with the reason otherwise).
                  Each postgres test gets its own freshly created database on that
                  server, dropped afterwards, so concurrent runs never meet.
                  Select one backend with ``-k sqlite`` or ``-k postgres``.
``db``            a storage.database.Database on ``database_url``, upgraded to the
                  current schema, opened with a fixed test secret; closed afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.migrate import upgrade_async

TEST_SECRET = b"test-secret-not-for-production"


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        )
    name = f"test_{secrets.token_hex(6)}"
    admin = await _admin(base)
    try:
        # template0 takes no connections, so concurrent CREATE DATABASEs never collide on it.
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await _admin(base)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await upgrade_async(database_url)
    database = await Database.open(database_url, secret=TEST_SECRET)
    try:
        yield database
    finally:
        await database.close()
