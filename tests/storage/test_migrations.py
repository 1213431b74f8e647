"""Migrations: an empty database comes up to head; the code refuses a database that is behind."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage.cli import main
from storage.database import Database
from storage.errors import SchemaBehindError
from storage.migrate import head_revision, upgrade_async
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]


async def test_an_empty_database_is_refused_with_the_upgrade_command(database_url: str) -> None:
    db = await Database.open(database_url)
    try:
        with pytest.raises(SchemaBehindError, match=r"run: python -m storage upgrade") as raised:
            await db.require_current_schema()
        assert raised.value.current is None
    finally:
        await db.close()


async def test_upgrade_from_empty_creates_every_table_and_matches_the_models(database_url: str) -> None:
    await upgrade_async(database_url)
    await upgrade_async(database_url)  # a second upgrade is a no-op
    db = await Database.open(database_url)
    try:
        await db.require_current_schema()
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert differences == []
    finally:
        await db.close()


async def test_a_database_at_an_older_revision_is_behind(database_url: str) -> None:
    await upgrade_async(database_url, "base")
    db = await Database.open(database_url)
    try:
        with pytest.raises(SchemaBehindError) as raised:
            await db.require_current_schema()
        assert raised.value.head == head_revision()
    finally:
        await db.close()


async def test_a_database_upgraded_by_newer_code_is_refused_as_ahead(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaBehindError, match="newer than this code") as raised:
        await db.require_current_schema()
    assert raised.value.ahead


async def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str, *args: str
) -> tuple[int, str, str]:
    """Run storage.cli.main in a thread (it owns its event loop), as `python -m storage` would."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret")
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_command_line_refuses_until_upgraded_then_checks_and_counts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, _, err = await run_cli(monkeypatch, capsys, database_url, "flush", "--all")
    assert code == 1
    assert "python -m storage upgrade" in err
    assert (await run_cli(monkeypatch, capsys, database_url, "upgrade"))[0] == 0
    code, out, err = await run_cli(monkeypatch, capsys, database_url, "check")
    assert code == 0, err
    assert f"schema is current ({head_revision()})" in out
    assert re.search(r"responses +0", out)
    assert re.search(r"submission_tokens +0", out)
    for args in (["recover"], ["flush"], ["flush", "--all"], ["purge-stale"], ["purge-stale", "--days", "1"]):
        code, _, err = await run_cli(monkeypatch, capsys, database_url, *args)
        assert code == 0, (args, err)
    code, _, err = await run_cli(monkeypatch, capsys, database_url, "close-wave", "99")
    assert code == 1
    assert "no wave 99" in err


def test_python_dash_m_storage_runs_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "storage", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "schema upgraded from empty to" in result.stdout


async def test_sqlite_makes_its_directory_and_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'nested' / 'bot.db'}"
    await upgrade_async(url)
    assert (tmp_path / "data" / "nested" / "bot.db").exists()
    db = await Database.open(url)
    try:
        async with db.transaction() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                async with session.begin_nested():
                    await session.execute(text("INSERT INTO wave_keys (wave_id, sealed) VALUES (404, 'x')"))
    finally:
        await db.close()
