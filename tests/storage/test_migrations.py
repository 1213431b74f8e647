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

from storage import experts
from storage.cli import main
from storage.database import Database
from storage.errors import SchemaBehindError
from storage.migrate import head_revision, upgrade_async
from storage.models import Base
from storage.responses import read_responses

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


def test_replicas_starting_together_on_an_empty_database_all_come_up(database_url: str) -> None:
    """Regression: four `python -m storage upgrade` at once on an empty PostgreSQL database (as
    replicas do at start) left three failing with a traceback (duplicate alembic_version)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    starts = [
        subprocess.Popen(
            [sys.executable, "-m", "storage", "upgrade"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(start.wait(timeout=180), *start.communicate()) for start in starts]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err[-500:] for _, _, err in results]
    assert sum("schema upgraded from empty to" in out for _, out, _ in results) == 1
    assert sum("schema is already current" in out for _, out, _ in results) == 3
    assert not any("Traceback" in err for _, _, err in results)


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


async def test_0003_moves_staged_responses_and_parts_expert_questions_from_their_askers(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0001")
    db = await Database.open(database_url)
    try:
        async with db.transaction() as session:
            for statement in (
                "INSERT INTO waves (id, questionnaire, version, opens, closes, closed)"
                " VALUES (1, 'practitioner', 1, '2026-11-01', '2026-12-31', false)",
                "INSERT INTO staged_responses (id, wave_id, payload) VALUES ('r-legacy-0123456789', 1,"
                ' \'{"agency": "CSC", "month": "2026-11",'
                ' "answers": {"agency": "CSC", "tools_used": ["A", "B"]}}\')',
                "INSERT INTO expert_questions (question, asker_key, asked_on)"
                " VALUES ('who is the LADO?', 'msteams:a:someone', '2026-11-23')",
                "INSERT INTO conversation_references (key, kind, user_id, reference)"
                " VALUES ('msteams:a:someone', 'personal', 'aad', '{}')",
            ):
                await session.execute(text(statement))
        await upgrade_async(database_url)
        [stored] = await read_responses(db)
        assert (stored.id, stored.submitted_month, stored.answers["tools_used"]) == (
            "r-legacy-0123456789",
            "2026-11",
            ("A", "B"),
        )
        [question] = await experts.pending(db)
        assert (question.question, question.asked_month) == ("who is the LADO?", "2026-11")
        assert len(question.handle) >= 24
        async with db.transaction() as session:
            columns = await session.run_sync(
                lambda s: [c["name"] for c in inspect(s.connection()).get_columns("expert_questions")]
            )
            seen = await session.scalar(text("SELECT seen_month FROM conversation_references"))
        assert "asker_key" not in columns
        assert seen is not None
    finally:
        await db.close()


async def test_0004_keeps_every_response_of_an_existing_wave(database_url: str) -> None:
    """Regression: on SQLite a batch rebuild of ``waves`` dropped the old table, and its ON DELETE
    CASCADE took every stored response with it."""
    await upgrade_async(database_url, "0003")
    db = await Database.open(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO waves (id, questionnaire, version, opens, closes, closed)"
                    " VALUES (1, 'practitioner', 1, '2026-11-01', '2026-12-31', false)"
                )
            )
            await session.execute(
                text(
                    "INSERT INTO responses (id, wave_id, agency, submitted_month)"
                    " VALUES ('r-kept-0123456789', 1, 'CSC', '2026-11')"
                )
            )
        await upgrade_async(database_url)
        assert [r.id for r in await read_responses(db)] == ["r-kept-0123456789"]
    finally:
        await db.close()
